/**
 * A Level 1 bundle replayed through the command line on a lab of four separate pairs sharing one
 * directory: the first pair is made a failover cluster with a cloud witness and exports its
 * bundle (the access key in none of its bytes, nor anywhere under TWINLOCK_HOME); `bundle verify`
 * shows its level and cluster; `apply` on the second pair is refused while it would reuse the
 * first pair's cluster name and address, changing nothing, and with the second pair's own makes
 * its cluster and reaches protected; a fleet file gives the third and fourth pairs their own
 * clusters and `fleet apply` makes both, the key read from the variable the command line names.
 * The lab's cluster state (each world's cluster, the shared directory) is the witness.
 */
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetOutcome } from '../../../engine/api/models';
import type { Lab, LabHost, LabPairInfo } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

const KEY = 'TGFiQ2xvdWRXaXRuZXNzS2V5LW5ldmVyLWluLWEtZmlsZQ==';
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;

/** Every file under a folder, as bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((p) => statSync(p).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

describe('a Level 1 bundle on the next pair and on a fleet', () => {
  let lab: Lab;
  let home: string;
  let bundle: string;
  const pair = (n: number): LabPairInfo => lab.fleet[n - 1]!;
  const servers = (n: number): [LabHost, LabHost] => [
    lab.host(pair(n).primary.computerName),
    lab.host(pair(n).secondary.computerName),
  ];
  const endpoints = (n: number) =>
    [pair(n).primary, pair(n).secondary].map((h) => `${h.address}:${h.port}`) as [string, string];
  const clusterOf = (n: number) => servers(n)[0].labWorld()!.clustering.clusters;
  const twinlock = (args: string[], env: Record<string, string> = {}) =>
    runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password, ...env });

  beforeAll(async () => {
    lab = await startLab({ pairs: 4, timeScale: 60, latencyMs: 1 });
    home = mkdtempSync(join(tmpdir(), 'twinlock-cli-level1-replay-'));
    bundle = join(home, 'L1-P01.twinlock.json');
    // The first pair has Failover Clustering already; the others get it from the replay's install step.
    for (const h of servers(1)) h.profile.roles.failoverClustering = true;
  }, 60_000);
  afterAll(async () => {
    await lab?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('pairs the first pair with a cloud witness and exports a bundle with its cluster and no key', async () => {
    const paired = await twinlock(
      [
        'pair',
        ...endpoints(1),
        '--trust-new',
        '--name',
        'L1-P01',
        '--level',
        '1',
        '--cluster-name',
        'L1-P01-CL',
        '--cluster-address',
        '192.168.50.40',
        '--witness',
        'cloud:contosowitness',
        '--vm',
        'SQL01',
        '--bundle',
        bundle,
        '--json',
      ],
      { TWINLOCK_CLOUD_WITNESS_KEY: KEY },
    );
    expect(paired.code, paired.stderr + paired.stdout).toBe(0);
    expect(last(paired.stdout).result.state).toBe('protected');
    expect(clusterOf(1)).toMatchObject([
      {
        name: 'L1-P01-CL',
        addresses: ['192.168.50.40'],
        witness: { kind: 'cloud', address: 'contosowitness' },
      },
    ]);
    const bytes = readFileSync(bundle);
    expect(bytes.includes(Buffer.from(KEY))).toBe(false);
    const exported = JSON.parse(bytes.toString('utf8'));
    expect(exported.pair).toMatchObject({
      level: 1,
      cluster: { name: 'L1-P01-CL', address: '192.168.50.40' },
      witness: { kind: 'cloud', address: 'contosowitness' },
    });
    // Nor in a journal, a log or a known-hosts file: nothing Twinlock wrote holds the key.
    for (const f of filesUnder(home)) expect(f.bytes.includes(Buffer.from(KEY)), f.path).toBe(false);
    expect(paired.stdout + paired.stderr).not.toContain(KEY);
  }, 180_000);

  it('bundle verify shows the level, the cluster and the cloud witness by its account', async () => {
    const checked = await twinlock(['bundle', 'verify', bundle, '--json']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(last(checked.stdout).pair).toMatchObject({
      name: 'L1-P01',
      level: 1,
      cluster: { name: 'L1-P01-CL', address: '192.168.50.40' },
      witness: { kind: 'cloud', address: 'contosowitness' },
    });
    const text = await twinlock(['bundle', 'verify', bundle]);
    expect(text.stdout).toContain('Pair L1-P01 at Level 1');
    expect(text.stdout).toContain('Failover cluster L1-P01-CL at 192.168.50.40');
    expect(text.stdout).toContain('cloud witness, storage account contosowitness');
  });

  it('refuses to replay it on the second pair with the first pair’s cluster, changing nothing', async () => {
    const refused = await twinlock(['apply', bundle, ...endpoints(2), '--trust-new', '--json'], {
      TWINLOCK_CLOUD_WITNESS_KEY: KEY,
    });
    expect(refused.code).toBe(1);
    expect(last(refused.stdout).error).toMatchObject({
      code: 'invalid-input',
      message:
        'The cluster name L1-P01-CL and address 192.168.50.40 belong to the first pair’s cluster (TL-P01-A and TL-P01-B, where the bundle L1-P01 was exported): give this pair’s own with --cluster-name and --cluster-address.',
    });
    expect(clusterOf(2)).toEqual([]);
    for (const h of servers(2)) expect(h.profile.roles.failoverClustering).toBe(false);
    // Only the name changed: the address is still the first pair's.
    const half = await twinlock(['apply', bundle, ...endpoints(2), '--cluster-name', 'L1-P02-CL', '--json'], {
      TWINLOCK_CLOUD_WITNESS_KEY: KEY,
    });
    expect(last(half.stdout).error.message).toMatch(
      /^The cluster address 192\.168\.50\.40 belongs to the first pair’s cluster .*: give this pair’s own with --cluster-address\.$/,
    );
    // A cloud witness with no key: refused before any server changes.
    const noKey = await twinlock([
      'apply',
      bundle,
      ...endpoints(2),
      '--cluster-name',
      'L1-P02-CL',
      '--cluster-address',
      '192.168.50.41',
      '--json',
    ]);
    expect(last(noKey.stdout).error.message).toBe(
      'The bundle L1-P01’s witness is the cloud witness contosowitness, and its access key was not given (a bundle never holds it).',
    );
    expect(clusterOf(2)).toEqual([]);
    for (const h of servers(2)) expect(h.profile.roles.failoverClustering).toBe(false);
  }, 120_000);

  it('replays it on the second pair with its own cluster name and address, reaching protected', async () => {
    const applied = await twinlock(
      [
        'apply',
        bundle,
        ...endpoints(2),
        '--cluster-name',
        'L1-P02-CL',
        '--cluster-address',
        '192.168.50.41',
        '--cloud-witness-key-env',
        'SITE2_WITNESS_KEY',
        '--json',
      ],
      { SITE2_WITNESS_KEY: KEY },
    );
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    const result = last(applied.stdout);
    expect(result.result.state).toBe('protected');
    expect(clusterOf(2)).toMatchObject([
      {
        name: 'L1-P02-CL',
        addresses: ['192.168.50.41'],
        nodes: [{ name: 'TL-P02-A' }, { name: 'TL-P02-B' }],
        witness: { kind: 'cloud', address: 'contosowitness' },
        roles: [{ vm: 'SQL01', state: 'Online' }],
      },
    ]);
    // The first pair's cluster is untouched; the second pair's bundle names its own cluster.
    expect(clusterOf(1)).toMatchObject([{ name: 'L1-P01-CL', addresses: ['192.168.50.40'] }]);
    const own = JSON.parse(readFileSync(result.bundle as string, 'utf8'));
    expect(own.pair.cluster).toEqual({ name: 'L1-P02-CL', address: '192.168.50.41' });
    for (const f of filesUnder(home)) expect(f.bytes.includes(Buffer.from(KEY)), f.path).toBe(false);
  }, 240_000);

  it('runs a two-pair fleet at Level 1, each pair with its own cluster, the key from the variable named', async () => {
    const host = (h: LabPairInfo['primary']) => `"${h.address}:${h.port}"`;
    const fleetFile = join(home, 'fleet-l1.yaml');
    writeFileSync(
      fleetFile,
      [
        `bundle: ${JSON.stringify(bundle)}`,
        'pairs:',
        ...[3, 4].flatMap((n) => [
          `  - name: L1-P0${n}`,
          `    primary: ${host(pair(n).primary)}`,
          `    secondary: ${host(pair(n).secondary)}`,
          `    fingerprints: { primary: "${pair(n).primary.fingerprint}", secondary: "${pair(n).secondary.fingerprint}" }`,
          `    cluster_name: L1-P0${n}-CL`,
          `    cluster_address: 192.168.50.4${n - 1}`,
        ]),
        '',
      ].join('\n'),
    );
    const run = await twinlock(
      [
        'fleet',
        'apply',
        fleetFile,
        '--parallel',
        '2',
        '--cloud-witness-key-env',
        'FLEET_WITNESS_KEY',
        '--json',
      ],
      { FLEET_WITNESS_KEY: KEY },
    );
    expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
    const outcome = last(run.stdout).result as FleetOutcome;
    expect(outcome.counts).toEqual({ protected: 2 });
    for (const n of [3, 4])
      expect(clusterOf(n)).toMatchObject([
        { name: `L1-P0${n}-CL`, addresses: [`192.168.50.4${n - 1}`], witness: { kind: 'cloud' } },
      ]);
    const journal = JSON.parse(readFileSync(outcome.journal, 'utf8'));
    expect(journal.pairs['L1-P03'].cluster).toEqual({ name: 'L1-P03-CL', address: '192.168.50.42' });
    for (const f of filesUnder(home)) expect(f.bytes.includes(Buffer.from(KEY)), f.path).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(KEY);
  }, 300_000);
});
