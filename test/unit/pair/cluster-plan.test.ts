/**
 * Level 1: the plan of a pairing that makes a failover cluster (steps, exact parameters, undo,
 * the cloud witness's placeholder), the preflight's refusals, the status a node reports from its
 * cluster, and the apply that undoes what it did when Windows refuses a step.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentStatus, ClusterStateResult, HostInventory, PairConfig } from '../../../engine/api/models';
import { PlanSchema } from '../../../engine/api/models';
import { readScript } from '../../../engine/remote/session';
import type { PlanServerState } from '../../../engine/pair/plan';
import { basisOf, makePlan, makeUnpairPlan } from '../../../engine/pair/plan';
import { basisDrift } from '../../../engine/pair/plan-basis';
import { CLOUD_KEY_PLACEHOLDER } from '../../../engine/pair/cluster-plan';
import { preflightPair } from '../../../engine/pair/preflight';
import { clusterDescription, statusFromCluster } from '../../../engine/pair/cluster-status';
import { applyClusterPlan } from '../../../engine/pair/apply-cluster';
import type { TwinlockError } from '../../../engine/api/errors';
import { fakeContext, fakeHost } from '../agent/fakes';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const resources = join(__dirname, '../../../resources');
const scripts = (name: Parameters<typeof readScript>[1]) => readScript(resources, name);
const now = new Date('2026-12-03T09:00:00.000Z');

const feature = { agentVersion: null, roles: { hyperV: true, failoverClustering: true } };
const none = (): AgentStatus => ({ nodeId: '', role: 'none', pair: null, vms: [] });
const notClustered: ClusterStateResult = { featureInstalled: true, toolsInstalled: true, cluster: null };
const server = (inv: HostInventory, port: number, cluster = notClustered): PlanServerState => ({
  session: {
    computerName: inv.computerName,
    address: '127.0.0.1',
    port,
    fingerprint: `SHA256:${inv.computerName}`,
  },
  inventory: inv,
  status: none(),
  linkAddresses: [],
  cluster,
});
const a = server(inventory(feature), 2201);
const b = server(peerInventory(feature), 2202);
const config: PairConfig = {
  name: 'L1-PAIR',
  level: 1,
  primary: 's1',
  secondary: 's2',
  links: [
    {
      localNic: 'Ethernet 2',
      remoteNic: 'Ethernet 2',
      localAddress: '192.168.100.1',
      remoteAddress: '192.168.100.2',
    },
  ],
  witness: { kind: 'file-share', address: '\\\\files\\witness' },
  vms: ['SQL01', 'APP01'],
  cluster: { name: 'L1-CL', address: '10.0.0.50' },
};

describe('makePlan at Level 1', () => {
  it('makes the cluster, its witness and a role per VM on the primary, each with its undo, then waits', async () => {
    const plan = await makePlan(config, a, b, { scripts, now });
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(plan.pair.cluster).toEqual({ name: 'L1-CL', address: '10.0.0.50' });
    expect(plan.steps.map((s) => [s.id, s.script.name, s.undo?.script.name ?? null])).toEqual([
      ['primary/cluster', 'new-cluster', 'remove-cluster'],
      ['primary/quorum', 'set-cluster-quorum', 'set-cluster-quorum'],
      ['primary/role/0', 'add-cluster-vm-role', 'remove-cluster-vm-role'],
      ['primary/role/1', 'add-cluster-vm-role', 'remove-cluster-vm-role'],
      ['primary/wait', 'wait-cluster-roles', null],
    ]);
    const [cluster, quorum, role] = plan.steps;
    expect(cluster!.params).toEqual({
      name: 'L1-CL',
      nodes: ['HV-A', 'HV-B'],
      staticAddress: ['10.0.0.50'],
      description: 'twinlock pair=L1-PAIR; level=1',
    });
    expect(cluster!.undo!.params).toEqual({ name: 'L1-CL' });
    expect(quorum!.params).toEqual({
      kind: 'file-share',
      path: '\\\\files\\witness',
      disk: '',
      accountName: '',
      accessKey: '',
    });
    expect(quorum!.undo!.params).toMatchObject({ kind: 'node-majority' });
    expect(role!.params).toEqual({ vm: 'SQL01' });
    expect(plan.steps.at(-1)!).toMatchObject({
      changes: false,
      params: { vms: ['SQL01', 'APP01'], timeoutSeconds: 300 },
    });
    // No agent verb anywhere.
    expect(Object.keys(plan.scripts)).not.toContain('invoke-twinlockctl');
    // The cluster is part of each server's basis.
    expect(plan.servers[0].basis.cluster).toBe('Failover Clustering installed, in no cluster');
  });

  it('plans a link address the adapter lacks first: the sync links carry the heartbeat', async () => {
    const withNew: PairConfig = {
      ...config,
      links: [
        {
          localNic: 'Ethernet 4',
          remoteNic: 'Ethernet 4',
          localAddress: '172.30.0.1',
          remoteAddress: '172.30.0.2',
          prefixLength: 30,
        },
      ],
    };
    const plan = await makePlan(withNew, a, b, { scripts, now });
    expect(plan.steps.slice(0, 3).map((s) => s.id)).toEqual([
      'primary/address/0',
      'secondary/address/0',
      'primary/cluster',
    ]);
  });

  it('shows a cloud witness’s key as a placeholder, and a disk witness by its name', async () => {
    const cloud = await makePlan({ ...config, witness: { kind: 'cloud', address: 'contosowitness' } }, a, b, {
      scripts,
      now,
    });
    const q = cloud.steps.find((s) => s.id === 'primary/quorum')!;
    expect(q.params).toEqual({
      kind: 'cloud',
      path: '',
      disk: '',
      accountName: 'contosowitness',
      accessKey: CLOUD_KEY_PLACEHOLDER,
    });
    const disk = await makePlan({ ...config, witness: { kind: 'disk', address: 'Cluster Disk 1' } }, a, b, {
      scripts,
      now,
    });
    expect(disk.steps.find((s) => s.id === 'primary/quorum')!.params).toMatchObject({
      kind: 'disk',
      disk: 'Cluster Disk 1',
    });
    const noWitness = await makePlan({ ...config, witness: null }, a, b, { scripts, now });
    expect(noWitness.steps.find((s) => s.id === 'primary/quorum')!.params).toMatchObject({
      kind: 'node-majority',
    });
  });

  it('makes a plan stale once a server joins a cluster', async () => {
    const plan = await makePlan(config, a, b, { scripts, now });
    const joined = server(inventory(feature), 2201, {
      ...notClustered,
      cluster: clusterOf([]),
    });
    const drift = basisDrift('HV-A', plan.servers[0].basis as never, basisOf(joined));
    expect(drift.map((d) => d.what)).toEqual(['cluster']);
  });
});

describe('preflight at Level 1', () => {
  const issues = (
    over: Partial<PairConfig>,
    inv: [HostInventory, HostInventory] = [a.inventory, b.inventory],
  ) => preflightPair({ plan: { ...config, ...over }, inventories: inv, requireAgent: true });
  it('needs no agent, and passes a complete configuration', () => {
    expect(issues({})).toEqual([]);
  });
  it('refuses a missing cluster, naming cluster.name and cluster.address', () => {
    const { cluster: _c, ...rest } = config;
    const found = preflightPair({ plan: rest, inventories: [a.inventory, b.inventory], requireAgent: true });
    expect(found).toEqual([
      { field: 'cluster.name', message: expect.stringMatching(/cluster\.name.*cluster\.address/) },
    ]);
  });
  it('refuses a witness host in one sentence with the fix', () => {
    expect(issues({ witness: { kind: 'host', address: 'witness01' } })).toEqual([
      {
        field: 'witness.kind',
        message: expect.stringMatching(
          /^A failover cluster cannot use a witness host: .*file share.*disk.*cloud witness.*no witness/,
        ),
      },
    ]);
  });
  it('refuses servers without Failover Clustering', () => {
    const bare = peerInventory({ agentVersion: null });
    expect(issues({}, [a.inventory, bare])).toEqual([
      {
        field: 'secondary',
        message: expect.stringMatching(
          /^Failover Clustering is not installed on HV-B: install it on both servers first/,
        ),
      },
    ]);
  });
  it('refuses a cluster address a server holds, and a disk witness at Level 3', () => {
    expect(issues({ cluster: { name: 'L1-CL', address: '10.0.0.21' } })[0]).toMatchObject({
      field: 'cluster.address',
    });
    const l3 = preflightPair({
      plan: { ...config, level: 3, cluster: undefined, witness: { kind: 'disk', address: 'Cluster Disk 1' } },
      inventories: [inventory({ agentVersion: '3.2.1' }), peerInventory({ agentVersion: '3.2.1' })],
      requireAgent: true,
    });
    expect(l3).toEqual([
      {
        field: 'witness.kind',
        message: expect.stringMatching(/Level 3 choose a witness host or a file share/),
      },
    ]);
  });
});

function clusterOf(roles: NonNullable<ClusterStateResult['cluster']>['roles'], nodeB: 'Up' | 'Down' = 'Up') {
  return {
    name: 'L1-CL',
    addresses: ['10.0.0.50'],
    description: clusterDescription('L1-PAIR'),
    domain: 'contoso.local',
    nodes: [
      { name: 'HV-A', state: 'Up' as const },
      { name: 'HV-B', state: nodeB },
    ],
    quorum: {
      type: 'NodeAndFileShareMajority',
      witness: { kind: 'file-share' as const, address: '\\\\files\\witness', state: 'Online' as const },
    },
    roles,
    networks: [],
  };
}

describe('status from the cluster', () => {
  const online = [
    { name: 'SQL01', vm: 'SQL01', ownerNode: 'HV-B', state: 'Online' as const },
    { name: 'APP01', vm: 'APP01', ownerNode: 'HV-B', state: 'Online' as const },
  ];
  it('reports a protected pair, the owner of the most roles as primary', () => {
    const state = { ...notClustered, cluster: clusterOf(online) };
    expect(statusFromCluster('HV-A', state)).toMatchObject({
      nodeId: 'HV-A',
      role: 'secondary',
      pair: {
        name: 'L1-PAIR',
        peer: 'HV-B',
        state: 'protected',
        progress: 100,
        links: [],
        level: 1,
        witness: { address: '\\\\files\\witness', reachable: true },
      },
      vms: [
        { name: 'SQL01', state: 'Running', protected: true },
        { name: 'APP01', state: 'Running', protected: true },
      ],
      cluster: { name: 'L1-CL' },
    });
    expect(statusFromCluster('HV-B', state)!.role).toBe('primary');
  });
  it('is degraded with a node down or a role not online; the first node leads when no role says otherwise', () => {
    expect(
      statusFromCluster('HV-A', { ...notClustered, cluster: clusterOf(online, 'Down') })!.pair!.state,
    ).toBe('degraded');
    const pending = [{ ...online[0]!, state: 'Pending' as const }];
    const st = statusFromCluster('HV-A', { ...notClustered, cluster: clusterOf(pending) })!;
    expect(st.pair).toMatchObject({ state: 'degraded', progress: 0 });
    expect(statusFromCluster('HV-A', { ...notClustered, cluster: clusterOf([]) })!.role).toBe('primary');
  });
  it('ignores a cluster Twinlock did not make', () => {
    expect(
      statusFromCluster('HV-A', {
        ...notClustered,
        cluster: { ...clusterOf(online), description: 'SQL cluster' },
      }),
    ).toBeNull();
    expect(statusFromCluster('HV-A', notClustered)).toBeNull();
  });
});

describe('unpair at Level 1', () => {
  it('removes each role, then the cluster, on the server that owns the roles', async () => {
    const cluster = clusterOf([{ name: 'SQL01', vm: 'SQL01', ownerNode: 'HV-A', state: 'Online' }]);
    const state = { ...notClustered, cluster };
    const clustered = (s: PlanServerState): PlanServerState => ({
      ...s,
      cluster: state,
      status: statusFromCluster(s.session.computerName, state)!,
    });
    const plan = await makeUnpairPlan(clustered(b), clustered(a), { scripts, now });
    expect(plan.servers[0].computerName).toBe('HV-A');
    expect(plan.pair).toMatchObject({
      name: 'L1-PAIR',
      level: 1,
      cluster: { name: 'L1-CL', address: '10.0.0.50' },
    });
    expect(plan.steps.map((s) => [s.id, s.script.name, s.params])).toEqual([
      ['primary/role/0', 'remove-cluster-vm-role', { vm: 'SQL01' }],
      ['primary/cluster', 'remove-cluster', { name: 'L1-CL' }],
    ]);
    const removing = await makeUnpairPlan(clustered(a), clustered(b), { scripts, now, removeFeature: true });
    expect(
      removing.steps.slice(2).map((s) => [s.id, s.script.name, s.restarts, s.undo?.script.name]),
    ).toEqual([
      ['primary/feature', 'uninstall-cluster-feature', true, 'install-cluster-feature'],
      ['secondary/feature', 'uninstall-cluster-feature', true, 'install-cluster-feature'],
    ]);
    expect(removing.totals.restarts).toEqual(['HV-A', 'HV-B']);
  });
});

describe('applying a Level 1 plan', () => {
  const cluster = clusterOf([]);
  /** A primary whose scripts answer as Windows would, with `fail` refusing one script. */
  const hosts = (fail?: { script: string; message: string }) => {
    const answer = (name: string, value: (p: any) => unknown) => (p: any) => {
      if (fail?.script === name) throw Object.assign(new Error(fail.message), { code: 'script-failed' });
      return value(p);
    };
    const primary = fakeHost('HV-A', {
      'new-cluster': answer('new-cluster', () => cluster),
      'set-cluster-quorum': answer('set-cluster-quorum', (p) => ({
        type: 'NodeAndCloudMajority',
        witness: { kind: 'cloud', address: p.accountName, state: 'Online' },
      })),
      'add-cluster-vm-role': answer('add-cluster-vm-role', (p) => ({
        name: p.vm,
        vm: p.vm,
        ownerNode: 'HV-A',
        state: 'Pending',
      })),
      'wait-cluster-roles': answer('wait-cluster-roles', (p) => ({
        allOnline: true,
        roles: p.vms.map((vm: string) => ({ name: vm, vm, ownerNode: 'HV-A', state: 'Online' })),
        missing: [],
      })),
      'remove-cluster-vm-role': () => ({ removed: true }),
      'remove-cluster': () => ({ removed: true, computerObjectRemoved: true }),
      'get-cluster-state': () => ({
        ...notClustered,
        cluster: { ...cluster, roles: [{ name: 'SQL01', vm: 'SQL01', ownerNode: 'HV-A', state: 'Online' }] },
      }),
    });
    const secondary = fakeHost('HV-B', { 'get-cluster-state': () => ({ ...notClustered, cluster }) });
    return {
      primary,
      secondary,
      members: [
        { sessionId: 's1', label: 'HV-A', host: primary },
        { sessionId: 's2', label: 'HV-B', host: secondary },
      ] as [any, any],
    };
  };
  const cloudPlan = () =>
    makePlan({ ...config, vms: ['SQL01'], witness: { kind: 'cloud', address: 'contosowitness' } }, a, b, {
      scripts,
      now,
    });

  it('runs the steps with the cloud key given at apply time only, and ends protected', async () => {
    const h = hosts();
    const plan = await cloudPlan();
    const outcome = await applyClusterPlan(fakeContext<'pair'>() as never, plan, h.members, {
      cloudWitnessKey: 'S3cr3t==',
    });
    expect(outcome.state).toBe('protected');
    expect(h.primary.scripts('set-cluster-quorum')).toEqual([
      { kind: 'cloud', path: '', disk: '', accountName: 'contosowitness', accessKey: 'S3cr3t==' },
    ]);
    expect(JSON.stringify(plan)).not.toContain('S3cr3t==');
  });

  it('refuses a cloud witness plan without its key, naming cloudWitnessKey, before anything runs', async () => {
    const h = hosts();
    const err = (await applyClusterPlan(fakeContext<'pair'>() as never, await cloudPlan(), h.members).catch(
      (e) => e,
    )) as TwinlockError;
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^cloudWitnessKey: /);
    expect(h.primary.calls).toEqual([]);
  });

  it('undoes what it did when a step fails, naming the step, Windows’ words and the fix, never the key', async () => {
    const h = hosts({
      script: 'add-cluster-vm-role',
      message: "The virtual machine 'SQL01' was not found (key S3cr3t==).",
    });
    const err = (await applyClusterPlan(fakeContext<'pair'>() as never, await cloudPlan(), h.members, {
      cloudWitnessKey: 'S3cr3t==',
    }).catch((e) => e)) as TwinlockError;
    expect(err.message).toMatch(
      /^Pairing stopped at “Make SQL01 a role of cluster L1-CL.*” on HV-A\. Windows said: The virtual machine 'SQL01' was not found/,
    );
    expect(err.message).not.toContain('S3cr3t==');
    expect(err.message).toMatch(/Twinlock undid the 2 step\(s\) it had done/);
    // Removing the cluster takes its quorum with it: only the cluster's own undo runs.
    expect(h.primary.calls.map((c) => (c as { name: string }).name)).toEqual([
      'new-cluster',
      'set-cluster-quorum',
      'add-cluster-vm-role',
      'remove-cluster',
    ]);
    expect(h.primary.scripts('remove-cluster')).toEqual([{ name: 'L1-CL' }]);
  });
});
