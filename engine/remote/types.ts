/** What the rest of the engine sees of a connected server. Implemented in session.ts. */
import type { ScriptName, ScriptParams } from './scripts';

export interface RunOptions {
  /** Fails with `timeout` after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Aborts with `cancelled`. */
  signal?: AbortSignal;
}

export interface UploadProgress {
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second, averaged over the last second or so. */
  rateBps: number;
}

export interface UploadOptions extends RunOptions {
  /** At most ~10 calls a second, plus one at the start and one at the end. */
  onProgress?: (progress: UploadProgress) => void;
  /** Continue a shorter remote file of the same name instead of starting over (default true). */
  resume?: boolean;
}

/** One server over SSH. */
export interface RemoteHost {
  /** `address:port`. */
  readonly label: string;
  readonly address: string;
  readonly port: number;
  readonly username: string;
  /** Pinned `SHA256:…` fingerprint. */
  readonly fingerprint: string;
  /**
   * Runs `resources/scripts/<name>.ps1` with `params` and returns the script's `data`
   * (unvalidated: callers parse it with zod). A script that reports failure throws
   * TwinlockError `script-failed` with PowerShell's message; a dropped connection `connection-lost`.
   */
  runScript<N extends ScriptName>(name: N, params: ScriptParams[N], options?: RunOptions): Promise<unknown>;
  /** Uploads a local file by SFTP to an SFTP path such as `/C:/ProgramData/Twinlock/packages/x.msi`. */
  upload(localPath: string, remotePath: string, options?: UploadOptions): Promise<void>;
  /** Creates a remote folder and its parents (SFTP path); no error when it exists. */
  mkdirp(remotePath: string): Promise<void>;
  /** True while the SSH connection is up. */
  isConnected(): boolean;
  close(): Promise<void>;
}
