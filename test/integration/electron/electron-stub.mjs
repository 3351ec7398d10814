/**
 * A stand-in for the `electron` module when the desktop bundle (dist-electron/main.js) is loaded
 * by plain Node: it records what the app asks of Electron, so a test can see the app start.
 */
import { EventEmitter } from 'node:events';

const noop = () => undefined;
/** `events` sends `window` as each window opens and `quit` as the app asks to quit. */
const state = {
  windows: [],
  handlers: new Map(),
  protocolHandlers: new Map(),
  menu: null,
  sent: [],
  dialogs: [],
  quitCalls: 0,
  errors: [],
  events: new EventEmitter(),
};
globalThis.__electronStub = state;

// TWINLOCK_STUB_RESOURCES_PATH stands for an installed app: Electron sets process.resourcesPath to
// the folder holding app.asar and the extra resources, and app.isPackaged to true.
const installedResources = process.env.TWINLOCK_STUB_RESOURCES_PATH;
if (installedResources) process.resourcesPath = installedResources;

class App extends EventEmitter {
  isPackaged = Boolean(installedResources);
  requestSingleInstanceLock = () => true;
  enableSandbox = noop;
  getAppPath = () => process.cwd();
  getPath = () => process.env.TWINLOCK_STUB_USER_DATA;
  getVersion = () => '0.1.0';
  whenReady = async () => undefined;
  quit = () => {
    state.quitCalls++;
    state.events.emit('quit');
  };
  exit = (code) => state.errors.push(`app.exit(${code})`);
}

class WebContents extends EventEmitter {
  send = (channel, payload) => state.sent.push([channel, payload]);
  isDestroyed = () => false;
  setWindowOpenHandler = noop;
}

class BrowserWindow extends EventEmitter {
  static getAllWindows = () => state.windows;
  webContents = new WebContents();
  loaded = null;
  constructor(options) {
    super();
    this.options = options;
    state.windows.push(this);
    state.events.emit('window');
  }
  loadURL(url) {
    this.loaded = url;
    return Promise.resolve();
  }
  show = noop;
  focus = noop;
  restore = noop;
  isMinimized = () => false;
}

export const app = new App();
state.app = app;
export { BrowserWindow };
export const ipcMain = {
  handle: (channel, fn) => state.handlers.set(channel, fn),
  removeHandler: (channel) => state.handlers.delete(channel),
};
export const protocol = {
  registerSchemesAsPrivileged: noop,
  handle: (scheme, fn) => state.protocolHandlers.set(scheme, fn),
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: noop,
    setPermissionCheckHandler: noop,
    webRequest: { onHeadersReceived: noop },
  },
};
export const Menu = {
  buildFromTemplate: (t) => t,
  setApplicationMenu: (menu) => {
    state.menu = menu;
  },
};
export const dialog = {
  showSaveDialog: async () => {
    state.dialogs.push('save');
    return { canceled: true, filePath: '' };
  },
  showMessageBox: async () => {
    state.dialogs.push('message');
    return { response: 0 };
  },
  showErrorBox: (title, text) => state.errors.push(`${title} ${text}`),
};
export default { app, BrowserWindow, ipcMain, protocol, session, Menu, dialog };
