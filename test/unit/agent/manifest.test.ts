import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import { compareVersions, loadPackage } from '../../../engine/agent/manifest';
import { makePackage } from './package-fixture';

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

describe('loadPackage', () => {
  it('loads a package whose MSI matches its manifest', async () => {
    const { dir, manifest } = await makePackage();
    const pkg = await loadPackage(dir);
    expect(pkg.manifest.version).toBe('3.2.1');
    expect(pkg.manifest.sha256).toBe(manifest.sha256);
    expect(pkg.msiPath).toBe(join(dir, manifest.file));
  });

  it('names the invalid field', async () => {
    const { dir } = await makePackage('3.2.1', { sha256: 'xyz' });
    const err = await failure(loadPackage(dir));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toContain('sha256');
    expect(err.message).toContain('agent-manifest.json');
    expect(err.hint).toContain('sha256');
  });

  it('refuses installArgs that are not PROPERTY=value pairs', async () => {
    const { dir } = await makePackage('3.2.1', { installArgs: ['/l*v C:\\x.log'] });
    const err = await failure(loadPackage(dir));
    expect(err.message).toContain('installArgs.0');
  });

  it('refuses an MSI of the wrong size', async () => {
    const { dir, manifest } = await makePackage();
    await writeFile(join(dir, manifest.file), Buffer.alloc(10));
    const err = await failure(loadPackage(dir));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toContain(manifest.file);
    expect(err.message).toContain('10 bytes');
  });

  it('refuses an MSI whose SHA-256 differs', async () => {
    const { dir, manifest } = await makePackage();
    await writeFile(join(dir, manifest.file), Buffer.alloc(manifest.size, 1));
    const err = await failure(loadPackage(dir));
    expect(err.message).toContain('SHA-256');
    expect(err.detail?.expected).toBe(manifest.sha256);
  });

  it('says when the folder holds no package', async () => {
    const err = await failure(loadPackage('/nonexistent/twinlock'));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain('agent-manifest.json');
  });

  it('says when the MSI is missing', async () => {
    const { dir } = await makePackage('3.2.1', { file: 'Other.msi' });
    const err = await failure(loadPackage(dir));
    expect(err.message).toContain('Other.msi');
  });
});

describe('compareVersions', () => {
  it.each([
    ['3.2.1', '3.2.1', 0],
    ['3.2.0', '3.2.1', -1],
    ['3.10.0', '3.9.9', 1],
    ['3.2', '3.2.0', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
