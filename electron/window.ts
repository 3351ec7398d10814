/**
 * The wizard window: isolated, sandboxed, without Node, and unable to navigate anywhere but its
 * own page or to open other windows.
 */
import { BrowserWindow } from 'electron';
import type { BrowserWindowConstructorOptions, WebContents, WebPreferences } from 'electron';
import { APP_PAGE_URL, isAppUrl } from './app-page';

/**
 * The web preferences every Twinlock window is created with. `devTools`: development builds
 * only; a packaged build cannot open them at all (no menu item, no shortcut, no API call).
 */
export function secureWebPreferences(preloadPath: string, devTools = false): WebPreferences {
  return {
    preload: preloadPath,
    devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Refuses navigation away from the app's page, new windows and embedded webviews. */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** How to create the window. */
export interface WindowOptions {
  /** Absolute path of the bundled preload (CommonJS). */
  preloadPath: string;
  /** Window icon, when the resources hold one. */
  iconPath?: string;
  /** Allows the developer tools (development builds only). Default false. */
  devTools?: boolean;
}

/** Creates the wizard window and loads the app's page. */
export function createMainWindow(options: WindowOptions): BrowserWindow {
  const windowOptions: BrowserWindowConstructorOptions = {
    width: 1200,
    height: 820,
    minWidth: 960,
    minHeight: 640,
    title: 'Twinlock',
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: secureWebPreferences(options.preloadPath, options.devTools ?? false),
  };
  if (options.iconPath !== undefined) windowOptions.icon = options.iconPath;
  const win = new BrowserWindow(windowOptions);
  lockDownContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_PAGE_URL);
  return win;
}
