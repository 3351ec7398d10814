/** A wait that a cancelled job cuts short. */
import { TwinlockError } from '../api/errors';

/** Waits, or rejects with `cancelled` as soon as the job is cancelled. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () =>
      new TwinlockError({
        code: 'cancelled',
        message: 'The operation was cancelled.',
        hint: 'Start it again when you are ready.',
      });
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
