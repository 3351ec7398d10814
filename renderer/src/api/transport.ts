/** Picks the transport at startup: the desktop bridge when present, HTTP otherwise. */
import type { ApiClient } from './client';
import { createHttpTransport, takeToken } from './http-transport';
import { createIpcTransport } from './ipc-transport';

/** The client for this page. */
export function createClient(win: Window = window): ApiClient {
  if (win.twinlock !== undefined) return createIpcTransport(win.twinlock);
  return createHttpTransport({ origin: win.location.origin, token: takeToken(win) });
}
