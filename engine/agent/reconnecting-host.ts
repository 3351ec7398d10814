/**
 * A host that reconnects: the connection to one server during an install, reopened after it
 * dropped, and which failures are worth reconnecting for.
 */
import { TwinlockError } from '../api/errors';
import type { ErrorCode } from '../api/errors';
import type { RemoteHost } from '../remote/types';
import type { InstallTarget } from './install-types';

/** Failures worth another attempt after reconnecting: the network, not the server's answer. */
const TRANSIENT: readonly ErrorCode[] = ['connection-lost', 'unreachable', 'timeout'];

/** The session of one target, reopened when its connection dropped. */
export class ReconnectingHost {
  private current: RemoteHost;

  constructor(private readonly t: InstallTarget) {
    this.current = t.host;
  }

  /** The host as it is now, without reconnecting (for best-effort clean-up). */
  get host(): RemoteHost {
    return this.current;
  }

  async live(): Promise<RemoteHost> {
    if (this.current.isConnected()) return this.current;
    if (!this.t.reconnect) {
      throw new TwinlockError({
        code: 'connection-lost',
        message: `The connection to ${this.t.label} dropped.`,
        hint: 'Check that the server is up and reachable, then install again; completed steps are not repeated.',
        detail: { host: this.t.label },
      });
    }
    this.current = await this.t.reconnect();
    return this.current;
  }
}

export function isTransient(err: unknown): boolean {
  return err instanceof TwinlockError && TRANSIENT.includes(err.code);
}
