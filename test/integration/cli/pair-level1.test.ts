/**
 * Level 1 end to end through the command line, on `matched-pair` with Failover Clustering
 * installed on both servers: `pair --level 1` makes the failover cluster with the lab's file
 * share as its witness and the VMs as its roles, and `status` reads the pair back from the
 * cluster as protected; `unpair` removes the roles, the cluster and its computer object. A name
 * already taken, an address already in use and a witness share the servers may not write each
 * end with a plain error naming the fix, and leave both servers as they were. The lab's cluster
 * state (its clusters and directory) is the witness.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import type { LabClustering } from '../../../lab/cluster';
import { runTwinlock } from './twinlock';

const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;

describe('matched-pair at Level 1: the pair is a failover cluster', () => {
  let lab: Lab;
  let home: string;
  let hosts: [string, string];
  let share: string;
  const A = (): LabHost => lab.host('TL-NODE-A');
  const B = (): LabHost => lab.host('TL-NODE-B');
  const clustering = (): LabClustering => A().labWorld()!.clustering;
  const twinlock = (args: string[], env: Record<string, string> = {}) =>
    runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password, ...env });
  const pairArgs = (name: string, address: string, witness = `share:${share}`) => [
    'pair',
    ...hosts,
    '--trust-new',
    '--name',
    'L1-PAIR',
    '--level',
    '1',
    '--cluster-name',
    name,
    '--cluster-address',
    address,
    '--witness',
    witness,
    '--vm',
    'SQL01',
    '--vm',
    'APP01',
    '--json',
  ];
  /** Both servers as a failed pairing must leave them: in no cluster, no object, no address added. */
  const untouched = (name: string) => {
    expect(clustering().clusters).toEqual([]);
    expect(clustering().directory.objects.get(name.toLowerCase())?.cluster).toBeUndefined();
    for (const h of [A(), B()])
      expect(h.fileExists('C:\\ProgramData\\Twinlock\\link-addresses.json')).toBe(false);
    expect(A().vmState('SQL01')).toBe('Running');
  };

  beforeAll(async () => {
    lab = await startLab({ profile: 'matched-pair', timeScale: 60, latencyMs: 1 });
    home = mkdtempSync(join(tmpdir(), 'twinlock-cli-level1-'));
    hosts = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    share = lab.suggestedWitness!.address;
    for (const h of [A(), B()]) h.profile.roles.failoverClustering = true;
  });
  afterAll(async () => {
    await lab?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('refuses a name another computer holds, changing nothing', async () => {
    A().faults.clusterNamesTaken = ['TAKEN-CL'];
    const r = await twinlock(pairArgs('TAKEN-CL', '192.168.50.40'));
    A().faults.clusterNamesTaken = [];
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/Pairing stopped at “Make the failover cluster TAKEN-CL/);
    expect(r.stderr + r.stdout).toMatch(/already in use on the network/);
    expect(r.stderr + r.stdout).toMatch(/Choose another cluster name \(cluster\.name\)/);
    untouched('TAKEN-CL');
  }, 120_000);

  it('refuses an address something else answers on, changing nothing', async () => {
    clustering().directory.addressesInUse.add('192.168.50.41');
    const r = await twinlock(pairArgs('L1-CL', '192.168.50.41'));
    clustering().directory.addressesInUse.delete('192.168.50.41');
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/Static address '192\.168\.50\.41' is already in use/);
    expect(r.stderr + r.stdout).toMatch(/Choose a free cluster address \(cluster\.address\)/);
    untouched('L1-CL');
  }, 120_000);

  it('refuses a witness share a server may not write, before anything changes', async () => {
    B().faults.witnessShareReadOnly = true;
    const r = await twinlock(pairArgs('L1-CL', '192.168.50.40'));
    B().faults.witnessShareReadOnly = false;
    expect(r.code, r.stdout).not.toBe(0);
    // Both servers write to the share before the cluster is made: the one that may not is named, with the fix.
    expect(r.stderr + r.stdout).toMatch(/witness\.address: TL-NODE-B cannot reach the witness/);
    expect(r.stderr + r.stdout).toMatch(/give its computer account \(TL-NODE-B\$\) Change permission/);
    expect(r.stderr + r.stdout).toMatch(/Nothing was changed on either server/);
    untouched('L1-CL');
  }, 120_000);

  it('refuses a witness host at Level 1 before anything changes', async () => {
    const r = await twinlock(pairArgs('L1-CL', '192.168.50.40', 'host:TL-WITNESS'));
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/witness\.kind: A failover cluster cannot use a witness host/);
    untouched('L1-CL');
  }, 120_000);

  it('pairs: the cluster with its witness and the VM roles, status protected; unpair removes it', async () => {
    const paired = await twinlock(pairArgs('L1-CL', '192.168.50.40'));
    expect(paired.code, paired.stderr + paired.stdout).toBe(0);
    expect(last(paired.stdout).result.state).toBe('protected');
    const [cluster] = clustering().clusters;
    expect(cluster).toMatchObject({
      name: 'L1-CL',
      addresses: ['192.168.50.40'],
      description: 'twinlock pair=L1-PAIR; level=1',
      nodes: [
        { name: 'TL-NODE-A', state: 'Up' },
        { name: 'TL-NODE-B', state: 'Up' },
      ],
      quorumType: 'NodeAndFileShareMajority',
      witness: { kind: 'file-share', address: share, state: 'Online' },
    });
    expect(cluster!.roles.map((r) => [r.vm, r.ownerNode, r.state])).toEqual([
      ['SQL01', 'TL-NODE-A', 'Online'],
      ['APP01', 'TL-NODE-A', 'Online'],
    ]);
    expect(cluster!.networks.find((n) => n.address === '192.168.50.0')?.role).toBe(3);
    expect(clustering().directory.objects.get('l1-cl')).toMatchObject({ enabled: true, cluster: 'L1-CL' });

    const status = await twinlock(['status', hosts[1], '--json']);
    expect(status.code, status.stderr).toBe(0);
    const st = JSON.parse(status.stdout);
    expect(st).toMatchObject({
      nodeId: 'TL-NODE-B',
      role: 'secondary',
      pair: {
        name: 'L1-PAIR',
        peer: 'TL-NODE-A',
        state: 'protected',
        level: 1,
        witness: { address: share, reachable: true },
      },
      cluster: { name: 'L1-CL' },
    });
    const text = await twinlock(['status', hosts[0]]);
    expect(text.stdout).toMatch(/TL-NODE-A: protected — pair L1-PAIR, primary, level 1, peer TL-NODE-B/);
    expect(text.stdout).toMatch(/role SQL01 \(VM SQL01\): Online on TL-NODE-A/);
    expect(text.stdout).toMatch(/witness file-share .*: Online/);

    const unpaired = await twinlock(['unpair', ...hosts, '--yes', '--remove-feature', '--json']);
    expect(unpaired.code, unpaired.stderr + unpaired.stdout).toBe(0);
    expect(unpaired.stderr + unpaired.stdout).toMatch(/Remove the failover cluster L1-CL/);
    expect(clustering().clusters).toEqual([]);
    expect(clustering().directory.objects.has('l1-cl')).toBe(false);
    // --remove-feature: Uninstall-WindowsFeature ran on both; Windows finishes at the next restart.
    expect(unpaired.stderr + unpaired.stdout).toMatch(/Uninstall Failover Clustering from TL-NODE-B/);
    for (const h of [A(), B()]) expect(h.clusterFeaturePending).toBe('uninstall');
    // The VMs keep running where they were.
    expect(A().vmState('SQL01')).toBe('Running');
    // In no cluster and with no agent: the server is in no pair again.
    const after = await twinlock(['status', hosts[0], '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout.trim().split('\n').at(-1)!)).toMatchObject({ role: 'none', pair: null });
  }, 180_000);

  it('takes a cloud witness’s key from TWINLOCK_CLOUD_WITNESS_KEY, uses it once and writes it nowhere', async () => {
    for (const h of [A(), B()]) h.clusterFeaturePending = null;
    for (const h of [A(), B()]) h.profile.roles.failoverClustering = true;
    const key = 'c2VjcmV0LWtleS1vZi10aGUtc3RvcmFnZS1hY2NvdW50PT0=';
    const refused = await twinlock(pairArgs('L1-CL', '192.168.50.40', 'cloud:contosowitness'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(
      /cloudWitnessKey: the cloud witness \(storage account contosowitness\) needs its access key/,
    );
    expect(clustering().clusters).toEqual([]);
    const paired = await twinlock(pairArgs('L1-CL', '192.168.50.40', 'cloud:contosowitness'), {
      TWINLOCK_CLOUD_WITNESS_KEY: key,
    });
    expect(paired.code, paired.stderr + paired.stdout).toBe(0);
    expect(clustering().clusters[0]).toMatchObject({
      quorumType: 'NodeAndCloudMajority',
      witness: { kind: 'cloud', address: 'contosowitness', state: 'Online' },
    });
    expect(paired.stdout + paired.stderr).not.toContain(key);
    expect(paired.stdout).toContain('<cloud witness access key>');
    // Nothing Twinlock keeps (journals, plans, logs, the bundle) holds the key.
    const files = readdirSync(home, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8')).not.toContain(key);
    const unpaired = await twinlock(['unpair', ...hosts, '--yes', '--json']);
    expect(unpaired.code, unpaired.stderr + unpaired.stdout).toBe(0);
    expect(clustering().clusters).toEqual([]);
  }, 180_000);
});
