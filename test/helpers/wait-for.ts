/**
 * Waiting for something to happen without polling and without a wall-clock bound: `waitFor`
 * checks a condition now and again on each event an emitter sends (a lab server's `down`, `up`,
 * `sftp-write`…, a child process's `exit`), and settles as soon as it holds. A wait that never
 * ends is the test's own timeout, not a guess at how long the machine needs.
 */
import type { EventEmitter } from 'node:events';

export interface WaitSource {
  emitter: EventEmitter;
  /** The events after which the condition is checked again. */
  events: string[];
}

/**
 * Resolves once `holds()` is true, checking it now and after each of the sources' events; rejects
 * when `fails()` (checked at the same moments) returns an error message, e.g. a child process that
 * exited before the condition held.
 */
export function waitFor(
  sources: WaitSource | WaitSource[],
  holds: () => boolean,
  fails: () => string | null = () => null,
): Promise<void> {
  const list = Array.isArray(sources) ? sources : [sources];
  return new Promise((resolve, reject) => {
    const check = () => {
      let failure: string | null = null;
      let done = false;
      try {
        done = holds();
        if (!done) failure = fails();
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      if (!done && failure === null) return;
      for (const { emitter, events } of list) for (const e of events) emitter.off(e, check);
      if (done) resolve();
      else reject(new Error(failure ?? 'failed'));
    };
    for (const { emitter, events } of list) for (const e of events) emitter.on(e, check);
    check();
  });
}
