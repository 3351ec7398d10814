/**
 * `twinlock apply <bundle> A B` checks the bundle against both servers before it installs the agent
 * or opens a firewall port: a bundle the new pair cannot take is refused with every problem named,
 * and the lab's state proves that nothing changed on either server.
 */
import { sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairConfig } from '../../../engine/api/models';
import { canonicalJson } from '../../../engine/bundle/canonical';
import { exportBundle } from '../../../engine/bundle/export';
import { loadSigningKey, publicKeyBase64 } from '../../../engine/bundle/signing-key';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock, shippedManifest } from './twinlock';

let lab: Lab;
let home: string;
let hosts: [string, string];

/** Everything an apply could change on a server. */
function serverState(h: LabHost) {
  return {
    products: h.installedProducts().map((p) => `${p.name} ${p.version}`),
    services: [...h.services.keys()],
    rules: h.firewallRules.map((r) => r.name),
    files: h.listFiles(),
    agent: h.agentStatus(),
  };
}

const base: PairConfig = {
  name: 'PAIR-07',
  level: 3,
  primary: 'from-another-site',
  secondary: 'from-another-site-too',
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '10.20.1.21',
      remoteAddress: '10.20.1.22',
    },
  ],
  // The lab's witness share: the replay reaches it from both new servers before anything changes.
  witness: { kind: 'file-share', address: '\\\\TL-WITNESS\\twinlock-witness' },
  vms: ['SQL01', 'APP01'],
};

/** A bundle signed with this workstation's key (as `twinlock pair` exports it), with `changes` in its pair. */
async function bundleWith(file: string, changes: Partial<PairConfig>): Promise<string> {
  const host = {
    address: '10.0.0.1',
    port: 22,
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    computerName: 'OLD-NODE',
  };
  const path = join(home, file);
  await exportBundle(
    {
      config: { ...base, ...changes },
      primary: host,
      secondary: { ...host, computerName: 'OLD-NODE-2' },
      agent: { version: shippedManifest.version, sha256: shippedManifest.sha256 },
    },
    home,
    path,
  );
  return path;
}

/**
 * A bundle Twinlock would never export (its own export validates every field), signed with this
 * workstation's key all the same: what a hand-edited bundle re-signed by a careless script looks like.
 */
async function signedByHand(file: string, pair: Record<string, unknown>): Promise<string> {
  const host = {
    address: '10.0.0.1',
    port: 22,
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    computerName: 'OLD-NODE',
  };
  const unsigned = {
    format: 'twinlock-bundle/1',
    createdAt: new Date().toISOString(),
    pair: {
      name: base.name,
      level: base.level,
      links: base.links,
      witness: base.witness,
      vms: base.vms,
      ...pair,
    },
    hosts: [
      { role: 'primary', ...host },
      { role: 'secondary', ...host, computerName: 'OLD-NODE-2' },
    ],
    agent: { version: shippedManifest.version, sha256: shippedManifest.sha256 },
  };
  const key = await loadSigningKey(home);
  const value = sign(null, Buffer.from(canonicalJson(unsigned), 'utf8'), key).toString('base64');
  const path = join(home, file);
  writeFileSync(
    path,
    JSON.stringify(
      { ...unsigned, signature: { algorithm: 'ed25519', publicKey: publicKeyBase64(key), value } },
      null,
      2,
    ),
  );
  return path;
}

