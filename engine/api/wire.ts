/**
 * The wire: how a call crosses a process boundary (Electron IPC, HTTP) and comes back. Every
 * transport carries the same reply envelope, built by {@link dispatch} on the engine's side and
 * read by {@link isReply} on the page's. Errors travel as data because neither IPC nor JSON keeps
 * a thrown error's code, hint and detail.
 *
 * The page may import this module's values (it holds no engine code and no Node API).
 */
import type { TwinlockApi } from './contract';
import { isTwinlockErrorData, toErrorData } from './errors';
import type { TwinlockErrorData } from './errors';
import type { ApiEvent } from './jobs';

/** What every call resolves to, whatever carries it. */
export type Reply<T = unknown> = { ok: true; result: T } | { ok: false; error: TwinlockErrorData };

/** True for anything shaped like TwinlockErrorData with a code of the contract's closed list. */
export const isErrorData: (value: unknown) => value is TwinlockErrorData = isTwinlockErrorData;

/** True for a well-formed {@link Reply} (what a transport received, before it trusts it). */
export function isReply(value: unknown): value is Reply {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.ok === true) return 'result' in v;
  return v.ok === false && isErrorData(v.error);
}

/** The error a call of a method the contract does not have gets. */
export function unknownMethodError(name: unknown): TwinlockErrorData {
  return {
    code: 'not-found',
    message: `Twinlock has no operation called “${String(name).slice(0, 60)}”.`,
    hint: 'The page and the engine may come from different versions: restart Twinlock.',
  };
}

/** True when `name` is one of the api's own methods (never an inherited one such as `constructor`). */
function isMethodOf(api: TwinlockApi, name: unknown): name is keyof TwinlockApi {
  return (
    typeof name === 'string' &&
    Object.prototype.hasOwnProperty.call(api, name) &&
    typeof (api as unknown as Record<string, unknown>)[name] === 'function'
  );
}

/**
 * Calls one method for a transport and answers with the envelope; never rejects. The engine
 * validates the input itself, so any value is passed on.
 */
export async function dispatch(api: TwinlockApi, method: unknown, input: unknown): Promise<Reply> {
  if (!isMethodOf(api, method)) return { ok: false, error: unknownMethodError(method) };
  try {
    const call = api[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, result: await call.call(api, input) };
  } catch (err) {
    return { ok: false, error: toErrorData(err, `“${method}”`) };
  }
}

/**
 * What the desktop shell asks the page to do: export the pair's bundle (File › Export bundle…),
 * or take a bundle the admin opened with Twinlock (`shell:takeOpenedBundle`).
 */
export const MENU_COMMANDS = ['export-bundle', 'open-bundle'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/** True for a command of {@link MENU_COMMANDS}. */
export function isMenuCommand(value: unknown): value is MenuCommand {
  return (MENU_COMMANDS as readonly unknown[]).includes(value);
}

/**
 * What the desktop preload exposes as `window.twinlock`: the only bridge between the page and
 * the main process.
 */
export interface TwinlockBridge {
  /** Calls one method of the contract (or a `shell:` operation); never rejects for engine errors. */
  call(method: string, input: unknown): Promise<Reply>;
  /** Receives every engine event; returns a function that stops it. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** Receives the menu's commands (File › Export bundle…); returns a function that stops it. */
  onMenu(listener: (command: MenuCommand) => void): () => void;
}
