/** Picks the transport at startup: the desktop bridge when present, HTTP otherwise. */
import type { TwinlockErrorData } from '../../../engine/api';
import type { ApiClient } from './client';
import { createHttpTransport, takeToken } from './http-transport';
import { createIpcTransport } from './ipc-transport';

/** The client for this page; `onRefused` hears when the browser shell refuses the page (see HttpTransportOptions). */
export function createClient(
  win: Window = window,
  onRefused?: (error: TwinlockErrorData) => void,
): ApiClient {
  if (win.twinlock !== undefined) return createIpcTransport(win.twinlock);
  return createHttpTransport({
    origin: win.location.origin,
    token: takeToken(win),
    ...(onRefused ? { onRefused } : {}),
  });
}
