/**
 * The desktop shell's lifecycle: one instance, one window, the engine created at start and closed
 * at quit, the lab only on request, and every permission or navigation refused.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, dialog, Menu, protocol, session } from 'electron';
import type { WebContents } from 'electron';
import type { PairConfig, TwinlockEngine } from '../engine/api';
import type { EngineOptions } from '../engine/engine';
import { bundleFileName } from '../engine/api/rules';
import { appPaths } from '../engine/app-paths';
import { APP_SCHEME, DESKTOP_CSP, isAppUrl, serveAppRequest } from './app-page';
import { bindIpc } from './ipc';
import type { FileToSave, IpcBinding } from './ipc';
import { menuTemplate } from './menu';
import { OpenedBundles, bundlePathsIn } from './opened-bundles';
import { createMainWindow, lockDownContents } from './window';

/** A running lab as the shell sees it: what to hand the engine, and something to stop at quit. */
export interface LabHandle {
  /** Passed to the engine factory as `lab` (the lab's hosts, so Discover can offer them). */
  forEngine: NonNullable<EngineOptions['lab']>;
  close(): Promise<void>;
}

/** Everything the shell needs from outside Electron, injected so it can be tested at its seams. */
export interface DesktopDeps {
  createEngine(options: EngineOptions): TwinlockEngine;
  /** Starts the lab (imported lazily: it is only loaded when asked for). */
  startLab?: () => Promise<LabHandle>;
  /** Command-line arguments (`--lab`). */
  argv?: string[];
  /** Environment (`TWINLOCK_LAB=1`). */
  env?: NodeJS.ProcessEnv;
  /** Folder of the bundled main and preload (dist-electron/). */
  bundleDir: string;
}

/** True when the admin asked for the simulated servers. */
export function wantsLab(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--lab') || env.TWINLOCK_LAB === '1';
}

/**
 * What Electron only accepts before its `ready` event, so it runs when the main module loads:
 * the sandbox for every renderer (not only those that ask), and the app scheme.
 */
export function prepareBeforeReady(): void {
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Refuses every permission (camera, notifications, geolocation, …): the wizard needs none. */
export function denyPermissions(ses: Electron.Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    // The app's page brings its own policy, with the nonce of that load: keep it, set ours elsewhere.
    const own = Object.keys(headers).find((name) => name.toLowerCase() === 'content-security-policy');
    if (own !== undefined && isAppUrl(details.url)) {
      callback({ responseHeaders: headers });
      return;
    }
    if (own !== undefined) delete headers[own];
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [DESKTOP_CSP] } });
  });
}

