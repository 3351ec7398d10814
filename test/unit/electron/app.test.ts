import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TwinlockApi, TwinlockEngine } from '../../../engine/api';
import { appPaths } from '../../../engine/app-paths';

vi.mock('electron', async () => (await import('./fake-electron')).electron);

const { electron, FakeBrowserWindow } = await import('./fake-electron');
const { startDesktopApp, wantsLab, denyPermissions, prepareBeforeReady } =
  await import('../../../electron/app');
const { mkdtemp, writeFile } = await import('node:fs/promises');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { menuTemplate } = await import('../../../electron/menu');

function fakeEngine(): TwinlockEngine & { close: ReturnType<typeof vi.fn> } {
  return { api: {} as TwinlockApi, subscribe: () => () => undefined, close: vi.fn(async () => undefined) };
}

describe('desktop lifecycle', () => {
  beforeEach(() => {
    electron.app.removeAllListeners();
    FakeBrowserWindow.instances.length = 0;
    vi.clearAllMocks();
  });

  it('creates the engine in the user’s data folder and opens one window', async () => {
    const engine = fakeEngine();
    const createEngine = vi.fn(() => engine);
    const startLab = vi.fn();
    await startDesktopApp({
      createEngine,
      startLab,
      argv: [],
      env: {},
      bundleDir: '/opt/twinlock/dist-electron',
    });
    // The scripts and the agent package from the one resolver (the installed app's are in
    // test/integration/packaging), not from beside the bundle.
    expect(createEngine).toHaveBeenCalledWith({
      dataDir: '/home/admin/.config/Twinlock',
      resourcesDir: appPaths().resources,
    });
    expect(startLab).not.toHaveBeenCalled();
    expect(FakeBrowserWindow.instances).toHaveLength(1);
    expect(FakeBrowserWindow.instances[0]?.options.webPreferences).toMatchObject({
      preload: '/opt/twinlock/dist-electron/preload.cjs',
    });
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });

  it('starts the lab only when asked, and hands it to the engine', async () => {
    const labHost = {
      name: 'HV-A',
      address: '127.0.0.1',
      port: 2222,
      username: 'Administrator',
      password: 'p',
    };
    const lab = { forEngine: { hosts: [labHost] }, close: vi.fn(async () => undefined) };
    const createEngine = vi.fn(() => fakeEngine());
    await startDesktopApp({
      createEngine,
      startLab: async () => lab,
      argv: ['--lab'],
      env: {},
      bundleDir: '/b',
    });
    expect(createEngine).toHaveBeenCalledWith(expect.objectContaining({ lab: { hosts: [labHost] } }));
    expect(wantsLab([], { TWINLOCK_LAB: '1' })).toBe(true);
    expect(wantsLab([], {})).toBe(false);
  });

  it('closes the engine and the lab before quitting', async () => {
    const engine = fakeEngine();
    const lab = { forEngine: { hosts: [] }, close: vi.fn(async () => undefined) };
    await startDesktopApp({
      createEngine: () => engine,
      startLab: async () => lab,
      argv: ['--lab'],
      env: {},
      bundleDir: '/b',
    });
    const event = { preventDefault: vi.fn() };
    electron.app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(engine.close).toHaveBeenCalled();
    expect(lab.close).toHaveBeenCalled();
  });

  /** The menu labels and the window's devTools preference of one start. */
  async function devToolsOf(packaged: boolean, env: NodeJS.ProcessEnv) {
    const proc = process as { resourcesPath?: string };
    const before = proc.resourcesPath;
    electron.app.isPackaged = packaged;
    proc.resourcesPath = '/opt/twinlock/resources-root';
    try {
      await startDesktopApp({ createEngine: () => fakeEngine(), argv: [], env, bundleDir: '/b' });
    } finally {
      electron.app.isPackaged = false;
      proc.resourcesPath = before;
    }
    const template = electron.Menu.buildFromTemplate.mock.calls.at(
      -1,
    )?.[0] as Electron.MenuItemConstructorOptions[];
    const roles = template.flatMap((m) =>
      ((m.submenu as Electron.MenuItemConstructorOptions[]) ?? []).map((i) => i.role),
    );
    const prefs = FakeBrowserWindow.instances.at(-1)?.options.webPreferences as { devTools?: boolean };
    return { menu: roles.includes('toggleDevTools'), window: prefs.devTools };
  }

  it('allows the developer tools only when not packaged; a packaged build ignores TWINLOCK_DEV', async () => {
    expect(await devToolsOf(true, { TWINLOCK_DEV: '1' })).toEqual({ menu: false, window: false });
    expect(await devToolsOf(true, {})).toEqual({ menu: false, window: false });
    expect(await devToolsOf(false, {})).toEqual({ menu: true, window: true });
  });

  it('passes File › Export bundle… to the page, which holds the configuration', async () => {
    await startDesktopApp({ createEngine: () => fakeEngine(), argv: [], env: {}, bundleDir: '/b' });
    const template = electron.Menu.buildFromTemplate.mock.calls.at(
      -1,
    )?.[0] as Electron.MenuItemConstructorOptions[];
    const file = template.find((m) => m.label === 'File')?.submenu as Electron.MenuItemConstructorOptions[];
    const item = file.find((i) => i.label === 'Export bundle…');
    (item?.click as () => void)();
    const win = FakeBrowserWindow.instances.at(-1)!;
    expect(win.webContents.send).toHaveBeenCalledWith('twinlock:menu', 'export-bundle');
    // The shell itself neither asks where to save nor shows a message: the page does.
    expect(electron.dialog.showSaveDialog).not.toHaveBeenCalled();
    expect(electron.dialog.showMessageBox).not.toHaveBeenCalled();
  });

  /** Calls a shell operation as the wizard's page does. */
  async function callAsPage(method: string): Promise<unknown> {
    const handle = electron.ipcMain.handlers.get('twinlock:call') as (
      event: unknown,
      method: string,
      input: unknown,
    ) => Promise<unknown>;
    return handle({ senderFrame: { url: 'app://twinlock/index.html', parent: null } }, method, {});
  }

  it('keeps a bundle it was started with, a second launch’s and macOS’s open-file for the page', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-open-'));
    for (const name of ['first.twinlock.json', 'second.twinlock.json', 'third.twinlock.json'])
      await writeFile(join(dir, name), `{"name":"${name}"}`);
    await startDesktopApp({
      createEngine: () => fakeEngine(),
      argv: ['/opt/Twinlock/twinlock', '--lab-not-a-bundle', join(dir, 'first.twinlock.json')],
      env: {},
      bundleDir: '/b',
    });
    const win = FakeBrowserWindow.instances.at(-1)!;
    electron.app.emit('second-instance', {}, ['/opt/Twinlock/twinlock', 'second.twinlock.json'], dir);
    const openFile = { preventDefault: vi.fn() };
    electron.app.emit('open-file', openFile, join(dir, 'third.twinlock.json'));
    electron.app.emit('open-file', { preventDefault: vi.fn() }, join(dir, 'notes.txt'));
    expect(openFile.preventDefault).toHaveBeenCalled();
    // The page is told of the two that came while it runs, and takes all three in order.
    expect(
      win.webContents.send.mock.calls.filter(([c, m]) => c === 'twinlock:menu' && m === 'open-bundle'),
    ).toHaveLength(2);
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await callAsPage('shell:takeOpenedBundle'));
    expect(taken).toEqual([
      { ok: true, result: { name: 'first.twinlock.json', text: '{"name":"first.twinlock.json"}' } },
      { ok: true, result: { name: 'second.twinlock.json', text: '{"name":"second.twinlock.json"}' } },
      { ok: true, result: { name: 'third.twinlock.json', text: '{"name":"third.twinlock.json"}' } },
      { ok: true, result: null },
    ]);
  });

  it('opens a bundle from File › Open bundle…', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-open-'));
    const file = join(dir, 'PAIR-01.twinlock.json');
    await writeFile(file, '{}');
    electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [file] });
    await startDesktopApp({ createEngine: () => fakeEngine(), argv: [], env: {}, bundleDir: '/b' });
    const template = electron.Menu.buildFromTemplate.mock.calls.at(
      -1,
    )?.[0] as Electron.MenuItemConstructorOptions[];
    const menu = template.find((m) => m.label === 'File')?.submenu as Electron.MenuItemConstructorOptions[];
    (menu.find((i) => i.label === 'Open bundle…')?.click as () => void)();
    const win = FakeBrowserWindow.instances.at(-1)!;
    await vi.waitFor(() => expect(win.webContents.send).toHaveBeenCalledWith('twinlock:menu', 'open-bundle'));
    expect(await callAsPage('shell:takeOpenedBundle')).toEqual({
      ok: true,
      result: { name: 'PAIR-01.twinlock.json', text: '{}' },
    });
  });

  it('quits when the last window closes (except on macOS)', async () => {
    await startDesktopApp({ createEngine: () => fakeEngine(), argv: [], env: {}, bundleDir: '/b' });
    electron.app.emit('window-all-closed');
    expect(electron.app.quit).toHaveBeenCalledTimes(process.platform === 'darwin' ? 0 : 1);
  });

  it('gives way to an instance already running', async () => {
    electron.app.requestSingleInstanceLock.mockReturnValueOnce(false);
    const createEngine = vi.fn(() => fakeEngine());
    await startDesktopApp({ createEngine, argv: [], env: {}, bundleDir: '/b' });
    expect(electron.app.quit).toHaveBeenCalled();
    expect(createEngine).not.toHaveBeenCalled();
  });

  it('turns the sandbox on for every renderer and registers the app scheme before ready', () => {
    prepareBeforeReady();
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({
        scheme: 'app',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      }),
    ]);
  });

  it('denies every permission and sets the CSP on responses', () => {
    const ses = electron.session.defaultSession;
    denyPermissions(ses as never);
    const request = ses.setPermissionRequestHandler.mock.calls[0]?.[0] as (...a: unknown[]) => void;
    const callback = vi.fn();
    request({}, 'media', callback, {});
    expect(callback).toHaveBeenCalledWith(false);
    const check = ses.setPermissionCheckHandler.mock.calls[0]?.[0] as (...a: unknown[]) => boolean;
    expect(check({}, 'notifications', 'app://twinlock', {})).toBe(false);
    const onHeaders = ses.webRequest.onHeadersReceived.mock.calls[0]?.[0] as (...a: unknown[]) => void;
    const done = vi.fn();
    onHeaders({ responseHeaders: { 'X-A': ['1'] } }, done);
    const headers = done.mock.calls[0]?.[0].responseHeaders as Record<string, string[]>;
    expect(headers['Content-Security-Policy']?.[0]).toMatch(
      /default-src 'self'.*object-src 'none'.*frame-ancestors 'none'/,
    );
    expect(headers['Content-Security-Policy']?.[0]).not.toContain('unsafe-inline');
    // The app page's own policy (with the nonce of its load) is kept; anything else gets the desktop's.
    const own = vi.fn();
    const pagePolicy = "default-src 'self'; style-src 'self' 'nonce-abc'";
    onHeaders(
      { url: 'app://twinlock/index.html', responseHeaders: { 'content-security-policy': [pagePolicy] } },
      own,
    );
    expect(own.mock.calls[0]?.[0].responseHeaders).toEqual({ 'content-security-policy': [pagePolicy] });
    const foreign = vi.fn();
    onHeaders(
      {
        url: 'https://example.com/',
        responseHeaders: { 'content-security-policy': ["style-src 'unsafe-inline'"] },
      },
      foreign,
    );
    const replaced = foreign.mock.calls[0]?.[0].responseHeaders as Record<string, string[]>;
    expect(Object.keys(replaced)).toEqual(['Content-Security-Policy']);
    expect(replaced['Content-Security-Policy']?.[0]).not.toContain('unsafe-inline');
  });
});

describe('application menu', () => {
  const actions = { openBundle: vi.fn(), exportBundle: vi.fn(), about: vi.fn() };
  const labels = (template: Electron.MenuItemConstructorOptions[]): string[] =>
    template.flatMap((m) => [
      String(m.label ?? m.role),
      ...((m.submenu as Electron.MenuItemConstructorOptions[]) ?? []).map(
        (i) => `${String(m.label)}/${String(i.label ?? i.role ?? i.type)}`,
      ),
    ]);

  it('has File › Open bundle…, Export bundle… and Quit, View › Reload, Help › About Twinlock', () => {
    const all = labels(menuTemplate(actions, { dev: false, platform: 'win32' }));
    expect(all).toEqual(
      expect.arrayContaining([
        'File/Open bundle…',
        'File/Export bundle…',
        'File/Quit',
        'View/Reload',
        'Help/About Twinlock',
      ]),
    );
    expect(all).not.toContain('View/Toggle Developer Tools');
  });

  it('offers developer tools only in development', () => {
    expect(labels(menuTemplate(actions, { dev: true, platform: 'linux' }))).toContain(
      'View/Toggle Developer Tools',
    );
  });
});
