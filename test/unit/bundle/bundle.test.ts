import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import type { PairConfig } from '../../../engine/api/models';
import { createBundle, verifyBundle } from '../../../engine/bundle/bundle';
import type { BundleInput } from '../../../engine/bundle/bundle';
import { canonicalJson } from '../../../engine/bundle/canonical';
import { exportBundle } from '../../../engine/bundle/export';
import { loadSigningKey, publicKeyBase64 } from '../../../engine/bundle/signing-key';
import { keyFingerprint } from '../../../engine/bundle/trusted-keys';

const config: PairConfig = {
  name: 'TL-NODE-PAIR',
  level: 3,
  primary: 'session-a',
  secondary: 'session-b',
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '10.10.1.21',
      remoteAddress: '10.10.1.22',
    },
  ],
  witness: { kind: 'file-share', address: '\\\\contoso.local\\twinlock-witness' },
  vms: ['SQL01', 'APP01'],
};

const input: BundleInput = {
  config,
  primary: {
    address: '192.168.50.21',
    port: 22,
    fingerprint: 'SHA256:' + 'a'.repeat(43),
    computerName: 'TL-NODE-A',
  },
  secondary: {
    address: '192.168.50.22',
    port: 22,
    fingerprint: 'SHA256:' + 'b'.repeat(43),
    computerName: 'TL-NODE-B',
  },
  agent: { version: '3.2.1', sha256: 'c'.repeat(64) },
  createdAt: '2025-01-02T10:11:12.345Z',
};

/** A parsed bundle open to any change a tamperer might make. */
type Tampered = {
  pair: { name: string; links: Array<{ remoteAddress: string }>; extra?: string };
  hosts: Array<{ fingerprint: string }>;
  agent: { sha256: string };
  signature: { publicKey: string };
};

const key = () => generateKeyPairSync('ed25519').privateKey;

function failure(f: () => unknown): TwinlockError {
  try {
    f();
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace and undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });
  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
  });
});

describe('bundles', () => {
  it('signs and verifies, and survives re-formatting and key re-ordering', () => {
    const k = key();
    const bundle = createBundle(input, k);
    expect(bundle.signature.publicKey).toBe(publicKeyBase64(k));
    expect(bundle.hosts[0]).toEqual({ role: 'primary', ...input.primary });
    expect(bundle.pair).toEqual({
      name: 'TL-NODE-PAIR',
      level: 3,
      links: config.links,
      witness: config.witness,
      vms: ['SQL01', 'APP01'],
    });
    expect(verifyBundle(JSON.stringify(bundle, null, 4))).toEqual(bundle);
    const reordered = Object.fromEntries(Object.entries(bundle).reverse());
    expect(verifyBundle(reordered)).toEqual(bundle);
  });

  it.each([
    ['the pair name', (b: Tampered) => (b.pair.name = 'OTHER')],
    ['a link address', (b: Tampered) => (b.pair.links[0]!.remoteAddress = '10.10.1.99')],
    ['a host fingerprint', (b: Tampered) => (b.hosts[1]!.fingerprint = 'SHA256:' + 'x'.repeat(43))],
    ['the agent hash', (b: Tampered) => (b.agent.sha256 = 'd'.repeat(64))],
    ['an added field', (b: Tampered) => (b.pair.extra = 'x')],
    ['the signing key', (b: Tampered) => (b.signature.publicKey = publicKeyBase64(key()))],
  ])('detects a change to %s', (_what, tamper) => {
    const bundle = JSON.parse(JSON.stringify(createBundle(input, key())));
    tamper(bundle);
    const err = failure(() => verifyBundle(JSON.stringify(bundle)));
    expect(err.code).toBe('bundle-invalid');
    expect(err.message).toContain('signature');
  });

  it('names the malformed field', () => {
    const bundle = JSON.parse(JSON.stringify(createBundle(input, key())));
    bundle.pair.level = 7;
    const err = failure(() => verifyBundle(bundle));
    expect(err.code).toBe('bundle-invalid');
    expect(err.message).toContain('pair.level');
    expect(failure(() => verifyBundle('{not json')).code).toBe('bundle-invalid');
  });

  it('holds the pair to the same rules as apply: an empty VM name or a padded pair name is malformed, never trimmed', () => {
    for (const [patch, field] of [
      [{ vms: [''] }, 'pair.vms.0'],
      [{ name: ' TL-NODE-PAIR' }, 'pair.name'],
      [{ witness: { kind: 'host', address: '' } }, 'pair.witness.address'],
      [{ links: [{ ...config.links[0], remoteAddress: '10.10.1.22 ' }] }, 'pair.links.0.remoteAddress'],
    ] as const) {
      const bundle = JSON.parse(JSON.stringify(createBundle(input, key())));
      Object.assign(bundle.pair, patch);
      const err = failure(() => verifyBundle(bundle));
      expect(err.code).toBe('bundle-invalid');
      expect(err.detail?.field).toBe(field);
    }
  });

  it('checks the signer when trusted keys are given', () => {
    const k = key();
    const bundle = createBundle(input, k);
    expect(verifyBundle(bundle, { trustedKeys: [publicKeyBase64(k)] })).toEqual(bundle);
    const untrusted = failure(() =>
      verifyBundle(bundle, { trustedKeys: [publicKeyBase64(key())], source: 'pair 01.twinlock.json' }),
    );
    expect(untrusted.code).toBe('bundle-untrusted');
    expect(untrusted.detail).toEqual({
      fingerprint: keyFingerprint(publicKeyBase64(k)),
      publicKey: publicKeyBase64(k),
    });
    expect(untrusted.message).toContain(keyFingerprint(publicKeyBase64(k)));
    expect(untrusted.hint).toContain(
      `twinlock keys trust ${keyFingerprint(publicKeyBase64(k))} --from-bundle "pair 01.twinlock.json"`,
    );
  });

  it('never carries a password, a token or a session id', () => {
    const sneaky = {
      ...input,
      config: { ...config, password: 'Hunter2!', token: 'tok-123' } as PairConfig,
      primary: { ...input.primary, password: 'Hunter2!' },
    };
    const text = JSON.stringify(createBundle(sneaky, key()));
    for (const secret of ['Hunter2!', 'tok-123', 'session-a', 'session-b', 'password', 'token'])
      expect(text).not.toContain(secret);
  });
});

