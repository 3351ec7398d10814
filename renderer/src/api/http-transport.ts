/**
 * The browser transport: `POST /api/<method>` with the run's bearer token, and a WebSocket on
 * `/events` that reconnects by itself.
 */
import type { ApiEvent, TwinlockErrorData } from '../../../engine/api';
import { isReply } from '../../../engine/api/wire';
import type { ApiClient } from './client';
import { toUiError } from './errors';

const TOKEN_KEY = 'twinlock.token';

/** The parts of `window` the token handling touches (so it can run against a stand-in). */
export interface TokenPage {
  location: { href: string };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
}

/**
 * Takes the token from the page's address once, keeps it in sessionStorage (per tab, gone when
 * the tab closes) and strips it from the address bar so it does not linger in history or a
 * screenshot.
 */
export function takeToken(win: TokenPage): string | null {
  const url = new URL(win.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null && fromUrl !== '') {
    win.sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return win.sessionStorage.getItem(TOKEN_KEY);
}

const ENGINE_SILENT = {
  code: 'unreachable',
  message: 'Twinlock’s engine is not answering.',
  hint: 'Check that the Twinlock window you started it from is still running, then reload this page.',
} as const;

/** A page opened without the run's token (it was never given, or the server restarted since). */
const NO_TOKEN: TwinlockErrorData = {
  code: 'unauthorized',
  message: 'This page was opened without the token of this Twinlock run.',
  hint: 'Open the link Twinlock printed when it started.',
};

/** How to reach the server. */
export interface HttpTransportOptions {
  /** The page's origin, e.g. `http://127.0.0.1:5123`. */
  origin: string;
  token: string | null;
  /**
   * Told once the server refuses this page (no token, a wrong one, or a foreign origin: `unauthorized`
   * or `forbidden`), so that the page can say how to open Twinlock again. The call still rejects.
   */
  onRefused?: (error: TwinlockErrorData) => void;
  /** Replaceable in tests. */
  fetch?: typeof fetch;
  createSocket?: (url: string) => WebSocket;
}

/** A client over HTTP and WebSocket. */
export function createHttpTransport(options: HttpTransportOptions): ApiClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const listeners = new Set<(e: ApiEvent) => void>();
  let socket: WebSocket | null = null;
  let retryMs = 500;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const connect = (): void => {
    const wsUrl = new URL('/events', options.origin);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    wsUrl.searchParams.set('token', options.token ?? '');
    const ws = options.createSocket
      ? options.createSocket(wsUrl.toString())
      : new WebSocket(wsUrl.toString());
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
    };
    ws.onmessage = (message: MessageEvent) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(message.data)) as ApiEvent;
      } catch {
        return;
      }
      for (const listener of listeners) listener(event);
    };
    ws.onclose = () => {
      socket = null;
      // Back off up to 5 s: the server may be restarting, or the laptop waking from sleep.
      retryTimer = setTimeout(() => {
        retryTimer = null;
        connect();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };

  const refused = (error: TwinlockErrorData): TwinlockErrorData => {
    if (error.code === 'unauthorized' || error.code === 'forbidden') options.onRefused?.(error);
    return error;
  };
  // Without a token no call can succeed: the page is told at once, before anything is shown.
  if (options.token === null) refused({ ...NO_TOKEN });

  return {
    async call(method, input) {
      if (options.token === null) throw refused({ ...NO_TOKEN });
      let response: Response;
      try {
        response = await doFetch(new URL(`/api/${method}`, options.origin).toString(), {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Authorization: `Bearer ${options.token ?? ''}`,
          },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        throw { ...ENGINE_SILENT };
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw {
          ...ENGINE_SILENT,
          message: `Twinlock’s engine gave an unreadable answer (HTTP ${response.status}).`,
        };
      }
      if (!isReply(body)) throw { ...ENGINE_SILENT };
      if (body.ok) return body.result as never;
      throw refused(toUiError(body.error));
    },
    subscribe(listener) {
      listeners.add(listener);
      // One socket for the page's lifetime: jobs come and go faster than a socket opens. Without a
      // token the server refuses it: the page says so instead of knocking again and again.
      if (socket === null && retryTimer === null && options.token !== null) connect();
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
