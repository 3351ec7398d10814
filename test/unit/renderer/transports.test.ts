import { describe, expect, it, vi } from 'vitest';
import type { ApiEvent, JobSnapshotOf } from '../../../engine/api';
import { followJob } from '../../../renderer/src/api/follow-job';
import { createHttpTransport, takeToken } from '../../../renderer/src/api/http-transport';
import { createIpcTransport } from '../../../renderer/src/api/ipc-transport';
import { toUiError } from '../../../renderer/src/api/errors';
import { fakeClient } from './fake-client';

function fakeWindow(href: string) {
  const storage = new Map<string, string>();
  const win = {
    location: { href },
    sessionStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, v),
    },
    history: {
      state: null,
      replaceState: vi.fn((_s: unknown, _t: string, url: string) => {
        win.location.href = new URL(url, href).toString();
      }),
    },
  };
  return win;
}

describe('the page token', () => {
  it('moves from the address bar to sessionStorage, once', () => {
    const win = fakeWindow('http://127.0.0.1:5000/?token=abc123&x=1#top');
    expect(takeToken(win)).toBe('abc123');
    expect(win.location.href).toBe('http://127.0.0.1:5000/?x=1#top');
    // A reload no longer has it in the address, but the tab remembers it.
    expect(takeToken(win)).toBe('abc123');
    expect(win.history.replaceState).toHaveBeenCalledTimes(1);
  });
});

describe('HTTP transport', () => {
  function respond(status: number, body: unknown) {
    return vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify(body), { status }));
  }

  it('posts to /api/<method> with the bearer token and returns the result', async () => {
    const fetch = respond(200, { ok: true, result: [] });
    const client = createHttpTransport({
      origin: 'http://127.0.0.1:5000',
      token: 'tok',
      fetch: fetch as never,
    });
    expect(await client.call('sessions', {})).toEqual([]);
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:5000/api/sessions');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.body).toBe('{}');
  });

  it('rejects with the engine’s error data', async () => {
    const error = { code: 'auth-failed', message: 'Refused.', hint: 'Check the password.' };
    const client = createHttpTransport({
      origin: 'http://x',
      token: 't',
      fetch: respond(200, { ok: false, error }) as never,
    });
    await expect(client.call('sessions', {})).rejects.toEqual(error);
  });

  it('refuses an answer that is not the wire’s envelope', async () => {
    for (const body of [{ ok: true }, { ok: false, error: { code: 'no-such-code', message: 'x' } }, [1]]) {
      const client = createHttpTransport({
        origin: 'http://x',
        token: 't',
        fetch: respond(200, body) as never,
      });
      await expect(client.call('sessions', {})).rejects.toMatchObject({ code: 'unreachable' });
    }
  });

  it('tells the page once the server refuses its token (401), and still rejects', async () => {
    const error = {
      code: 'unauthorized',
      message: 'This request did not carry the token of this Twinlock run.',
      hint: 'Open Twinlock from the address it printed when it started.',
    };
    const onRefused = vi.fn();
    const client = createHttpTransport({
      origin: 'http://x',
      token: 'stale',
      fetch: respond(401, { ok: false, error }) as never,
      onRefused,
    });
    await expect(client.call('sessions', {})).rejects.toEqual(error);
    expect(onRefused).toHaveBeenCalledWith(error);
  });

  it('tells the page at once when it has no token, and calls nothing', async () => {
    const fetch = respond(200, { ok: true, result: [] });
    const onRefused = vi.fn();
    const createSocket = vi.fn();
    const client = createHttpTransport({
      origin: 'http://x',
      token: null,
      fetch: fetch as never,
      createSocket,
      onRefused,
    });
    expect(onRefused).toHaveBeenCalledWith(expect.objectContaining({ code: 'unauthorized' }));
    await expect(client.call('sessions', {})).rejects.toMatchObject({ code: 'unauthorized' });
    client.subscribe(() => undefined);
    expect(fetch).not.toHaveBeenCalled();
    expect(createSocket).not.toHaveBeenCalled();
  });

  it('does not call an ordinary engine error a refusal', async () => {
    const onRefused = vi.fn();
    const client = createHttpTransport({
      origin: 'http://x',
      token: 't',
      fetch: respond(200, { ok: false, error: { code: 'auth-failed', message: 'Refused.' } }) as never,
      onRefused,
    });
    await expect(client.call('sessions', {})).rejects.toMatchObject({ code: 'auth-failed' });
    expect(onRefused).not.toHaveBeenCalled();
  });

  it('keeps the sentence of an error whose code is outside the closed list', () => {
    expect(toUiError({ code: 'from-a-newer-engine', message: 'Disk full.' }, 'the export')).toEqual({
      code: 'internal',
      message: 'Twinlock hit an unexpected problem during the export: Disk full.',
      hint: expect.any(String),
    });
    expect(toUiError({ code: 'auth-failed', message: 'Refused.', hint: 'Check.' })).toEqual({
      code: 'auth-failed',
      message: 'Refused.',
      hint: 'Check.',
    });
  });

  it('says the engine is not answering when the server is gone', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const client = createHttpTransport({ origin: 'http://x', token: 't', fetch: fetch as never });
    await expect(client.call('sessions', {})).rejects.toMatchObject({
      code: 'unreachable',
      hint: expect.any(String),
    });
  });
});

