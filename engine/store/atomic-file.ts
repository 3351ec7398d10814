/**
 * Files in the data folder are replaced atomically (temp file in the same folder, fsync, rename),
 * so a crash or a full disk leaves either the old content or the new one, never half of each.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { TwinlockError } from '../api/errors';

export interface WriteFileAtomicOptions {
  /** File mode; use 0o600 for anything sensitive (known hosts, journal, settings). Default 0o600. */
  mode?: number;
}

/** Writes `data` to `path` atomically, creating the parent folder (mode 0o700) when missing. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
    await syncDir(dir);
  } finally {
    if (!renamed) await rm(temp, { force: true }).catch(() => undefined);
  }
}

/** Makes the rename itself durable; Windows cannot open folders for fsync, which is harmless there. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on folders; the data itself is already synced.
  }
}

/** Serialises `value` as pretty JSON and writes it atomically. */
export async function writeJsonFile(
  path: string,
  value: unknown,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);
}

/**
 * Reads and validates a JSON file. Returns null when the file does not exist; throws
 * TwinlockError `internal` naming the file when it is unreadable, not JSON, or not the expected shape.
 */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
): Promise<z.output<S> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TwinlockError(
      {
        code: 'internal',
        message: `Twinlock cannot read ${path}.`,
        hint: 'Check that your account can read this file and that the disk is healthy.',
        detail: { path },
      },
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    // Never the parser's message: it quotes bytes of the file.
    throw corrupt(path, 'it is not valid JSON', err);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    throw corrupt(
      path,
      `its content is not what Twinlock expects${where}: ${first?.message ?? 'invalid'}`,
      parsed.error,
    );
  }
  return parsed.data;
}

function corrupt(path: string, why: string, cause: unknown): TwinlockError {
  return new TwinlockError(
    {
      code: 'internal',
      message: `The file ${path} is damaged: ${why}.`,
      hint: 'Move the file aside (or delete it) and try again; Twinlock recreates it.',
      detail: { path },
    },
    { cause },
  );
}