const apply = (bundle: string, extra: string[] = []) =>
  runTwinlock(
    [
      'apply',
      bundle,
      ...hosts,
      '--trust-new',
      '--trust-publisher',
      shippedManifest.signer.thumbprint,
      '--json',
      ...extra,
    ],
    {
      TWINLOCK_HOME: home,
      TWINLOCK_PASSWORD: lab.hosts[0]!.password,
    },
  );

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 1 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-preflight-'));
  hosts = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock apply: preflight before any change', () => {
  it('refuses a bundle with an invalid pair name before installing anything', async () => {
    const before = lab.hosts.map((h) => serverState(lab.host(h.name)));
    const run = await apply(await signedByHand('bad-name.twinlock.json', { name: 'PAIR 07;x' }));
    expect(run.code, run.stderr).toBe(1);
    const { error } = lines(run.stdout).at(-1)!;
    expect(error.code).toBe('bundle-invalid');
    expect(error.message).toContain('pair.name');
    expect(error.detail.field).toBe('pair.name');
    expect(lab.hosts.map((h) => serverState(lab.host(h.name)))).toEqual(before);
    // Nothing installed, no firewall rule, no uploaded package, no pair.
    for (const h of lab.hosts) {
      const host = lab.host(h.name);
      expect(host.installedProducts()).toEqual([]);
      expect(host.firewallRules).toEqual([]);
      expect(host.listFiles().filter((f) => f.includes('\\Twinlock\\packages\\'))).toEqual([]);
    }
  });

  it('refuses a re-signed bundle with a blank witness and an empty VM name, naming the field, before anything changes', async () => {
    const before = lab.hosts.map((h) => serverState(lab.host(h.name)));
    const bundle = await signedByHand('blank.twinlock.json', {
      vms: ['SQL01', ''],
      witness: { kind: 'host', address: ' ' },
    });
    const run = await apply(bundle);
    expect(run.code, run.stderr).toBe(1);
    const { error } = lines(run.stdout).at(-1)!;
    expect(error.code).toBe('bundle-invalid');
    expect(['pair.witness.address', 'pair.vms.1']).toContain(error.detail.field);
    expect(lab.hosts.map((h) => serverState(lab.host(h.name)))).toEqual(before);
  });

  it('lists every problem at once: VMs the new primary lacks (names compared exactly), a --name with a space', async () => {
    const before = lab.hosts.map((h) => serverState(lab.host(h.name)));
    const bundle = await bundleWith('bad-vms.twinlock.json', { vms: ['SQL01', 'GHOST', 'app01'] });
    const run = await apply(bundle, ['--name', 'PAIR-08 ']);
    expect(run.code, run.stderr).toBe(1);
    const { error } = lines(run.stdout).at(-1)!;
    expect(error.code).toBe('invalid-input');
    expect(error.detail.issues.map((i: { field: string }) => i.field)).toEqual([
      'name',
      'pair.vms.1',
      'pair.vms.2',
    ]);
    expect(error.detail.issues[2].message).toContain('TL-NODE-A has no VM named "app01"; it has "APP01"');
    expect(error.hint).toContain('Nothing was changed on either server');
    expect(lab.hosts.map((h) => serverState(lab.host(h.name)))).toEqual(before);
  });

  it('prints each problem with its field for a human', async () => {
    const run = await runTwinlock(
      [
        'apply',
        await bundleWith('human.twinlock.json', { vms: ['GHOST', 'GHOST2'] }),
        ...hosts,
        '--trust-new',
      ],
      {
        TWINLOCK_HOME: home,
        TWINLOCK_PASSWORD: lab.hosts[0]!.password,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('  pair.vms.0: TL-NODE-A has no VM named "GHOST"');
    expect(run.stderr).toContain('  pair.vms.1: TL-NODE-A has no VM named "GHOST2"');
  });

  it('replays a bundle the new pair can take, to protected', async () => {
    const run = await apply(await bundleWith('good.twinlock.json', {}));
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const out = lines(run.stdout);
    const preflight = out.find((l) => l.event === 'preflight');
    // The links are the new servers' own; the name, witness and VMs the bundle's.
    expect(preflight?.config).toMatchObject({
      name: 'PAIR-07',
      vms: ['SQL01', 'APP01'],
      links: [{ localNic: 'SLOT 3 Port 1', localAddress: '10.10.1.21', remoteAddress: '10.10.1.22' }],
    });
    // The check came before the installation.
    expect(out.findIndex((l) => l.event === 'preflight')).toBeLessThan(
      out.findIndex((l) => l.kind === 'install'),
    );
    expect(out.at(-1)!.result.state).toBe('protected');
  });
});
