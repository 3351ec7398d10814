import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TwinlockError } from '../../../engine/api';
import type { ApiEvent, TwinlockApi, TwinlockEngine } from '../../../engine/api';
import type { FileToSave } from '../../../electron/ipc';

vi.mock('electron', async () => (await import('./fake-electron')).electron);

const { electron, FakeWebContents } = await import('./fake-electron');
const { bindIpc, isTrustedSender } = await import('../../../electron/ipc');

type Handler = (event: unknown, method: unknown, input: unknown) => Promise<unknown>;

const config = {
  name: 'PAIR-01',
  level: 3,
  primary: 's1',
  secondary: 's2',
  links: [
    { localNic: 'SYNC1', remoteNic: 'SYNC1', localAddress: '169.254.10.1', remoteAddress: '169.254.10.2' },
  ],
  witness: null,
  vms: [],
};

function fakeEngine() {
  const listeners = new Set<(e: ApiEvent) => void>();
  const api = {
    sessions: vi.fn(async () => []),
    connect: vi.fn(async () => {
      throw new TwinlockError({
        code: 'unknown-host-key',
        message: 'This server’s key has never been seen.',
        hint: 'Compare it with the server’s key.',
        detail: { fingerprint: 'SHA256:abc' },
      });
    }),
    pair: vi.fn(async () => ({ jobId: 'j1', kind: 'pair' })),
    exportBundle: vi.fn(async () => ({ path: '/x.json' })),
  };
  const engine: TwinlockEngine = {
    api: api as unknown as TwinlockApi,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => undefined,
  };
  return { engine, api, emit: (e: ApiEvent) => listeners.forEach((l) => l(e)), listeners };
}

const appFrame = { url: 'app://twinlock/index.html', parent: null };
const from = (frame: unknown) => ({ senderFrame: frame });

