/**
 * The only bridge between the wizard page and the main process. It exposes exactly
 * `window.twinlock = { call, onEvent }`; `ipcRenderer` itself never reaches the page.
 * Sandboxed preloads cannot be ES modules, so this file is bundled to CommonJS.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels';
import type { CallReply } from './channels';

/** What the page sees as `window.twinlock`. */
export interface TwinlockBridge {
  /** Calls one method of the contract (or a `shell:` operation); never rejects for engine errors. */
  call(method: string, input: unknown): Promise<CallReply>;
  /** Receives every engine event; returns a function that stops it. */
  onEvent(listener: (event: unknown) => void): () => void;
}

const bridge: TwinlockBridge = {
  call(method, input) {
    return ipcRenderer.invoke(CALL_CHANNEL, String(method), input) as Promise<CallReply>;
  },
  onEvent(listener) {
    // Only the event is passed on: the IpcRendererEvent carries `sender`, a way back into IPC.
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('twinlock', bridge);
