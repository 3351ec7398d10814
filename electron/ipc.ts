/**
 * Binds the engine's contract to Electron IPC: one `ipcMain.handle` for every method, a sender
 * check on each call, the wire's reply envelope (engine/api/wire.ts), and every engine event and
 * menu command forwarded to the window. It carries calls and keeps no state of the page's.
 */
import { ipcMain } from 'electron';
import { z } from 'zod';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { dispatch, PairConfigSchema, toErrorData, TwinlockError, unknownMethodError } from '../engine/api';
import { hasControlCharacter } from '../engine/api/rules';
import type { MenuCommand, PairConfig, Reply, TwinlockEngine, TwinlockErrorData } from '../engine/api';
import { isAppPage } from './app-page';
import type { OpenedBundle } from './opened-bundles';
import { CALL_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL } from './channels';
import type { ShellMethodName } from './channels';

/** What the desktop shell adds to the contract. */
export interface ShellOperations {
  /** Asks where to save and writes the bundle there; null when the admin cancels. */
  saveBundleAs(config: PairConfig): Promise<unknown>;
  /** The next bundle file the admin opened with Twinlock, read; null when there is none. */
  takeOpenedBundle(): Promise<OpenedBundle | null>;
  /** Asks where to save `file` (native Save dialog) and writes it there. */
  saveFile(file: FileToSave): Promise<{ saved: boolean; path: string | null }>;
}

/** The largest file the page may hand over to save (a PDF report with its figures is far smaller). */
export const MAX_SAVE_BYTES = 32 * 1024 * 1024;

/** A file the page asks the desktop shell to save: a plain file name (no folder), its type and bytes. */
export const FileToSaveSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\\/:*?"<>|]+$/, 'a file name without a folder or any of \\ / : * ? " < > |')
    .refine((n) => !hasControlCharacter(n), 'a file name without control characters')
    .refine((n) => n !== '.' && n !== '..', 'a file name'),
  /** What the Save dialog offers to filter on, e.g. `PDF document`. */
  kind: z.string().min(1).max(60),
  contentBase64: z
    .string()
    .max(Math.ceil(MAX_SAVE_BYTES / 3) * 4, 'at most 32 MB')
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
});
export type FileToSave = z.infer<typeof FileToSaveSchema>;

/** How to bind. */
export interface IpcOptions {
  engine: TwinlockEngine;
  /** The web contents that receive engine events and menu commands (the open windows). */
  targets(): WebContents[];
  /** Desktop-only operations; `shell:` calls are refused without them. */
  shell?: ShellOperations;
}

/** A live binding. */
export interface IpcBinding {
  /** Passes a menu command to the page (File › Export bundle… is answered by the page's pair store). */
  menu(command: MenuCommand): void;
  /** Removes the handler and stops forwarding events. */
  dispose(): void;
}

const FOREIGN_SENDER: TwinlockErrorData = {
  code: 'forbidden',
  message: 'This request did not come from the Twinlock window.',
  hint: 'Restart Twinlock.',
};

/** True when an IPC call comes from the wizard page itself, in the window's main frame. */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame === undefined) return false;
  // A subframe could host other content; only the top-level wizard page may drive the engine.
  if (frame.parent !== null) return false;
  return isAppPage(frame.url);
}

/** Binds `twinlock:call` and starts forwarding events. */
export function bindIpc(options: IpcOptions): IpcBinding {
  const { engine } = options;

  const saveBundleAs = async (input: unknown): Promise<Reply> => {
    if (options.shell === undefined) return { ok: false, error: unknownMethodError('shell:saveBundleAs') };
    const config = PairConfigSchema.safeParse(pick(input, 'config'));
    if (!config.success) {
      return {
        ok: false,
        error: new TwinlockError({
          code: 'invalid-input',
          message: 'The pair configuration to export is incomplete.',
          hint: 'Go back to the Pair step and check every field.',
        }).toData(),
      };
    }
    try {
      return { ok: true, result: await options.shell.saveBundleAs(config.data) };
    } catch (err) {
      return { ok: false, error: toErrorData(err, 'the bundle export') };
    }
  };

  const takeOpenedBundle = async (): Promise<Reply> => {
    if (options.shell === undefined)
      return { ok: false, error: unknownMethodError('shell:takeOpenedBundle') };
    try {
      return { ok: true, result: await options.shell.takeOpenedBundle() };
    } catch (err) {
      return { ok: false, error: toErrorData(err, 'opening the bundle') };
    }
  };

  const saveFile = async (input: unknown): Promise<Reply> => {
    if (options.shell === undefined) return { ok: false, error: unknownMethodError('shell:saveFile') };
    const file = FileToSaveSchema.safeParse(input);
    if (!file.success) {
      const issue = file.error.issues[0];
      return {
        ok: false,
        error: new TwinlockError({
          code: 'invalid-input',
          message: `The file to save is not one Twinlock writes: ${issue?.path.join('.') || 'file'} must be ${issue?.message ?? 'valid'}.`,
          hint: 'Export it again; if it keeps failing, restart Twinlock.',
        }).toData(),
      };
    }
    try {
      return { ok: true, result: await options.shell.saveFile(file.data) };
    } catch (err) {
      return { ok: false, error: toErrorData(err, 'saving the file') };
    }
  };

  const handle = async (event: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<Reply> => {
    if (!isTrustedSender(event)) return { ok: false, error: { ...FOREIGN_SENDER } };
    if (method === ('shell:saveBundleAs' satisfies ShellMethodName)) return saveBundleAs(input);
    if (method === ('shell:takeOpenedBundle' satisfies ShellMethodName)) return takeOpenedBundle();
    if (method === ('shell:saveFile' satisfies ShellMethodName)) return saveFile(input);
    return dispatch(engine.api, method, input);
  };

  const send = (channel: string, payload: unknown): void => {
    for (const contents of options.targets()) {
      if (!contents.isDestroyed()) contents.send(channel, payload);
    }
  };

  ipcMain.handle(CALL_CHANNEL, handle);
  const unsubscribe = engine.subscribe((event) => send(EVENT_CHANNEL, event));

  return {
    menu: (command) => send(MENU_CHANNEL, command),
    dispose() {
      unsubscribe();
      ipcMain.removeHandler(CALL_CHANNEL);
    },
  };
}

function pick(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