describe('IPC transport', () => {
  it('unwraps replies and rejects with error data', async () => {
    const bridge = {
      call: vi.fn(async (method: string) =>
        method === 'sessions'
          ? { ok: true as const, result: [] }
          : { ok: false as const, error: { code: 'not-found' as const, message: 'No.' } },
      ),
      onEvent: vi.fn(() => () => undefined),
      onMenu: vi.fn(() => () => undefined),
    };
    const client = createIpcTransport(bridge);
    expect(await client.call('sessions', {})).toEqual([]);
    await expect(client.call('status', { sessionId: 'x' })).rejects.toEqual({
      code: 'not-found',
      message: 'No.',
    });
    expect(typeof client.saveBundleAs).toBe('function');
  });

  it('calls shell:saveBundleAs with the configuration, and passes on only known menu commands', async () => {
    let menu: (command: unknown) => void = () => undefined;
    const bridge = {
      call: vi.fn(async () => ({ ok: true as const, result: { path: '/b.json' } })),
      onEvent: vi.fn(() => () => undefined),
      onMenu: vi.fn((listener: (command: never) => void) => {
        menu = listener as (command: unknown) => void;
        return () => undefined;
      }),
    };
    const client = createIpcTransport(bridge);
    expect(await client.saveBundleAs!({ name: 'P' } as never)).toEqual({ path: '/b.json' });
    expect(bridge.call).toHaveBeenCalledWith('shell:saveBundleAs', { config: { name: 'P' } });
    const heard: string[] = [];
    client.onMenu!((command) => heard.push(command));
    menu('export-bundle');
    menu('format-disk');
    expect(heard).toEqual(['export-bundle']);
  });
});

describe('following a job', () => {
  const snap = (state: 'running' | 'done', percent: number): JobSnapshotOf<'scan'> => ({
    id: 'j1',
    kind: 'scan',
    state,
    startedAt: '2025-01-01T00:00:00Z',
    finishedAt: null,
    percent,
    message: '',
    hosts: {},
    error: null,
    result: [],
  });

  it('takes snapshots from events and ends on the final one', async () => {
    const client = fakeClient({ job: () => snap('running', 0) });
    const seen: number[] = [];
    const follower = followJob<'scan'>(client, 'j1', (s) => seen.push(s.percent), 10_000);
    await new Promise((r) => setTimeout(r, 0));
    client.emit({ type: 'job', job: { ...snap('running', 50), id: 'other' } } as ApiEvent);
    client.emit({ type: 'job', job: snap('running', 50) });
    client.emit({ type: 'job', job: snap('done', 100) });
    expect((await follower.done).state).toBe('done');
    expect(seen).toEqual([0, 50, 100]);
  });

  it('polls when no event comes (a dropped socket, or a job that ended before subscribing)', async () => {
    let calls = 0;
    const client = fakeClient({ job: () => (++calls < 3 ? snap('running', calls * 10) : snap('done', 100)) });
    const final = await followJob<'scan'>(client, 'j1', () => undefined, 5).done;
    expect(final.percent).toBe(100);
    expect(calls).toBe(3);
  });
});
