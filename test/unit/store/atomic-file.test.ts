import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TwinlockError } from '../../../engine/api/errors';
import { readJsonFile, writeFileAtomic, writeJsonFile } from '../../../engine/store/atomic-file';

const Schema = z.object({ n: z.number() });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates parent folders, writes the content and leaves no temp file', async () => {
    const path = join(dir, 'a', 'b', 'f.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['f.json']);
  });

  it.skipIf(process.platform === 'win32')('applies the mode, 0o600 by default', async () => {
    const secret = join(dir, 's');
    await writeFileAtomic(secret, 'x');
    expect((await stat(secret)).mode & 0o777).toBe(0o600);
    const open = join(dir, 'o');
    await writeFileAtomic(open, 'x', { mode: 0o644 });
    expect((await stat(open)).mode & 0o777).toBe(0o644);
  });

  it('survives concurrent writers: the file always holds one whole version', async () => {
    const path = join(dir, 'c.json');
    await Promise.all(Array.from({ length: 20 }, (_, n) => writeJsonFile(path, { n })));
    expect(Schema.parse(JSON.parse(await readFile(path, 'utf8'))).n).toBeGreaterThanOrEqual(0);
    expect(await readdir(dir)).toEqual(['c.json']);
  });
});

describe('readJsonFile', () => {
  it('returns null when the file is absent', async () => {
    expect(await readJsonFile(join(dir, 'none.json'), Schema)).toBeNull();
  });

  it('reads and validates', async () => {
    await writeJsonFile(join(dir, 'ok.json'), { n: 3 });
    expect(await readJsonFile(join(dir, 'ok.json'), Schema)).toEqual({ n: 3 });
  });

  it('tolerates a BOM left by a Windows editor', async () => {
    await writeFile(join(dir, 'bom.json'), '\uFEFF{"n":1}');
    expect(await readJsonFile(join(dir, 'bom.json'), Schema)).toEqual({ n: 1 });
  });

  it('names the file when it is not JSON', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"n":');
    const err = await readJsonFile(path, Schema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinlockError);
    expect((err as TwinlockError).message).toContain(path);
    expect((err as TwinlockError).message).toContain('not valid JSON');
    expect((err as TwinlockError).hint).toBeTruthy();
  });

  it('says where the shape is wrong', async () => {
    const path = join(dir, 'shape.json');
    await writeFile(path, '{"n":"three"}');
    const err = (await readJsonFile(path, Schema).catch((e: unknown) => e)) as TwinlockError;
    expect(err.code).toBe('internal');
    expect(err.message).toContain('at n');
  });
});
