/** The desktop transport: `window.twinlock`, exposed by the Electron preload. */
import type { ApiEvent, ExportBundleResult, TwinlockErrorData } from '../../../engine/api';
import type { ApiClient } from './client';
import { toUiError } from './errors';

/** What every bridged call resolves to: errors arrive as data, never thrown. */
type BridgeReply = { ok: true; result: unknown } | { ok: false; error: TwinlockErrorData };

/** The preload's bridge. */
export interface TwinlockBridge {
  call(method: string, input: unknown): Promise<BridgeReply>;
  onEvent(listener: (event: unknown) => void): () => void;
}

declare global {
  interface Window {
    /** Present only inside the desktop app. */
    twinlock?: TwinlockBridge;
  }
}

async function invoke(bridge: TwinlockBridge, method: string, input: unknown): Promise<unknown> {
  let reply: BridgeReply;
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
    subscribe: (listener) => bridge.onEvent((event) => listener(event as ApiEvent)),
    saveBundleAs: async (config) =>
      (await invoke(bridge, 'shell:saveBundleAs', { config })) as ExportBundleResult | null,
  };
}
