/**
 * The one way the wizard talks to the engine. Stores call it; components never do. It is typed
 * from the engine's contract (types only: the renderer never loads engine code).
 */
import type {
  ApiEvent,
  ApiInput,
  ApiOutput,
  ExportBundleResult,
  MenuCommand,
  MethodName,
  PairConfig,
} from '../../../engine/api';

/** The engine's contract as the page sees it, whatever carries it. */
export interface ApiClient {
  /** Calls one method; rejects with a TwinlockErrorData-shaped object. */
  call<M extends MethodName>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
  /** Receives every engine event; returns a function that stops it. */
  subscribe(listener: (e: ApiEvent) => void): () => void;
  /** Desktop only: asks where to save, then writes the bundle there (null when cancelled). */
  saveBundleAs?: (config: PairConfig) => Promise<ExportBundleResult | null>;
  /** Desktop only: the next bundle file the admin opened with Twinlock, as its name and text; null when none. */
  takeOpenedBundle?: () => Promise<{ name: string; text: string } | null>;
  /** Desktop only: asks where to save a file (native Save dialog) and writes it; `saved: false` when cancelled. */
  saveFile?: (file: {
    name: string;
    kind: string;
    contentBase64: string;
  }) => Promise<{ saved: boolean; path: string | null }>;
  /** Desktop only: receives the menu's commands (File › Export bundle…); returns a function that stops it. */
  onMenu?: (listener: (command: MenuCommand) => void) => () => void;
}

let current: ApiClient | null = null;

/** Installs the client the stores use (the chosen transport, or a fake in tests). */
export function setApiClient(client: ApiClient): void {
  current = client;
}

/** The client installed at startup. */
export function useApiClient(): ApiClient {
  if (current === null) throw new Error('The API client is used before it was set up.');
  return current;
}
