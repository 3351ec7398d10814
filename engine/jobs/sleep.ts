/**
 * The engine's time: every wait of a long operation (a retry's back-off, a restart's wait, the
 * polls of an agent's or a pair's state, the job runner's progress throttle) reads the time and
 * sets its timers through a {@link Clock}, injected through the engine's timing options
 * (`EngineOptions.timings.clock`), so that a test can move time itself instead of waiting for it.
 */
import { TwinlockError } from '../api/errors';

export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Calls `fn` once, `ms` from now; returns what cancels it. */
  timer(ms: number, fn: () => void): () => void;
}

/** Real time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  timer(ms, fn) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

/** Waits on `clock`, or rejects with `cancelled` as soon as the job is cancelled. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () =>
      new TwinlockError({
        code: 'cancelled',
        message: 'The operation was cancelled.',
        hint: 'Start it again when you are ready.',
      });
    if (signal?.aborted) return reject(cancelled());
    const cancel = clock.timer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    const onAbort = () => {
      cancel();
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
