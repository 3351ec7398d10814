/**
 * The IPC surface between the preload and the main process: three channels. Shared by both
 * sides; imports nothing so the sandboxed preload bundle stays tiny (the reply envelope is the
 * wire's: engine/api/wire.ts).
 */

/** `ipcRenderer.invoke(CALL_CHANNEL, method, input)` → the wire's `Reply`. */
export const CALL_CHANNEL = 'twinlock:call';

/** `webContents.send(EVENT_CHANNEL, event)` for every engine event. */
export const EVENT_CHANNEL = 'twinlock:event';

/** `webContents.send(MENU_CHANNEL, command)` when the admin picks a menu item the page answers. */
export const MENU_CHANNEL = 'twinlock:menu';

/**
 * Operations only the desktop shell offers, called through {@link CALL_CHANNEL} like the
 * engine's methods. `shell:saveBundleAs` asks where to save, then writes the bundle there;
 * it answers null when the admin cancels the dialog. `shell:takeOpenedBundle` hands the page the
 * next bundle file the admin opened with Twinlock (double-click, `twinlock-desktop FILE`, File ›
 * Open bundle…) as `{ name, text }`, or null: the page never names a path itself.
 * `shell:saveFile` asks where to save a file the page holds (a report, a plan) with the native
 * Save dialog and writes it there: `{ saved, path }`, `saved: false` when the admin cancels.
 */
export const SHELL_METHODS = ['shell:saveBundleAs', 'shell:takeOpenedBundle', 'shell:saveFile'] as const;
export type ShellMethodName = (typeof SHELL_METHODS)[number];
