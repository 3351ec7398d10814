/**
 * File transfer to Windows OpenSSH over SFTP: bounded write requests, a window of requests in
 * flight, throttled progress, and resume of a partial upload.
 */
import { open as openLocal } from 'node:fs/promises';
import type { SFTPWrapper, Stats } from 'ssh2';
import { TwinlockError } from '../api/errors';
import type { UploadProgress } from './types';

/** Windows OpenSSH's sftp-server fails WRITE requests carrying more than 100 KB. */
export const MAX_SFTP_WRITE = 100 * 1024;
/** Bytes per WRITE request; comfortably below {@link MAX_SFTP_WRITE}. */
export const UPLOAD_CHUNK = 64 * 1024;
/** WRITE requests in flight: enough to fill a LAN link without waiting on each reply. */
export const UPLOAD_CONCURRENCY = 16;
/**
 * Requests may complete out of order, so a cut upload can leave holes in its last window; a resume
 * rewrites that much before the remote size. (The server-side SHA-256 check is the final word.)
 */
export const RESUME_REWIND = UPLOAD_CHUNK * UPLOAD_CONCURRENCY;

export interface SftpUploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Continue a partial remote file of the same name (default true). */
  resume?: boolean;
  chunkSize?: number;
  concurrency?: number;
  /** Minimum milliseconds between progress reports (the final one is always sent). Default 100. */
  progressIntervalMs?: number;
}

/** Where a (re)started upload begins, from the local size and the remote file's size, if any. Pure. */
export function resumeOffset(localSize: number, remoteSize: number | null, resume = true): number {
  if (!resume || remoteSize === null || remoteSize >= localSize) return 0;
  const back = Math.max(0, remoteSize - RESUME_REWIND);
  return back - (back % UPLOAD_CHUNK);
}

/**
 * Throttles progress to one report per `intervalMs` (plus the final one) and computes the rate
 * over roughly the last second.
 */
export function createProgressMeter(
  bytesTotal: number,
  onProgress: ((p: UploadProgress) => void) | undefined,
  intervalMs = 100,
  now: () => number = Date.now,
): { update(bytesDone: number, final?: boolean): void } {
  const samples: Array<[number, number]> = [];
  let lastEmit = -Infinity;
  return {
    update(bytesDone, final = false) {
      const t = now();
      samples.push([t, bytesDone]);
      while (samples.length > 2 && t - (samples[1]?.[0] ?? t) >= 1000) samples.shift();
      if (!onProgress || (!final && t - lastEmit < intervalMs)) return;
      lastEmit = t;
      const [t0, b0] = samples[0] ?? [t, bytesDone];
      const rateBps = t > t0 ? Math.round(((bytesDone - b0) * 1000) / (t - t0)) : 0;
      onProgress({ bytesDone, bytesTotal, rateBps });
    },
  };
}

function call<T>(fn: (cb: (err: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** SFTP status code of an error from ssh2 (2 = no such file, 4 = failure), if any. */
function sftpCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

async function statOrNull(sftp: SFTPWrapper, path: string): Promise<Stats | null> {
  try {
    return await call<Stats>((cb) => sftp.stat(path, cb));
  } catch (err) {
    if (sftpCode(err) === 2) return null;
    throw err;
  }
}

/**
 * Creates an SFTP folder and its parents, e.g. `/C:/ProgramData/Twinlock/packages`; existing
 * folders are fine. The drive (`/C:`) is never created.
 */
export async function sftpMkdirp(sftp: SFTPWrapper, remotePath: string): Promise<void> {
  const parts = remotePath.split('/').filter((p) => p.length > 0);
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    if (/^[A-Za-z]:$/.test(part) && current === `/${part}`) continue;
    const existing = await statOrNull(sftp, current);
    if (existing?.isDirectory()) continue;
    if (existing) throw new Error(`${current} exists and is not a folder`);
    try {
      await call<void>((cb) => sftp.mkdir(current, cb));
    } catch (err) {
      // Another upload may have created it in the meantime.
      if (!(await statOrNull(sftp, current))?.isDirectory()) throw err;
    }
  }
}

/** Uploads `localPath` to `remotePath` (SFTP form), resuming a shorter remote file. */
export async function sftpUpload(
  sftp: SFTPWrapper,
  localPath: string,
  remotePath: string,
  options: SftpUploadOptions = {},
): Promise<void> {
  const chunkSize = Math.min(options.chunkSize ?? UPLOAD_CHUNK, MAX_SFTP_WRITE);
  const concurrency = Math.max(1, options.concurrency ?? UPLOAD_CONCURRENCY);
  const { signal } = options;
  throwIfAborted(signal);

  const local = await openLocal(localPath, 'r');
  let handle: Buffer | null = null;
  try {
    const size = (await local.stat()).size;
    const remote = await statOrNull(sftp, remotePath);
    const offset = resumeOffset(size, remote?.isFile() ? remote.size : null, options.resume ?? true);
    // 'r+' keeps the bytes already there; 'w' truncates a stale or longer file.
    handle = await call<Buffer>((cb) => sftp.open(remotePath, offset > 0 ? 'r+' : 'w', cb));
    const meter = createProgressMeter(size, options.onProgress, options.progressIntervalMs ?? 100);
    meter.update(offset, true);

    await new Promise<void>((resolve, reject) => {
      let next = offset;
      let done = offset;
      let inFlight = 0;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => fail(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      const h = handle as Buffer;
      const pump = () => {
        while (!settled && inFlight < concurrency && next < size) {
          const pos = next;
          const len = Math.min(chunkSize, size - pos);
          next += len;
          inFlight++;
          const buf = Buffer.allocUnsafe(len);
          local
            .read(buf, 0, len, pos)
            .then(({ bytesRead }) => {
              if (bytesRead !== len) throw new Error(`${localPath} changed while it was being uploaded`);
              return call<void>((cb) => sftp.write(h, buf, 0, len, pos, cb));
            })
            .then(() => {
              inFlight--;
              done += len;
              if (settled) return;
              if (done >= size) {
                settled = true;
                signal?.removeEventListener('abort', onAbort);
                meter.update(done, true);
                resolve();
              } else {
                meter.update(done);
                pump();
              }
            }, fail);
        }
      };
      if (signal?.aborted) onAbort();
      else if (offset >= size) {
        settled = true;
        resolve();
      } else pump();
    });

    const h = handle;
    handle = null;
    await call<void>((cb) => sftp.close(h, cb));
    if (offset >= size) meter.update(size, true);
  } finally {
    if (handle) {
      try {
        sftp.close(handle, () => undefined);
      } catch {
        // The channel is already gone: the server closes the handle with it.
      }
    }
    await local.close();
  }
}

function cancelled(): TwinlockError {
  return new TwinlockError({ code: 'cancelled', message: 'The upload was cancelled.' });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}
