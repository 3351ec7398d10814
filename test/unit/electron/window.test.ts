import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./fake-electron')).electron);

const { FakeBrowserWindow } = await import('./fake-electron');
const { createMainWindow, lockDownContents } = await import('../../../electron/window');
const { APP_PAGE_URL } = await import('../../../electron/app-page');

describe('the wizard window', () => {
  beforeEach(() => {
    FakeBrowserWindow.instances.length = 0;
  });

  it('is created isolated, sandboxed, without Node, with web security on', () => {
    createMainWindow({ preloadPath: '/opt/twinlock/dist-electron/preload.cjs' });
    const [win] = FakeBrowserWindow.instances;
    expect(win?.options.webPreferences).toMatchObject({
      preload: '/opt/twinlock/dist-electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('loads only the app’s own page, from the app scheme', () => {
    createMainWindow({ preloadPath: '/p.cjs' });
    expect(FakeBrowserWindow.instances[0]?.loadURL).toHaveBeenCalledWith('app://twinlock/index.html');
    expect(APP_PAGE_URL).toBe('app://twinlock/index.html');
  });

  it('refuses navigation to anything but the app’s page', () => {
    const win = createMainWindow({ preloadPath: '/p.cjs' });
    const contents = (win as unknown as InstanceType<typeof FakeBrowserWindow>).webContents;
    const navigate = (url: string): boolean => {
      const event = { preventDefault: vi.fn() };
      contents.emit('will-navigate', event, url);
      return event.preventDefault.mock.calls.length === 0;
    };
    expect(navigate('https://example.com/')).toBe(false);
    expect(navigate('file:///etc/passwd')).toBe(false);
    expect(navigate('http://127.0.0.1:8080/')).toBe(false);
    expect(navigate('app://evil/index.html')).toBe(false);
    expect(navigate('app://twinlock/index.html')).toBe(true);
  });

  it('denies every window.open and embedded webview', () => {
    const win = createMainWindow({ preloadPath: '/p.cjs' });
    const contents = (win as unknown as InstanceType<typeof FakeBrowserWindow>).webContents;
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'app://twinlock/index.html' })).toEqual({ action: 'deny' });
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event);
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('locks down any web contents it is given', () => {
    const contents = new (
      FakeBrowserWindow as unknown as new (o: object) => InstanceType<typeof FakeBrowserWindow>
    )({}).webContents;
    lockDownContents(contents as never);
    const event = { preventDefault: vi.fn() };
    contents.emit('will-redirect', event, 'https://example.com/');
    expect(event.preventDefault).toHaveBeenCalled();
  });
});
