import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { meaningfulLines } from '../../../engine/agent/msiexec-step';
import { resolvePackage } from '../../../engine/agent/package-source';
import { createBundle } from '../../../engine/bundle/bundle';
import { TrustedKeys, keyFingerprint } from '../../../engine/bundle/trusted-keys';
import { makePackage } from './package-fixture';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A data folder whose workstation trusts nothing but its own key. */
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'twinlock-data-'));
  dirs.push(dir);
  return dir;
}

async function bundleFor(
  version: string,
  sha256: string,
  trustIn?: string,
): Promise<{ dir: string; path: string; fingerprint: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'twinlock-bundle-'));
  dirs.push(dir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  if (trustIn) await new TrustedKeys(trustIn).trust(spki, 'site B');
  const host = { address: '10.0.0.21', port: 22, fingerprint: 'SHA256:x', computerName: 'HV-A' };
  const bundle = createBundle(
    {
      config: {
        name: 'PAIR-01',
        level: 3,
        primary: 'a',
        secondary: 'b',
        links: [{ localNic: 'S1', remoteNic: 'S1', localAddress: '10.1.0.1', remoteAddress: '10.1.0.2' }],
        witness: null,
        vms: [],
      },
      primary: host,
      secondary: { ...host, computerName: 'HV-B' },
      agent: { version, sha256 },
    },
    privateKey,
  );
  const path = join(dir, 'pair.twinlock.json');
  await writeFile(path, JSON.stringify(bundle));
  return { dir, path, fingerprint: keyFingerprint(spki) };
}

describe('package source', () => {
  it('loads a folder the admin picks', async () => {
    const { dir, manifest } = await makePackage('3.3.0');
    dirs.push(dir);
    expect(
      (await resolvePackage({ resourcesDir: '/nowhere', dataDir: await dataDir(), packageDir: dir })).manifest
        .version,
    ).toBe(manifest.version);
  });

  it('takes the package a bundle references from the agent folder next to it', async () => {
    const { dir: pkg, manifest } = await makePackage('3.3.0');
    dirs.push(pkg);
    const data = await dataDir();
    const { dir, path } = await bundleFor('3.3.0', manifest.sha256, data);
    await cp(pkg, join(dir, 'agent'), { recursive: true });
    const found = await resolvePackage({ resourcesDir: '/nowhere', dataDir: data, bundlePath: path });
    expect(found.dir).toBe(join(dir, 'agent'));
  });

  it('refuses a bundle whose signer this workstation does not trust, naming its fingerprint', async () => {
    const { dir: pkg, manifest } = await makePackage('9.9.9');
    dirs.push(pkg);
    const { dir, path, fingerprint } = await bundleFor('9.9.9', manifest.sha256);
    await cp(pkg, join(dir, 'agent'), { recursive: true });
    await expect(
      resolvePackage({ resourcesDir: '/nowhere', dataDir: await dataDir(), bundlePath: path }),
    ).rejects.toMatchObject({
      code: 'bundle-untrusted',
      message: expect.stringContaining(fingerprint),
      detail: { fingerprint },
    });
  });

  it('skips a folder with no package, but stops at a package that is there and broken', async () => {
    const { dir: pkg, manifest } = await makePackage('3.3.0');
    dirs.push(pkg);
    const data = await dataDir();
    const { dir, path } = await bundleFor('3.3.0', manifest.sha256, data);
    // No agent/ folder next to the bundle: the folder given is used.
    const found = await resolvePackage({
      resourcesDir: '/nowhere',
      dataDir: data,
      packageDir: pkg,
      bundlePath: path,
    });
    expect(found.dir).toBe(pkg);
    // An agent/ folder whose manifest is damaged is not skipped: its own error says what is wrong.
    await cp(pkg, join(dir, 'agent'), { recursive: true });
    await writeFile(join(dir, 'agent', 'agent-manifest.json'), '{ not json');
    await expect(
      resolvePackage({ resourcesDir: '/nowhere', dataDir: data, packageDir: pkg, bundlePath: path }),
    ).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringContaining('is not valid JSON') });
  });

  it('refuses when no package matches the bundle’s version and hash', async () => {
    const { dir: pkg } = await makePackage('3.3.0');
    dirs.push(pkg);
    const data = await dataDir();
    const { path } = await bundleFor('3.3.0', 'b'.repeat(64), data);
    await expect(
      resolvePackage({ resourcesDir: '/nowhere', dataDir: data, packageDir: pkg, bundlePath: path }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('3.3.0'),
    });
  });
});

describe('meaningful log lines', () => {
  it('drops msiexec bookkeeping and keeps the error', () => {
    const lines = [
      'MSI (s) (7C:44) [10:00:00:001]: Note: 1: 2205 2:  3: Error',
      'MSI (s) (7C:44) [10:00:00:002]: Product: TwinlockAgent -- Error 1920. Service failed to start.',
      'MSI (s) (7C:44) [10:00:00:003]: Note: 1: 2265 2:  3: -2147287035',
      '=== Verbose logging stopped: 01/01/2026  10:00:00 ===',
    ];
    expect(meaningfulLines(lines)).toEqual([
      'MSI (s) (7C:44) [10:00:00:002]: Product: TwinlockAgent -- Error 1920. Service failed to start.',
    ]);
  });
});
