import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TwinlockError } from '../../../engine/api';
import type { ApiEvent, TwinlockApi, TwinlockEngine } from '../../../engine/api';
import { startServer } from '../../../server/http-server';
import type { RunningServer } from '../../../server/http-server';

interface FakeEngine extends TwinlockEngine {
  emit(event: ApiEvent): void;
  calls: Array<{ method: string; input: unknown }>;
  listenerCount(): number;
}

function fakeEngine(): FakeEngine {
  const listeners = new Set<(e: ApiEvent) => void>();
  const calls: Array<{ method: string; input: unknown }> = [];
  const api = {
    suggestions: async (input: unknown) => {
      calls.push({ method: 'suggestions', input });
      return { targets: '127.0.0.1', hosts: [], labAccount: null };
    },
    connect: async (input: unknown) => {
      calls.push({ method: 'connect', input });
      throw new TwinlockError({
        code: 'invalid-input',
        message: 'Enter the password.',
        hint: 'Type the administrator password.',
        detail: { field: 'password' },
      });
    },
    status: async () => {
      throw new Error('boom at line 12');
    },
  } as unknown as TwinlockApi;
  return {
    api,
    calls,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {},
    emit(event) {
      for (const l of listeners) l(event);
    },
    listenerCount: () => listeners.size,
  };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so that Host and Origin can be set to anything (fetch forbids both). */
function send(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('startServer', () => {
  let engine: FakeEngine;
  let server: RunningServer;
  let staticDir: string;

  beforeEach(async () => {
    staticDir = await mkdtemp(path.join(tmpdir(), 'twinlock-static-'));
    await mkdir(path.join(staticDir, 'assets'));
    await writeFile(
      path.join(staticDir, 'index.html'),
      '<!doctype html><title>Twinlock</title><meta property="csp-nonce" nonce="TWINLOCK_CSP_NONCE">',
    );
    await writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(staticDir, 'assets', 'app.css'), 'body{}');
    await writeFile(path.join(path.dirname(staticDir), 'twinlock-secret.txt'), 'secret');
    engine = fakeEngine();
    server = await startServer({ engine, staticDir });
  });

  afterEach(async () => {
    await server.close();
    await rm(staticDir, { recursive: true, force: true });
  });

  function api(method: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return send(server.port, {
      method: 'POST',
      path: `/api/${method}`,
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${server.token}`,
        Origin: `http://127.0.0.1:${server.port}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  it('prints a loopback URL carrying a fresh 32-byte token', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
    const other = await startServer({ engine });
    try {
      expect(other.token).not.toBe(server.token);
    } finally {
      await other.close();
    }
  });

  it('calls a method and returns its result', async () => {
    const reply = await api('suggestions', {});
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      ok: true,
      result: { targets: '127.0.0.1', hosts: [], labAccount: null },
    });
    expect(engine.calls).toEqual([{ method: 'suggestions', input: {} }]);
  });

  it('refuses a request without the token, or with a wrong one (401)', async () => {
    const none = await api('suggestions', {}, { Authorization: '' });
    expect(none.status).toBe(401);
    const wrong = await api('suggestions', {}, { Authorization: `Bearer ${server.token.slice(1)}x` });
    expect(wrong.status).toBe(401);
    // Its own code, not invalid-input: the page says how to open Twinlock again.
    for (const reply of [none, wrong]) {
      expect(JSON.parse(reply.body)).toEqual({
        ok: false,
        error: {
          code: 'unauthorized',
          message: 'This request did not carry the token of this Twinlock run.',
          hint: expect.stringContaining('the token changes at every start'),
        },
      });
    }
    expect(engine.calls).toEqual([]);
  });

  it('refuses a foreign Origin and a rebound Host (403)', async () => {
    const origin = await api('suggestions', {}, { Origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    const otherPort = await api('suggestions', {}, { Origin: `http://127.0.0.1:${server.port + 1}` });
    expect(otherPort.status).toBe(403);
    const host = await api('suggestions', {}, { Host: `evil.example:${server.port}`, Origin: '' });
    expect(host.status).toBe(403);
    for (const reply of [origin, otherPort, host]) {
      expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(engine.calls).toEqual([]);
  });

  it('accepts localhost as Host with its matching Origin', async () => {
    const reply = await api(
      'suggestions',
      {},
      { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` },
    );
    expect(reply.status).toBe(200);
  });

  it('answers an unknown method with 404 and an error', async () => {
    const reply = await api('formatDisk', {});
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('passes an engine error through as data', async () => {
    const reply = await api('connect', { address: 'a', username: 'u' });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      ok: false,
      error: {
        code: 'invalid-input',
        message: 'Enter the password.',
        hint: 'Type the administrator password.',
        detail: { field: 'password' },
      },
    });
    expect(engine.calls[0]).toEqual({ method: 'connect', input: { address: 'a', username: 'u' } });
  });

  it('turns an unexpected error into `internal` without a stack', async () => {
    const reply = await api('status', { sessionId: 's' });
    const body = JSON.parse(reply.body);
    expect(body.error.code).toBe('internal');
    expect(reply.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses bad JSON (400) and bodies over 1 MB (413)', async () => {
    const bad = await send(server.port, {
      method: 'POST',
      path: '/api/suggestions',
      headers: { Authorization: `Bearer ${server.token}` },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    const big = await api('suggestions', { pad: 'x'.repeat(1024 * 1024) });
    expect(big.status).toBe(413);
  });

  it('pushes engine events to an authorised WebSocket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`, {
      origin: `http://127.0.0.1:${server.port}`,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const received = new Promise<unknown>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(String(data)))),
    );
    const event: ApiEvent = {
      type: 'log',
      level: 'info',
      message: 'Scanning 127.0.0.1',
      at: '2025-01-01T00:00:00Z',
    };
    engine.emit(event);
    expect(await received).toEqual(event);
    ws.close();
  });

  it('refuses a WebSocket without the token or from a foreign origin', async () => {
    const statusOf = (url: string, origin?: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, origin === undefined ? {} : { origin });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('error', () => undefined);
      });
    expect(await statusOf(`ws://127.0.0.1:${server.port}/events?token=wrong`)).toBe(401);
    expect(
      await statusOf(`ws://127.0.0.1:${server.port}/events?token=${server.token}`, 'http://evil.example'),
    ).toBe(403);
  });

  it('serves the page with its content types and security headers', async () => {
    const index = await send(server.port, { path: '/?token=abc' });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<title>Twinlock</title>');
    const csp = String(index.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect((await send(server.port, { path: '/assets/app.js' })).headers['content-type']).toMatch(
      /^text\/javascript/,
    );
    expect((await send(server.port, { path: '/assets/app.css' })).headers['content-type']).toMatch(
      /^text\/css/,
    );
  });

  it('sends the precompressed copy the browser accepts best, and the file itself otherwise', async () => {
    const script = 'console.log("the wizard");\n'.repeat(200);
    const file = path.join(staticDir, 'assets', 'wizard.js');
    await writeFile(file, script);
    await writeFile(`${file}.gz`, gzipSync(script));
    await writeFile(`${file}.br`, brotliCompressSync(script));
    const get = async (acceptEncoding?: string) => {
      const reply = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>(
        (resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: server.port,
              path: '/assets/wizard.js',
              headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      const encoding = reply.headers['content-encoding'];
      const text =
        encoding === 'br'
          ? brotliDecompressSync(reply.body)
          : encoding === 'gzip'
            ? gunzipSync(reply.body)
            : reply.body;
      expect(text.toString('utf8')).toBe(script);
      expect(reply.headers['vary']).toBe('Accept-Encoding');
      expect(reply.headers['content-type']).toMatch(/^text\/javascript/);
      return { encoding, bytes: reply.body.length };
    };
    const br = await get('gzip, deflate, br');
    expect(br.encoding).toBe('br');
    expect(br.bytes).toBeLessThan(script.length / 10);
    expect((await get('gzip')).encoding).toBe('gzip');
    expect((await get('br;q=0, gzip')).encoding).toBe('gzip');
    expect((await get()).encoding).toBeUndefined();
    expect((await get('identity')).encoding).toBeUndefined();
    // A file the build did not compress (below its threshold) is sent as it is.
    const small = await send(server.port, {
      path: '/assets/app.js',
      headers: { 'Accept-Encoding': 'br, gzip' },
    });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body).toBe('console.log(1)');
  });

  it('gives each load of the page its own style nonce, and no unsafe-inline anywhere', async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await send(server.port, { path: '/' });
      const csp = String(page.headers['content-security-policy']);
      expect(csp).not.toContain('unsafe-inline');
      const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{22,})'/.exec(csp)?.[1];
      expect(nonce, csp).toBeDefined();
      expect(page.body).toContain(`<meta property="csp-nonce" nonce="${nonce}">`);
      expect(page.body).not.toContain('TWINLOCK_CSP_NONCE');
      expect(page.headers['content-length']).toBe(String(Buffer.byteLength(page.body)));
      nonces.push(nonce!);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    const asset = String(
      (await send(server.port, { path: '/assets/app.css' })).headers['content-security-policy'],
    );
    expect(asset).toContain("style-src 'self';");
    expect(asset).not.toContain('nonce-');
  });

  it('never serves a file outside its folder', async () => {
    const secret = 'twinlock-secret.txt';
    for (const p of [
      `/../${secret}`,
      `/%2e%2e/${secret}`,
      `/assets/..%2f..%2f${secret}`,
      `/..%5c${secret}`,
    ]) {
      const reply = await send(server.port, { path: p });
      expect(reply.status, p).toBe(404);
      expect(reply.body).not.toContain('secret');
    }
    expect((await send(server.port, { path: '/missing.js' })).status).toBe(404);
  });

  it('stops pushing events once closed', async () => {
    expect(engine.listenerCount()).toBe(1);
    await server.close();
    expect(engine.listenerCount()).toBe(0);
  });
});
