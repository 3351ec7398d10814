import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_OPENED_BUNDLE_BYTES,
  OpenedBundles,
  bundlePathsIn,
  isBundlePath,
} from '../../../electron/opened-bundles';

describe('bundles opened with Twinlock', () => {
  it('knows a bundle by its .twinlock name (or the earlier .twinlock.json), in any case, and never a flag', () => {
    expect(isBundlePath('C:\\Users\\admin\\PAIR-01.twinlock')).toBe(true);
    expect(isBundlePath('/home/admin/PAIR-01.Twinlock')).toBe(true);
    expect(isBundlePath('C:\\Users\\admin\\PAIR-01.twinlock.json')).toBe(true);
    expect(isBundlePath('PAIR-01.twinlock.bak')).toBe(false);
    expect(isBundlePath('twinlock')).toBe(false);
    expect(isBundlePath('/home/admin/.twinlock')).toBe(false);
    expect(isBundlePath('C:\\Users\\admin\\.twinlock.json')).toBe(false);
    expect(isBundlePath('--x=a.twinlock')).toBe(false);
    expect(isBundlePath('/home/admin/pair.TWINLOCK.JSON')).toBe(true);
    expect(isBundlePath('report.json')).toBe(false);
    expect(isBundlePath('--x=a.twinlock.json')).toBe(false);
  });

  it('finds the bundles on a command line, resolved against the launch folder', () => {
    expect(
      bundlePathsIn(
        ['/opt/Twinlock/twinlock', '--lab', 'pair.twinlock.json', 'x.txt', 'next.twinlock'],
        '/srv',
      ),
    ).toEqual(['/srv/pair.twinlock.json', '/srv/next.twinlock']);
  });

  it('hands each one over once, in order, and then null', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-opened-'));
    await writeFile(join(dir, 'a.twinlock.json'), 'A');
    await writeFile(join(dir, 'b.twinlock'), 'B');
    const opened = new OpenedBundles();
    expect(opened.add(join(dir, 'a.twinlock.json'))).toBe(true);
    expect(opened.add(join(dir, 'notes.txt'))).toBe(false);
    expect(opened.add(join(dir, 'b.twinlock'))).toBe(true);
    expect(opened.size).toBe(2);
    expect(await opened.take()).toEqual({ name: 'a.twinlock.json', text: 'A' });
    expect(await opened.take()).toEqual({ name: 'b.twinlock', text: 'B' });
    expect(await opened.take()).toBeNull();
  });

  it('says plainly when the file is gone or far too large, and never echoes its bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-opened-'));
    const opened = new OpenedBundles();
    opened.add(join(dir, 'gone.twinlock.json'));
    await expect(opened.take()).rejects.toMatchObject({
      code: 'not-found',
      message: 'Twinlock could not open gone.twinlock.json: the file is not there any more.',
    });
    const big = join(dir, 'big.twinlock.json');
    await writeFile(big, `SECRET-${'x'.repeat(MAX_OPENED_BUNDLE_BYTES)}`);
    opened.add(big);
    const err = await opened
      .take()
      .catch((e: unknown) => e as { code: string; message: string; hint: string });
    expect(err).toMatchObject({ code: 'bundle-invalid' });
    expect(JSON.stringify(err)).not.toContain('SECRET');
  });
});