/** Starts the desktop app; resolves once the window is open. */
export async function startDesktopApp(deps: DesktopDeps): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const argv = deps.argv ?? process.argv;
  const env = deps.env ?? process.env;
  // Developer tools only when running from the source tree: nothing in a packaged build's
  // environment (TWINLOCK_DEV=1 once did) can open them on an admin's workstation.
  const dev = !app.isPackaged;
  // One resolver for the source tree, the bundle and the installed app (extraResources).
  const { resources: resourcesDir, renderer: rendererDir } = appPaths();

  let win: BrowserWindow | null = null;
  let binding: IpcBinding | null = null;
  let engine: TwinlockEngine | null = null;
  let lab: LabHandle | null = null;

  // Bundles opened with Twinlock: on its command line (double-click on Windows and Linux), by the
  // system (macOS), by a second launch, or from File › Open bundle…. The page takes each in turn.
  const bundles = new OpenedBundles();
  for (const file of bundlePathsIn(argv, process.cwd())) bundles.add(file);
  const opened = (file: string): void => {
    if (bundles.add(file)) binding?.menu('open-bundle');
  };
  app.on('open-file', (event, file) => {
    event.preventDefault();
    opened(file);
  });
  app.on('second-instance', (_event, otherArgv, cwd) => {
    for (const file of bundlePathsIn(otherArgv, cwd)) opened(file);
    if (win === null) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  app.on('window-all-closed', () => {
    // macOS apps stay alive without windows until the admin quits them.
    if (process.platform !== 'darwin') app.quit();
  });

  let shutDown = false;
  app.on('before-quit', (event) => {
    if (shutDown) return;
    event.preventDefault();
    shutDown = true;
    void (async () => {
      binding?.dispose();
      await engine?.close().catch(() => undefined);
      await lab?.close().catch(() => undefined);
      app.quit();
    })();
  });

  await app.whenReady();
  denyPermissions(session.defaultSession);
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request.url));

  if (wantsLab(argv, env) && deps.startLab !== undefined) lab = await deps.startLab();
  const engineOptions: EngineOptions = { dataDir: app.getPath('userData'), resourcesDir };
  if (lab !== null) engineOptions.lab = lab.forEngine;
  engine = deps.createEngine(engineOptions);
  const running = engine;

  const openWindow = (): BrowserWindow => {
    win = createMainWindow({ preloadPath: path.join(deps.bundleDir, 'preload.cjs'), devTools: dev });
    win.on('closed', () => {
      win = null;
    });
    return win;
  };

  binding = bindIpc({
    engine: running,
    targets: () => BrowserWindow.getAllWindows().map((w): WebContents => w.webContents),
    shell: {
      saveBundleAs: (config) => saveBundleAs(running, config, win),
      takeOpenedBundle: () => bundles.take(),
      saveFile: (file) => saveFile(file, win),
    },
  });
  const bound = binding;

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(
        {
          // The page holds the pair's configuration: its pair store answers through shell:saveBundleAs.
          exportBundle: () => bound.menu('export-bundle'),
          openBundle: () => void pickBundle(win).then((file) => file !== null && opened(file)),
          about: () => void showAbout(win),
        },
        { dev, platform: process.platform },
      ),
    ),
  );

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  openWindow();
}

/** Asks which bundle to open; null when the admin cancels. */
async function pickBundle(win: BrowserWindow | null): Promise<string | null> {
  const options: Electron.OpenDialogOptions = {
    title: 'Open a configuration bundle',
    // `.json` too: bundles were first written as `.twinlock.json`.
    filters: [{ name: 'Twinlock bundle', extensions: ['twinlock', 'json'] }],
    properties: ['openFile'],
  };
  const choice =
    win === null ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(win, options);
  return choice.canceled ? null : (choice.filePaths[0] ?? null);
}

/** Asks where to save the bundle, then writes it; null when the admin cancels. */
async function saveBundleAs(
  engine: TwinlockEngine,
  config: PairConfig,
  win: BrowserWindow | null,
): Promise<unknown> {
  const options: Electron.SaveDialogOptions = {
    title: 'Export the pair’s configuration bundle',
    defaultPath: bundleFileName(config.name),
    filters: [{ name: 'Twinlock bundle', extensions: ['twinlock'] }],
  };
  const choice =
    win === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(win, options);
  if (choice.canceled || choice.filePath === undefined || choice.filePath === '') return null;
  return engine.api.exportBundle({ config, path: choice.filePath });
}

/** Asks where to save a file the page holds (the native Save dialog), then writes it. */
async function saveFile(
  file: FileToSave,
  win: BrowserWindow | null,
): Promise<{ saved: boolean; path: string | null }> {
  const extension = path.extname(file.name).slice(1);
  const options: Electron.SaveDialogOptions = {
    title: `Save ${file.name}`,
    defaultPath: path.join(app.getPath('documents'), file.name),
    filters: extension ? [{ name: file.kind, extensions: [extension] }] : [],
  };
  const choice =
    win === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(win, options);
  if (choice.canceled || choice.filePath === undefined || choice.filePath === '')
    return { saved: false, path: null };
  await writeFile(choice.filePath, Buffer.from(file.contentBase64, 'base64'));
  return { saved: true, path: choice.filePath };
}

async function showAbout(win: BrowserWindow | null): Promise<void> {
  await message(win, {
    type: 'info',
    message: `Twinlock ${app.getVersion()}`,
    detail: 'Makes two Windows servers fault tolerant: discover, verify, install, pair, prove.',
  });
}

function message(win: BrowserWindow | null, options: Electron.MessageBoxOptions): Promise<unknown> {
  return win === null ? dialog.showMessageBox(options) : dialog.showMessageBox(win, options);
}