describe('IPC binding', () => {
  let handler: Handler;
  let fake: ReturnType<typeof fakeEngine>;
  let target: InstanceType<typeof FakeWebContents>;
  let saveBundleAs: ReturnType<typeof vi.fn<(config: unknown) => Promise<unknown>>>;
  let saveFile: ReturnType<
    typeof vi.fn<(file: FileToSave) => Promise<{ saved: boolean; path: string | null }>>
  >;
  let binding: ReturnType<typeof bindIpc>;

  beforeEach(() => {
    electron.ipcMain.handlers.clear();
    fake = fakeEngine();
    target = new FakeWebContents();
    saveBundleAs = vi.fn(async (_config: unknown): Promise<unknown> => ({ path: '/chosen.json' }));
    saveFile = vi.fn(async (file: FileToSave) => ({
      saved: true,
      path: `/home/admin/Documents/${file.name}`,
    }));
    binding = bindIpc({
      engine: fake.engine,
      targets: () => [target as never],
      shell: {
        saveBundleAs,
        saveFile,
        takeOpenedBundle: async () => ({ name: 'PAIR-01.twinlock.json', text: '{}' }),
      },
    });
    handler = electron.ipcMain.handlers.get('twinlock:call') as Handler;
  });

  it('binds one handler on twinlock:call', () => {
    expect(handler).toBeTypeOf('function');
  });

  it('hands the page a bundle the admin opened, from the page only', async () => {
    expect(await handler(from(appFrame), 'shell:takeOpenedBundle', {})).toEqual({
      ok: true,
      result: { name: 'PAIR-01.twinlock.json', text: '{}' },
    });
    const foreign = await handler(
      from({ url: 'https://example.com/', parent: null }),
      'shell:takeOpenedBundle',
      {},
    );
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('saves a file the page holds through the Save dialog, refusing a name with a folder in it', async () => {
    const file = { name: 'verify-HV01-HV02.pdf', kind: 'PDF document', contentBase64: 'JVBERi0=' };
    expect(await handler(from(appFrame), 'shell:saveFile', file)).toEqual({
      ok: true,
      result: { saved: true, path: '/home/admin/Documents/verify-HV01-HV02.pdf' },
    });
    expect(saveFile).toHaveBeenCalledWith(file);
    for (const name of ['../evil.exe', 'C:\\Windows\\x.dll', 'a/b.pdf', '..', '', 'a\u0001b.pdf']) {
      const reply = await handler(from(appFrame), 'shell:saveFile', { ...file, name });
      expect(reply, name).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    }
    const notBase64 = await handler(from(appFrame), 'shell:saveFile', {
      ...file,
      contentBase64: 'not base64!',
    });
    expect(notBase64).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(saveFile).toHaveBeenCalledTimes(1);
    const foreign = await handler(
      from({ url: 'https://example.com/', parent: null }),
      'shell:saveFile',
      file,
    );
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('lets a call from the app’s page reach the engine', async () => {
    expect(await handler(from(appFrame), 'sessions', {})).toEqual({ ok: true, result: [] });
    expect(fake.api.sessions).toHaveBeenCalledWith({});
  });

  it('rejects a foreign sender before the engine sees anything', async () => {
    for (const frame of [
      { url: 'https://example.com/', parent: null },
      { url: 'file:///C:/evil.html', parent: null },
      { url: 'app://twinlock/index.html', parent: appFrame },
      { url: 'app://other/index.html', parent: null },
      null,
    ]) {
      const reply = (await handler(from(frame), 'sessions', {})) as { ok: boolean; error: { code: string } };
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe('forbidden');
    }
    expect(fake.api.sessions).not.toHaveBeenCalled();
    expect(isTrustedSender(from(appFrame) as never)).toBe(true);
  });

  it('returns engine errors as data with code, hint and detail', async () => {
    const reply = await handler(from(appFrame), 'connect', { address: 'a' });
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'unknown-host-key',
        message: 'This server’s key has never been seen.',
        hint: 'Compare it with the server’s key.',
        detail: { fingerprint: 'SHA256:abc' },
      },
    });
  });

  it('refuses a method outside the contract', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'rm', 42]) {
      const reply = (await handler(from(appFrame), name, {})) as { ok: boolean; error: { code: string } };
      expect(reply).toMatchObject({ ok: false, error: { code: 'not-found' } });
    }
  });

  it('forwards every engine event to the window', () => {
    const event: ApiEvent = { type: 'log', level: 'info', message: 'hello', at: '2025-01-01T00:00:00Z' };
    fake.emit(event);
    expect(target.send).toHaveBeenCalledWith('twinlock:event', event);
  });

  it('offers Save as for the configuration the page sends', async () => {
    expect(await handler(from(appFrame), 'shell:saveBundleAs', { config })).toEqual({
      ok: true,
      result: { path: '/chosen.json' },
    });
    expect(saveBundleAs).toHaveBeenCalledWith(expect.objectContaining({ name: 'PAIR-01' }));
    expect(await handler(from(appFrame), 'shell:saveBundleAs', { config: { name: '' } })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    });
  });

  it('answers a failed Save as with the error as data', async () => {
    saveBundleAs.mockRejectedValueOnce(
      new TwinlockError({ code: 'not-found', message: 'The session s1 is closed.', hint: 'Connect again.' }),
    );
    expect(await handler(from(appFrame), 'shell:saveBundleAs', { config })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'The session s1 is closed.', hint: 'Connect again.' },
    });
  });

  it('keeps no state of the page: an applied configuration is not kept for the menu', async () => {
    await handler(from(appFrame), 'pair', config);
    expect(Object.keys(binding).sort()).toEqual(['dispose', 'menu']);
  });

  it('passes a menu command to the window on twinlock:menu', () => {
    binding.menu('export-bundle');
    expect(target.send).toHaveBeenCalledWith('twinlock:menu', 'export-bundle');
    target.isDestroyed.mockReturnValueOnce(true);
    target.send.mockClear();
    binding.menu('export-bundle');
    expect(target.send).not.toHaveBeenCalled();
  });

  it('refuses Save as when the shell offers no operations', async () => {
    binding.dispose();
    bindIpc({ engine: fake.engine, targets: () => [] });
    const bare = electron.ipcMain.handlers.get('twinlock:call') as Handler;
    expect(await bare(from(appFrame), 'shell:saveBundleAs', { config })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  });

  it('stops handling and forwarding once disposed', () => {
    binding.dispose();
    expect(electron.ipcMain.handlers.has('twinlock:call')).toBe(false);
    expect(fake.listeners.size).toBe(0);
  });
});
