/**
 * The browser shell: the engine's contract over HTTP (`POST /api/<method>`) and its events over a
 * WebSocket (`/events`), plus the built wizard as static files — on 127.0.0.1 only, guarded by a
 * per-run token and by `Host`/`Origin` checks.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { dispatch, isMethodName, toErrorData, unknownMethodError } from '../engine/api';
import type { ApiEvent, Reply, TwinlockEngine, TwinlockErrorData } from '../engine/api';
import { newCspNonce, pageWithNonce } from '../web/csp';
import Negotiator from 'negotiator';
import { PRECOMPRESSED, readStaticFile } from '../web/static-files';
import type { ContentCoding } from '../web/static-files';
import {
  bearerToken,
  isAllowedHost,
  isAllowedOrigin,
  newToken,
  sameSecret,
  securityHeaders,
} from './security';

/** negotiator 1.x's `encodings` takes the server's order for codings the client rates alike (its types predate it). */
type EncodingsWithPreference = (
  available: readonly string[],
  options: { preferred: readonly string[] },
) => string[];

/** The precompressed copies the client accepts, best first; Brotli before gzip when it rates them alike. */
function acceptedCodings(req: IncomingMessage): ContentCoding[] {
  const codings = Object.keys(PRECOMPRESSED) as ContentCoding[];
  const negotiator = new Negotiator(req);
  const encodings = negotiator.encodings.bind(negotiator) as unknown as EncodingsWithPreference;
  return encodings(codings, { preferred: codings }).filter((e): e is ContentCoding =>
    (codings as string[]).includes(e),
  );
}

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** How to start the server. */
export interface ServerOptions {
  /** The engine every request is bound to. */
  engine: TwinlockEngine;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Folder of the built wizard (`dist/renderer`); without it only the API is served. */
  staticDir?: string;
  /** The run's token; a fresh random one when absent. */
  token?: string;
}

/** A running server. */
export interface RunningServer {
  /** The page to open, carrying the token once: `http://127.0.0.1:<port>/?token=<token>`. */
  url: string;
  port: number;
  token: string;
  /** Stops accepting, drops WebSocket clients and open connections. */
  close(): Promise<void>;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly data: TwinlockErrorData,
  ) {
    super(data.message);
  }
}

const FORBIDDEN: TwinlockErrorData = {
  code: 'forbidden',
  message: 'This request did not come from the Twinlock page served by this computer.',
  hint: 'Open Twinlock from the address it printed when it started.',
};

const UNAUTHORISED: TwinlockErrorData = {
  code: 'unauthorized',
  message: 'This request did not carry the token of this Twinlock run.',
  hint: 'Open Twinlock from the address it printed when it started; the token changes at every start.',
};

/** Starts the browser shell on 127.0.0.1. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { engine, staticDir } = options;
  const token = options.token ?? newToken();
  let port = 0;

  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<WebSocket>();
  const unsubscribe = engine.subscribe((event: ApiEvent) => {
    const text = JSON.stringify(event);
    for (const ws of clients) {
      if (ws.readyState === ws.OPEN) ws.send(text);
    }
  });

  function guard(req: IncomingMessage): void {
    if (
      !isAllowedHost(req.headers.host, port) ||
      !isAllowedOrigin(req.headers.origin, req.headers.host, port)
    ) {
      throw new HttpProblem(403, FORBIDDEN);
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const given = bearerToken(req.headers.authorization);
    if (given === null || !sameSecret(given, token)) throw new HttpProblem(401, UNAUTHORISED);
    if (!isMethodName(name)) throw new HttpProblem(404, unknownMethodError(name));
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new HttpProblem(405, {
        code: 'invalid-input',
        message: 'Operations are called with POST.',
      });
    }
    const input = await readJsonBody(req);
    // An engine error is an answer, not a transport failure: 200 with ok:false.
    sendJson(res, 200, await dispatch(engine.api, name, input));
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'Method not allowed.');
      return;
    }
    // The smallest precompressed copy the browser accepts (Brotli, then gzip); the page itself is
    // never precompressed, as each response of it carries its own nonce.
    const encodings = acceptedCodings(req);
    const file =
      staticDir === undefined
        ? null
        : await readStaticFile(
            staticDir,
            pathname,
            encodings.filter((e) => e in PRECOMPRESSED),
          );
    if (file === null) {
      sendText(
        res,
        404,
        staticDir === undefined ? 'The wizard is not built here: run `npx vite build`.' : 'Not found.',
      );
      return;
    }
    let body = file.body;
    if (file.contentType.startsWith('text/html')) {
      // Each response of the page gets its own nonce, in its policy and on its <meta property="csp-nonce">.
      const nonce = newCspNonce();
      body = pageWithNonce(body, nonce);
      res.setHeader('Content-Security-Policy', securityHeaders(port, nonce)['Content-Security-Policy']!);
    }
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': String(body.length),
      ...(file.encoding === undefined ? {} : { 'Content-Encoding': file.encoding }),
      Vary: 'Accept-Encoding',
      // Vite fingerprints asset names; the page itself must never be cached with an old token flow.
      'Cache-Control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders(port))) res.setHeader(name, value);
    void (async () => {
      const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      try {
        guard(req);
        if (pathname.startsWith('/api/')) {
          await handleApi(req, res, pathname.slice('/api/'.length));
        } else {
          await handleStatic(req, res, pathname);
        }
      } catch (err) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (err instanceof HttpProblem) {
          sendJson(res, err.status, { ok: false, error: err.data });
        } else {
          sendJson(res, 500, { ok: false, error: toErrorData(err, 'a request from the page') });
        }
      }
    })();
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refuse = (status: number, reason: string): void => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/events') return refuse(404, 'Not Found');
    if (
      !isAllowedHost(req.headers.host, port) ||
      !isAllowedOrigin(req.headers.origin, req.headers.host, port)
    ) {
      return refuse(403, 'Forbidden');
    }
    const given = url.searchParams.get('token');
    if (given === null || !sameSecret(given, token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      // The page only listens; anything it sends is ignored.
      ws.on('message', () => undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    close() {
      closing ??= (async () => {
        unsubscribe();
        for (const ws of clients) ws.terminate();
        clients.clear();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      })();
      return closing;
    },
  };
}

/** Reads a JSON request body of at most {@link MAX_BODY_BYTES}; an empty body means `{}`. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpProblem(400, {
      code: 'invalid-input',
      message: 'The request body is not valid JSON.',
    });
  }
}

function tooLarge(): HttpProblem {
  return new HttpProblem(413, {
    code: 'invalid-input',
    message: 'The request is larger than 1 MB.',
  });
}

function sendJson(res: ServerResponse, status: number, body: Reply): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
