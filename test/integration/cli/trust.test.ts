/**
 * Bundles and agent packages only from trusted signers. A bundle signed by a key this workstation
 * has never trusted, next to an `agent/` folder holding a package "9.9.9" signed by "CN=Evil
 * Corp", is refused by `twinlock apply` and `twinlock install --bundle` with `bundle-untrusted`,
 * and neither lab server changes: no product, no firewall rule, no file, no pair. Once the signer
 * is trusted, the package's publisher still is not: refused with `publisher-untrusted` before a
 * byte is uploaded.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../../engine/bundle/bundle';
import type { Lab, LabHost } from '../../../lab/index';
import { makePackage, startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let lab: Lab;
let home: string;
let work: string;
let bundlePath: string;
let fingerprint: string;
let evilThumbprint: string;

const twinlock = (args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });
const target = (i: number) => `${lab.hosts[i]!.address}:${lab.hosts[i]!.port}`;
const trustHosts = () => lab.hosts.flatMap((h) => ['--fingerprint', h.fingerprint]);

/** Everything a change on a lab server would touch. */
function stateOf(host: LabHost) {
  return {
    products: host.installedProducts().map((p) => `${p.name} ${p.version}`),
    services: [...host.services.keys()].sort(),
    firewall: host.firewallRules.map((r) => r.name),
    files: host.listFiles(),
    uploadedBytes: host.sftpBytesWritten,
    agent: host.agent === null ? null : 'present',
  };
}

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-trust-'));
  work = mkdtempSync(join(tmpdir(), 'twinlock-cli-evil-'));
  const { manifest } = makePackage({
    outDir: join(work, 'agent'),
    version: '9.9.9',
    signerSubject: 'CN=Evil Corp',
    sizeBytes: 64 * 1024,
  });
  evilThumbprint = manifest.signer.thumbprint;
  // A key made here and now: this workstation cannot have trusted it.
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  fingerprint = `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
  const [a, b] = lab.hosts;
  const bundle = createBundle(
    {
      config: {
        name: 'EVIL-01',
        level: 3,
        primary: 'x',
        secondary: 'y',
        links: [
          {
            localNic: 'SYNC1',
            remoteNic: 'SYNC1',
            localAddress: '169.254.11.1',
            remoteAddress: '169.254.11.2',
          },
        ],
        witness: null,
        vms: [],
      },
      primary: { address: a!.address, port: a!.port, fingerprint: a!.fingerprint, computerName: a!.name },
      secondary: { address: b!.address, port: b!.port, fingerprint: b!.fingerprint, computerName: b!.name },
      agent: { version: manifest.version, sha256: manifest.sha256 },
    },
    privateKey,
  );
  bundlePath = join(work, 'evil.twinlock.json');
  writeFileSync(bundlePath, JSON.stringify(bundle, null, 2));
});

afterAll(async () => {
  await lab?.close();
  for (const dir of [home, work]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a bundle from an untrusted signer', () => {
  it('is refused by `twinlock apply` with bundle-untrusted, and neither server changes', async () => {
    const before = lab.hosts.map((h) => stateOf(lab.host(h.name)));
    const run = await twinlock([
      'apply',
      bundlePath,
      target(0),
      target(1),
      ...trustHosts(),
      '--trust-publisher',
      evilThumbprint,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(error.code).toBe('bundle-untrusted');
    expect(error.message).toContain(fingerprint);
    expect(error.hint).toContain(`twinlock keys trust ${fingerprint} --from-bundle`);
    expect(error.detail.fingerprint).toBe(fingerprint);
    expect(lab.hosts.map((h) => stateOf(lab.host(h.name)))).toEqual(before);
    for (const h of lab.hosts) {
      expect(lab.host(h.name).installedProducts()).toEqual([]);
      expect(lab.host(h.name).firewallRules).toEqual([]);
      expect(lab.host(h.name).sftpBytesWritten).toBe(0);
    }
  });

  it('is refused by `twinlock install --bundle` with bundle-untrusted, and neither server changes', async () => {
    const before = lab.hosts.map((h) => stateOf(lab.host(h.name)));
    const run = await twinlock([
      'install',
      target(0),
      target(1),
      '--bundle',
      bundlePath,
      ...trustHosts(),
      '--trust-publisher',
      evilThumbprint,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(error.code).toBe('bundle-untrusted');
    expect(error.detail.fingerprint).toBe(fingerprint);
    expect(lab.hosts.map((h) => stateOf(lab.host(h.name)))).toEqual(before);
    expect(lab.host('TL-NODE-A').installedProducts()).toEqual([]);
  });

  it('once its signer is trusted, still refuses the Evil Corp package before a byte is uploaded', async () => {
    const bare = await twinlock(['keys', 'trust', fingerprint, '--json']);
    expect(bare.code).toBe(1);
    expect(JSON.parse(bare.stdout).error.code).toBe('invalid-input');

    const trusted = await twinlock([
      'keys',
      'trust',
      fingerprint,
      '--from-bundle',
      bundlePath,
      '--label',
      'site B',
      '--json',
    ]);
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ fingerprint, label: 'site B', own: false });

    const before = lab.hosts.map((h) => stateOf(lab.host(h.name)));
    const run = await twinlock([
      'install',
      target(0),
      target(1),
      '--bundle',
      bundlePath,
      ...trustHosts(),
      '--json',
    ]);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(error.code).toBe('publisher-untrusted');
    expect(error.message).toContain('CN=Evil Corp');
    expect(error.message).toContain(evilThumbprint);
    expect(error.hint).toContain(`--trust-publisher ${evilThumbprint}`);
    expect(lab.hosts.map((h) => stateOf(lab.host(h.name)))).toEqual(before);
    expect(lab.host('TL-NODE-B').sftpBytesWritten).toBe(0);

    const listed = JSON.parse((await twinlock(['keys', 'publishers', '--json'])).stdout);
    expect(listed).toEqual([]);
  });

  it('refuses a package whose manifest claims the trusted publisher but whose signature is someone else’s, on the server', async () => {
    const liar = mkdtempSync(join(tmpdir(), 'twinlock-cli-liar-'));
    try {
      const { manifest } = makePackage({
        outDir: liar,
        version: '3.2.1',
        signerSubject: 'CN=Evil Corp',
        manifestSignerSubject: 'CN=Twinlock Software, O=Twinlock, C=US',
        sizeBytes: 64 * 1024,
      });
      const run = await twinlock([
        'install',
        target(0),
        target(1),
        '--package',
        liar,
        ...trustHosts(),
        '--trust-publisher',
        manifest.signer.thumbprint,
        '--json',
      ]);
      expect(run.code).toBe(1);
      const { error } = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      expect(error.code).toBe('install-failed');
      expect(error.message).toContain('CN=Evil Corp');
      expect(error.detail.pinned).toBe(manifest.signer.thumbprint);
      for (const h of lab.hosts) {
        expect(lab.host(h.name).installedProducts()).toEqual([]);
        expect(lab.host(h.name).firewallRules).toEqual([]);
        expect(
          lab
            .host(h.name)
            .listFiles()
            .filter((f) => f.includes('\\Twinlock\\packages\\')),
        ).toEqual([]);
      }
      // The admin trusted the publisher the manifest named, on purpose: that pin stays.
      const listed = JSON.parse((await twinlock(['keys', 'publishers', '--json'])).stdout);
      expect(listed.map((p: { thumbprint: string }) => p.thumbprint)).toEqual([manifest.signer.thumbprint]);
    } finally {
      rmSync(liar, { recursive: true, force: true });
    }
  });
});

describe('twinlock keys', () => {
  it('lists this workstation’s own key as trusted, exports it, and forgets a trusted one', async () => {
    const exported = join(work, 'here.pub');
    const run = await twinlock(['keys', 'export', '--out', exported, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const own = JSON.parse(run.stdout);
    expect(readFileSync(exported, 'utf8')).toBe(`${own.line}\n`);
    expect(own.line).toMatch(/^twinlock-ed25519 [A-Za-z0-9+/=]+ /);

    const list = await twinlock(['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(own.fingerprint);
    expect(list.stdout).toContain(fingerprint);
    expect(list.stdout).toContain('site B');

    const forgetOwn = await twinlock(['keys', 'forget', own.fingerprint, '--json']);
    expect(forgetOwn.code).toBe(1);
    expect(JSON.parse(forgetOwn.stdout).error.code).toBe('invalid-input');

    const forget = await twinlock(['keys', 'forget', fingerprint, '--json']);
    expect(JSON.parse(forget.stdout)).toEqual({ forgotten: true });
    const again = await twinlock(['apply', bundlePath, target(0), target(1), ...trustHosts(), '--json']);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!).error.code).toBe('bundle-untrusted');
  });

  it('trusts another workstation’s key from its .pub file', async () => {
    const other = mkdtempSync(join(tmpdir(), 'twinlock-cli-other-'));
    try {
      const exported = join(other, 'other.pub');
      const run = await runTwinlock(['keys', 'export', '--out', exported, '--json'], {
        TWINLOCK_HOME: other,
      });
      const theirs = JSON.parse(run.stdout);
      const trusted = await twinlock(['keys', 'trust', exported, '--json']);
      expect(trusted.code, trusted.stdout).toBe(0);
      expect(JSON.parse(trusted.stdout).fingerprint).toBe(theirs.fingerprint);
      const list = JSON.parse((await twinlock(['keys', 'list', '--json'])).stdout);
      expect(list.map((k: { fingerprint: string }) => k.fingerprint)).toContain(theirs.fingerprint);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
