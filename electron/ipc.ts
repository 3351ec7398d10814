/**
 * Binds the engine's contract to Electron IPC: one `ipcMain.handle` for every method, a sender
 * check on each call, errors returned as data, and every engine event forwarded to the window.
 */
import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { isMethodName, PairConfigSchema, toErrorData, TwinlockError } from '../engine/api';
import type { MethodName, PairConfig, TwinlockApi, TwinlockEngine } from '../engine/api';
import { isAppPage } from './app-page';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels';
import type { CallReply, ShellMethodName } from './channels';

/** What the desktop shell adds to the contract. */
export interface ShellOperations {
  /** Asks where to save and writes the bundle there; null when the admin cancels. */
  saveBundleAs(config: PairConfig): Promise<unknown>;
}

/** How to bind. */
export interface IpcOptions {
  engine: TwinlockEngine;
  /** The web contents that receive engine events (the open windows). */
  targets(): WebContents[];
  /** Desktop-only operations; `shell:` calls are refused without them. */
  shell?: ShellOperations;
}

/** A live binding. */
export interface IpcBinding {
  /** The last pair configuration the page applied or exported (for File › Export bundle…). */
  lastPairConfig(): PairConfig | null;
  /** Removes the handler and stops forwarding events. */
  dispose(): void;
}

const FOREIGN_SENDER = {
  code: 'invalid-input',
  message: 'This request did not come from the Twinlock window.',
  hint: 'Restart Twinlock.',
} as const;

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
  let lastConfig: PairConfig | null = null;

  const remember = (method: string, input: unknown): void => {
    const candidate =
      method === 'pair'
        ? input
        : method === 'exportBundle' || method === 'shell:saveBundleAs'
          ? pick(input, 'config')
          : undefined;
    const parsed = PairConfigSchema.safeParse(candidate);
    if (parsed.success) lastConfig = parsed.data;
  };

  const handle = async (event: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<CallReply> => {
    if (!isTrustedSender(event)) return { ok: false, error: { ...FOREIGN_SENDER } };
    try {
      if (method === ('shell:saveBundleAs' satisfies ShellMethodName)) {
        if (options.shell === undefined) throw unknownMethod(String(method));
        const config = PairConfigSchema.safeParse(pick(input, 'config'));
        if (!config.success) {
          throw new TwinlockError({
            code: 'invalid-input',
            message: 'The pair configuration to export is incomplete.',
            hint: 'Go back to the Pair step and check every field.',
          });
        }
        remember(method, input);
        return { ok: true, result: await options.shell.saveBundleAs(config.data) };
      }
      if (!isMethodName(method)) throw unknownMethod(String(method));
      const result = await callMethod(engine.api, method, input);
      remember(method, input);
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: toErrorData(err, typeof method === 'string' ? `“${method}”` : 'a call') };
    }
  };

  ipcMain.handle(CALL_CHANNEL, handle);
  const unsubscribe = engine.subscribe((event) => {
    for (const contents of options.targets()) {
      if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
    }
  });

  return {
    lastPairConfig: () => lastConfig,
    dispose() {
      unsubscribe();
      ipcMain.removeHandler(CALL_CHANNEL);
    },
  };
}

function callMethod(api: TwinlockApi, name: MethodName, input: unknown): Promise<unknown> {
  const method = api[name] as (input: unknown) => Promise<unknown>;
  return method.call(api, input);
}

function pick(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function unknownMethod(name: string): TwinlockError {
  return new TwinlockError({
    code: 'not-found',
    message: `Twinlock has no operation called “${name.slice(0, 60)}”.`,
    hint: 'The window and the engine may come from different versions: restart Twinlock.',
  });
}
