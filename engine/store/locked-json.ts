/**
 * State files that several Twinlock processes may change (known hosts, trusted keys, journals,
 * settings) are read, changed and written under a cross-process lock, then replaced atomically.
 * The lock is proper-lockfile's: a `<file>.lock` folder made with mkdir (atomic on every local and
 * network file system), refreshed while held and taken over when stale, so a killed process never
 * blocks the others for long.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as ProperLockfile from 'proper-lockfile';
import type { z } from 'zod';
import { TwinlockError } from '../api/errors';
import type { WriteFileAtomicOptions } from './atomic-file';
import { readJsonFile, writeJsonFile } from './atomic-file';

/** How long a holder may keep a lock without refreshing it before another process takes it over. */
const STALE_MS = 10_000;

/** Waits up to about 30 s in total for another process to finish its change. */
const RETRIES = { retries: 150, factor: 1.1, minTimeout: 5, maxTimeout: 250, randomize: true };

/**
 * The lock library, loaded by the first change: a process that only reads never evaluates it.
 * Its CommonJS exports are the `default` of the module namespace (bundled or not).
 */
type LockLibrary = Pick<typeof ProperLockfile, 'lock'>;
let lockLibrary: Promise<LockLibrary> | undefined;
const loadLockLibrary = (): Promise<LockLibrary> =>
  (lockLibrary ??= import('proper-lockfile').then((m) => (m as { default?: LockLibrary }).default ?? m));

/** Runs `fn` while holding the cross-process lock of `path` (the file itself may not exist yet). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const lockfile = await loadLockLibrary();
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: STALE_MS,
      retries: RETRIES,
      // The library's default throws from a timer, which would end the whole process; a change
      // whose lock was taken over still replaces the file atomically.
      onCompromised: () => undefined,
    });
  } catch (err) {
    throw new TwinlockError(
      {
        code: 'timeout',
        message: `Another Twinlock process kept ${path} locked for too long.`,
        hint: 'Wait for the other Twinlock command or window to finish, then try again.',
        detail: { path },
      },
      { cause: err },
    );
  }
  try {
    return await fn();
  } finally {
    // A lock lost to a takeover (the process stalled past STALE_MS) has nothing left to release.
    await release().catch(() => undefined);
  }
}

/**
 * Reads `path` (or `empty()` when it does not exist), lets `change` edit the parsed document in
 * place, writes it back atomically, and returns what `change` returned — all under the file's
 * cross-process lock, so concurrent processes never lose each other's changes.
 */
export async function updateJsonFile<S extends z.ZodType, R>(
  path: string,
  schema: S,
  empty: () => z.output<S>,
  change: (file: z.output<S>) => R | Promise<R>,
  options: WriteFileAtomicOptions = {},
): Promise<R> {
  return withFileLock(path, async () => {
    const file = (await readJsonFile(path, schema)) ?? empty();
    const result = await change(file);
    await writeJsonFile(path, file, options);
    return result;
  });
}