describe('signing key and export', () => {
  it('creates the key once, mode 0600, and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-data-'));
    const [k1, k2] = await Promise.all([loadSigningKey(dir), loadSigningKey(dir)]);
    expect(publicKeyBase64(k1)).toBe(publicKeyBase64(k2));
    const info = await stat(join(dir, 'signing-key.pem'));
    if (process.platform !== 'win32') expect(info.mode & 0o777).toBe(0o600);
    const pem = await readFile(join(dir, 'signing-key.pem'), 'utf8');
    expect(pem).toContain('BEGIN PRIVATE KEY');
  });

  it('writes a verifiable bundle to the data folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-data-'));
    const { path, bundle } = await exportBundle(input, dir);
    expect(path).toBe(join(dir, 'bundles', 'TL-NODE-PAIR-20250102T101112Z.twinlock'));
    const text = await readFile(path, 'utf8');
    expect(verifyBundle(text)).toEqual(bundle);
    expect(bundle.signature.publicKey).toBe(publicKeyBase64(await loadSigningKey(dir)));
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('writes to a chosen path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-data-'));
    const target = join(dir, 'out', 'site-7.twinlock.json');
    const { path } = await exportBundle(input, dir, target);
    expect(path).toBe(target);
    expect(verifyBundle(await readFile(target, 'utf8')).pair.name).toBe('TL-NODE-PAIR');
  });
});

describe('Level 1 bundles', () => {
  const level1: BundleInput = {
    ...input,
    config: {
      ...config,
      level: 1,
      witness: { kind: 'cloud', address: 'contosowitness' },
      cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
    },
  };
  const cloudKey = 'c2VjcmV0LWNsb3VkLXdpdG5lc3Mta2V5LWZvci10ZXN0cw==';

  it('carries the cluster as exported and the cloud witness’s account, and verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-data-'));
    const { path, bundle } = await exportBundle(level1, dir);
    expect(bundle.pair.level).toBe(1);
    expect(bundle.pair.cluster).toEqual({ name: 'PAIR01-CL', address: '10.0.0.50' });
    expect(bundle.pair.witness).toEqual({ kind: 'cloud', address: 'contosowitness' });
    expect(verifyBundle(await readFile(path, 'utf8'))).toEqual(bundle);
  });

  it('carries a disk witness by its cluster disk name', () => {
    const disk = createBundle(
      { ...level1, config: { ...level1.config, witness: { kind: 'disk', address: 'Cluster Disk 1' } } },
      key(),
    );
    expect(disk.pair.witness).toEqual({ kind: 'disk', address: 'Cluster Disk 1' });
  });

  it('never carries the cloud witness’s access key, whatever the configuration object holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twinlock-data-'));
    const sneaky = {
      ...level1,
      config: {
        ...level1.config,
        cloudWitnessKey: cloudKey,
        witness: { kind: 'cloud', address: 'contosowitness', key: cloudKey },
      } as PairConfig,
    };
    const { path } = await exportBundle(sneaky, dir);
    const bytes = await readFile(path);
    expect(bytes.includes(Buffer.from(cloudKey))).toBe(false);
    expect(bytes.toString('utf8')).not.toMatch(/cloudWitnessKey|"key"/);
  });

  it('refuses a Level 1 bundle without its cluster, and a Level 2 or 3 bundle with one, naming pair.cluster', () => {
    const l1 = JSON.parse(JSON.stringify(createBundle(level1, key())));
    delete l1.pair.cluster;
    const missing = failure(() => verifyBundle(l1));
    expect(missing.code).toBe('bundle-invalid');
    expect(missing.detail?.field).toBe('pair.cluster');
    expect(missing.message).toContain('a Level 1 bundle names the failover cluster it makes');

    const l3 = JSON.parse(JSON.stringify(createBundle(input, key())));
    l3.pair.cluster = { name: 'PAIR01-CL', address: '10.0.0.50' };
    const extra = failure(() => verifyBundle(l3));
    expect(extra.detail?.field).toBe('pair.cluster');
    expect(extra.message).toContain('a Level 3 bundle makes no failover cluster');
  });

  it('leaves the cluster out of a Level 2 or 3 bundle, even when the configuration has one', () => {
    const b = createBundle(
      { ...input, config: { ...config, cluster: { name: 'PAIR01-CL', address: '10.0.0.50' } } },
      key(),
    );
    expect(b.pair).not.toHaveProperty('cluster');
  });

  it('detects a changed cluster address', () => {
    const b = JSON.parse(JSON.stringify(createBundle(level1, key())));
    b.pair.cluster.address = '10.0.0.51';
    expect(failure(() => verifyBundle(b)).message).toContain('signature');
  });
});

describe('a Level 1 configuration without its cluster', () => {
  it('is refused by name, not exported as a bundle no replay could use', () => {
    const err = failure(() => createBundle({ ...input, config: { ...config, level: 1 } }, key()));
    expect(err.code).toBe('invalid-input');
    expect(err.detail?.field).toBe('cluster');
    expect(err.message).toContain('TL-NODE-PAIR is a Level 1 pair');
  });
});
