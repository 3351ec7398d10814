/**
 * The only bridge between the wizard page and the main process. It exposes exactly
 * `window.twinlock = { call, onEvent, onMenu }` (the wire's TwinlockBridge); `ipcRenderer` itself
 * never reaches the page. Sandboxed preloads cannot be ES modules, so this file is bundled to
 * CommonJS; it imports only channel names and types, so the bundle stays tiny.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { ApiEvent } from '../engine/api/jobs';
import type { MenuCommand, Reply, TwinlockBridge } from '../engine/api/wire';
import { CALL_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL } from './channels';

/** Passes a channel's payload on without the IpcRendererEvent (its `sender` is a way back into IPC). */
function listen<T>(channel: string, listener: (payload: T) => void): () => void {
  const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload as T);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

const bridge: TwinlockBridge = {
  call(method, input) {
    return ipcRenderer.invoke(CALL_CHANNEL, String(method), input) as Promise<Reply>;
  },
  onEvent: (listener) => listen<ApiEvent>(EVENT_CHANNEL, listener),
  onMenu: (listener) => listen<MenuCommand>(MENU_CHANNEL, listener),
};

contextBridge.exposeInMainWorld('twinlock', bridge);
