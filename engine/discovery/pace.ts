/**
 * Pacing of a scan, the way a good scanner keeps dead addresses from holding back live ones
 * without flooding its own event loop:
 * - at most `fresh` hosts may be waiting for their first answers at once;
 * - a host that has waited longer than `freshMs` is presumed dead or far away and stops counting,
 *   so up to the scan's concurrency can sit on connect timeouts while new hosts keep starting;
 * - at most `burst` hosts start in one turn of the event loop, so the connect callbacks of the
 *   hosts already started run promptly.
 *
 * On a LAN (or loopback) where every address answers at once, this keeps a few hundred sockets in
 * flight instead of a thousand: the round trips measured are the network's, not the queue's, and
 * far fewer short-lived objects outlive a young-generation collection, which is what a /16 scan's
 * memory is made of.
 */

export interface PaceOptions {
  /** Hosts awaiting their first answers at once (default 48). */
  fresh?: number;
  /** After this long without an answer, a host no longer holds back the next ones (default 20 ms). */
  freshMs?: number;
  /** Hosts started in one turn of the event loop (default 8). */
  burst?: number;
}

export const DEFAULT_PACE: Required<PaceOptions> = { fresh: 48, freshMs: 20, burst: 8 };

export interface Pacer {
  /** Resolves when one more host may start; call the returned function when its probes are done. */
  admit(): Promise<() => void>;
  /** Lets every waiter through (a cancel or the deadline): the scan loop checks its own signal. */
  close(): void;
  /** Hosts counted as fresh right now (for tests). */
  readonly fresh: number;
}

export function createPacer(options: PaceOptions = {}): Pacer {
  const { fresh: limit, freshMs, burst } = { ...DEFAULT_PACE, ...options };
  let fresh = 0;
  let startedThisTurn = 0;
  let turnScheduled = false;
  let closed = false;
  const waiting: Array<() => void> = [];

  const canStart = (): boolean => closed || (fresh < limit && startedThisTurn < burst);

  const wake = (): void => {
    while (waiting.length > 0 && canStart()) waiting.shift()!();
  };

  const nextTurn = (): void => {
    if (turnScheduled) return;
    turnScheduled = true;
    setImmediate(() => {
      turnScheduled = false;
      startedThisTurn = 0;
      wake();
    });
  };

  /** Counts one host in and hands out the function that counts it out (once). */
  const start = (): (() => void) => {
    if (closed) return () => undefined;
    fresh++;
    startedThisTurn++;
    nextTurn();
    let counted = true;
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
      if (waiting.length === 0 && canStart()) return Promise.resolve(start());
      return new Promise<() => void>((resolve) => waiting.push(() => resolve(start())));
    },
    close() {
      closed = true;
      wake();
    },
  };
}
