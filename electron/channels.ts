/**
 * The IPC surface between the preload and the main process: two channels and one envelope.
 * Shared by both sides; imports nothing so the sandboxed preload bundle stays tiny.
 */

/** `ipcRenderer.invoke(CALL_CHANNEL, method, input)` → {@link CallReply}. */
export const CALL_CHANNEL = 'twinlock:call';

/** `webContents.send(EVENT_CHANNEL, event)` for every engine event. */
export const EVENT_CHANNEL = 'twinlock:event';

/**
 * Operations only the desktop shell offers, called through {@link CALL_CHANNEL} like the
 * engine's methods. `shell:saveBundleAs` asks where to save, then writes the bundle there;
 * it answers null when the admin cancels the dialog.
 */
export const SHELL_METHODS = ['shell:saveBundleAs'] as const;
export type ShellMethodName = (typeof SHELL_METHODS)[number];

/** The error part of a reply: the engine's TwinlockErrorData, as plain data. */
export interface CallError {
  code: string;
  message: string;
  hint?: string;
  detail?: Record<string, unknown>;
}

/**
 * What every call resolves to. Errors travel as data because Electron flattens a thrown error
 * into a string message, losing its code, hint and detail.
 */
export type CallReply = { ok: true; result: unknown } | { ok: false; error: CallError };
