/**
 * Pacing of a scan, the way a good scanner keeps dead addresses from holding back live ones
 * without flooding its own event loop:
 * - at most `fresh` hosts may be waiting for their first answers at once;
 * - a host that has waited longer than `freshMs` is presumed dead or far away and stops counting,
 *   so up to the scan's concurrency can sit on connect timeouts while new hosts keep starting.
 *
 * On a LAN (or loopback) where every address answers at once, this keeps a few hundred sockets in
 * flight instead of a thousand: the connect callbacks run promptly (so the round trips measured are
 * the network's, not the queue's) and far fewer short-lived objects outlive a young-generation
 * collection, which is what a /16 scan's memory is made of.
 */

/** Hosts awaiting their first answers at once. */
export const DEFAULT_FRESH_HOSTS = 48;
/** After this long without an answer, a host no longer holds back the next ones. */
export const DEFAULT_FRESH_MS = 50;

export interface Pacer {
  /** Resolves when one more host may start; call the returned function when its probes are done. */
  admit(): Promise<() => void>;
  /** Lets every waiter through (a cancel or the deadline): the scan loop checks its own signal. */
  close(): void;
  /** Hosts counted as fresh right now (for tests). */
  readonly fresh: number;
}

export function createPacer(limit = DEFAULT_FRESH_HOSTS, freshMs = DEFAULT_FRESH_MS): Pacer {
  let fresh = 0;
  let closed = false;
  const waiting: Array<() => void> = [];

  const wake = (): void => {
    while (waiting.length > 0 && (closed || fresh < limit)) {
      if (!closed) fresh++;
      waiting.shift()!();
    }
  };

  const ticket = (): (() => void) => {
    let counted = !closed;
    const release = (): void => {
      if (!counted) return;
      counted = false;
      clearTimeout(timer);
      fresh--;
      wake();
    };
    const timer = setTimeout(release, freshMs);
    return release;
  };

  return {
    get fresh() {
      return fresh;
    },
    admit() {
      if (closed || (fresh < limit && waiting.length === 0)) {
        if (!closed) fresh++;
        return Promise.resolve(ticket());
      }
      return new Promise<() => void>((resolve) => waiting.push(() => resolve(ticket())));
    },
    close() {
      closed = true;
      wake();
    },
  };
}
