import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { updateJsonFile, withFileLock } from '../../../engine/store/locked-json';

const CHILD = join(import.meta.dirname, 'fixtures', 'increment-child.ts');
const Counter = z.object({ n: z.number().int(), by: z.array(z.number()) });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-locked-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function child(path: string, times: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(times)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('updateJsonFile', () => {
  it('loses no update when several processes change one file at once', { timeout: 120_000 }, async () => {
    const path = join(dir, 'state', 'counter.json');
    const processes = 6;
    const times = 15;
    const runs = await Promise.all(Array.from({ length: processes }, () => child(path, times)));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const file = Counter.parse(JSON.parse(await readFile(path, 'utf8')));
    expect(file.n).toBe(processes * times);
    expect(file.by).toHaveLength(processes * times);
    expect(new Set(file.by).size).toBe(processes);
    // Neither the lock nor a temp file is left behind.
    expect(await readdir(join(dir, 'state'))).toEqual(['counter.json']);
  });

  it('serialises changes within one process too, and returns what the change returned', async () => {
    const path = join(dir, 'c.json');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        updateJsonFile(
          path,
          Counter,
          () => ({ n: 0, by: [] }),
          async (file) => {
            const seen = file.n;
            await new Promise((resolve) => setTimeout(resolve, 1));
            file.n = seen + 1;
            return file.n;
          },
        ),
      ),
    );
    expect([...results].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Counter.parse(JSON.parse(await readFile(path, 'utf8'))).n).toBe(10);
  });

  it('releases the lock when the change throws, and leaves the file as it was', async () => {
    const path = join(dir, 'c.json');
    await updateJsonFile(
      path,
      Counter,
      () => ({ n: 0, by: [] }),
      (file) => void (file.n = 5),
    );
    await expect(
      updateJsonFile(
        path,
        Counter,
        () => ({ n: 0, by: [] }),
        (file) => {
          file.n = 99;
          throw new Error('refused');
        },
      ),
    ).rejects.toThrow('refused');
    expect(Counter.parse(JSON.parse(await readFile(path, 'utf8'))).n).toBe(5);
    expect(await withFileLock(path, () => Promise.resolve('free'))).toBe('free');
  });
});
