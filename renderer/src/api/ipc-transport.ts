/** The desktop transport: `window.twinlock`, exposed by the Electron preload. */
import type { ExportBundleResult, Reply, TwinlockBridge } from '../../../engine/api';
import { isMenuCommand } from '../../../engine/api/wire';
import type { ApiClient } from './client';
import { toUiError } from './errors';

declare global {
  interface Window {
    /** Present only inside the desktop app. */
    twinlock?: TwinlockBridge;
  }
}

async function invoke(bridge: TwinlockBridge, method: string, input: unknown): Promise<unknown> {
  let reply: Reply;
  try {
    reply = await bridge.call(method, input);
  } catch (err) {
    throw toUiError(err, `“${method}”`);
  }
  if (reply.ok) return reply.result;
  throw toUiError(reply.error);
}

/** A client over the preload's bridge. */
export function createIpcTransport(bridge: TwinlockBridge): ApiClient {
  return {
    call: (method, input) => invoke(bridge, method, input) as never,
    subscribe: (listener) => bridge.onEvent(listener),
    saveBundleAs: async (config) =>
      (await invoke(bridge, 'shell:saveBundleAs', { config })) as ExportBundleResult | null,
    saveFile: async (file) => {
      const result = (await invoke(bridge, 'shell:saveFile', file)) as { saved?: unknown; path?: unknown };
      return {
        saved: result?.saved === true,
        path: typeof result?.path === 'string' ? result.path : null,
      };
    },
    takeOpenedBundle: async () => {
      const opened = await invoke(bridge, 'shell:takeOpenedBundle', {});
      if (opened === null) return null;
      const { name, text } = (opened ?? {}) as { name?: unknown; text?: unknown };
      if (typeof name !== 'string' || typeof text !== 'string') {
        throw toUiError({
          code: 'internal',
          message: 'The desktop shell handed over a bundle Twinlock cannot read.',
        });
      }
      return { name, text };
    },
    // Only the commands of the wire's closed list reach the stores.
    onMenu: (listener) =>
      bridge.onMenu((command) => {
        if (isMenuCommand(command)) listener(command);
      }),
  };
}
