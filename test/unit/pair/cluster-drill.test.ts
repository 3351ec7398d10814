/**
 * The Level 1 drill against two fake servers sharing one fake failover cluster (real time, short
 * timings): the steps it runs and with what, the downtime it measures per VM from outside, the
 * timeline, and the node it always brings back when something goes wrong.
 */
import { describe, expect, it } from 'vitest';
import type { AgentStatus, ClusterStatus } from '../../../engine/api/models';
import { statusFromCluster } from '../../../engine/pair/cluster-status';
import { clusterDrillRefusal, clusterPairRefusal, runClusterDrill } from '../../../engine/pair/cluster-drill';
import type { DrillMember } from '../../../engine/pair/drill';
import { fakeContext, fakeHost } from '../agent/fakes';

const A = 'TL-NODE-A';
const B = 'TL-NODE-B';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Options {
  /** Milliseconds a failed-over role is Pending before it is Online. */
  failoverMs?: number;
  /** Milliseconds a live-migrated VM runs nowhere. */
  pauseMs?: number;
  /** The failed-over roles never come online. */
  neverOnline?: boolean;
  /** Actions that fail with this message (e.g. the first start-node). */
  failOnce?: Partial<Record<string, string>>;
  /** Where each VM's role is before the drill (default: both on TL-NODE-A). */
  owners?: [string, string];
}

/** One cluster the two fake servers are nodes of, moved by invoke-cluster-drill as Windows would. */
function fakePair(o: Options = {}) {
  const failoverMs = o.failoverMs ?? 300;
  const pauseMs = o.pauseMs ?? 20;
  const cluster: ClusterStatus = {
    name: 'PAIR01-CL',
    addresses: ['192.168.50.50'],
    description: 'twinlock pair=PAIR01; level=1',
    domain: 'contoso.local',
    nodes: [
      { name: A, state: 'Up' },
      { name: B, state: 'Up' },
    ],
    quorum: { type: 'NodeAndFileShareMajority', witness: null },
    roles: ['SQL01', 'APP01'].map((vm, i) => ({
      name: vm,
      vm,
      ownerNode: o.owners?.[i] ?? A,
      state: 'Online' as const,
    })),
    networks: [],
  };
  const onlineAt = new Map<string, number>();
  const paused = new Set<string>();
  const failOnce = { ...o.failOnce };
  const settle = () => {
    for (const r of cluster.roles) {
      const at = onlineAt.get(r.vm);
      if (r.state === 'Pending' && at !== undefined && Date.now() >= at && !o.neverOnline) {
        r.state = 'Online';
        onlineAt.delete(r.vm);
      }
    }
  };
  const migrate = async (vm: string, to: string) => {
    const role = cluster.roles.find((r) => r.vm === vm)!;
    paused.add(vm);
    role.ownerNode = to;
    await sleep(pauseMs);
    paused.delete(vm);
  };
  const node = (n: string) => cluster.nodes.find((x) => x.name === n)!;
  const serverOf = (name: string) =>
    fakeHost(name, {
      'get-cluster-state': () => (
        settle(),
        { featureInstalled: true, toolsInstalled: true, cluster: structuredClone(cluster) }
      ),
      'get-vm-state': (p: { names: string[] }) => {
        settle();
        return {
          computerName: name,
          hyperV: true,
          vms: p.names.map((vm) => {
            const r = cluster.roles.find((x) => x.vm === vm);
            const here = r?.ownerNode === name;
            const running = here && r!.state === 'Online' && !paused.has(vm);
            return {
              name: vm,
              found: here,
              state: here ? (running ? 2 : 3) : null,
              uptimeSeconds: 0,
              addresses: [],
            };
          }),
        };
      },
      'invoke-cluster-drill': async (p: { action: string; node: string; vm: string }) => {
        settle();
        const fail = failOnce[p.action];
        if (fail) {
          delete failOnce[p.action];
          throw new Error(fail);
        }
        const other = p.node === A ? B : A;
        switch (p.action) {
          case 'stop-node':
            node(p.node).state = 'Down';
            for (const r of cluster.roles)
              if (r.ownerNode === p.node) {
                r.ownerNode = other;
                r.state = 'Pending';
                onlineAt.set(r.vm, Date.now() + failoverMs);
              }
            break;
          case 'start-node':
            node(p.node).state = 'Up';
            break;
          case 'drain':
            for (const r of cluster.roles) if (r.ownerNode === p.node) await migrate(r.vm, other);
            node(p.node).state = 'Paused';
            break;
          case 'resume':
            node(p.node).state = 'Up';
            for (const r of cluster.roles) if (r.ownerNode !== p.node) await migrate(r.vm, p.node);
            break;
          case 'live-migrate':
            if (cluster.roles.find((r) => r.vm === p.vm)!.ownerNode !== p.node) await migrate(p.vm, p.node);
            break;
        }
        return {
          action: p.action,
          node: p.node,
          nodes: structuredClone(cluster.nodes),
          roles: structuredClone(cluster.roles),
        };
      },
    });
  const hosts = [serverOf(A), serverOf(B)] as const;
  const members: [DrillMember, DrillMember] = [
    { sessionId: 's-a', computerName: A, host: hosts[0] },
    { sessionId: 's-b', computerName: B, host: hosts[1] },
  ];
  const status = (name: string) =>
    statusFromCluster(name, {
      featureInstalled: true,
      toolsInstalled: true,
      cluster: structuredClone(cluster),
    })!;
  return { cluster, hosts, members, statuses: () => [status(A), status(B)] as [AgentStatus, AgentStatus] };
}

const TIMINGS = {
  sampleIntervalMs: 10,
  statusIntervalMs: 20,
  rolesTimeoutMs: 5000,
  protectedTimeoutMs: 5000,
};

/** The drill steps the servers were asked for, as `server: action node vm`. */
function steps(pair: ReturnType<typeof fakePair>): string[] {
  return pair.hosts.flatMap((h) =>
    (h.scripts('invoke-cluster-drill') as Array<{ action: string; node: string; vm: string }>).map(
      (p) => `${h.label}: ${p.action} ${p.node}${p.vm ? ` ${p.vm}` : ''}`,
    ),
  );
}

describe('the Level 1 drill', () => {
  it('primary-loss: stops the primary, measures each VM down for the restart time, starts it and moves the VMs back', async () => {
    const pair = fakePair({ failoverMs: 300 });
    const ctx = fakeContext<'drill'>();
    const r = await runClusterDrill(
      ctx,
      pair.members,
      pair.statuses(),
      { kind: 'primary-loss', watchPorts: {} },
      TIMINGS,
    );
    expect(r.result, r.reason ?? '').toBe('passed');
    expect(steps(pair)).toEqual([
      `${B}: stop-node ${A}`,
      `${B}: start-node ${A}`,
      `${B}: live-migrate ${A} SQL01`,
      `${B}: live-migrate ${A} APP01`,
    ]);
    expect(r).toMatchObject({
      kind: 'primary-loss',
      level: 1,
      finalState: 'protected',
      serverTimeScale: 1,
      cluster: 'PAIR01-CL',
    });
    for (const vm of r.vms) {
      // Down from the stop until the cluster had restarted it on B (300 ms), give or take a few looks.
      expect(vm.downtimeMs, vm.name).toBeGreaterThanOrEqual(200);
      expect(vm.downtimeMs, vm.name).toBeLessThan(1200);
      expect(vm.watched).toBe(`Get-VM on ${A} and ${B}`);
    }
    expect(r.measuredDowntimeMs).toBe(Math.max(...r.vms.map((v) => v.downtimeMs)));
    expect(r.agentDowntimeMs).toBeGreaterThanOrEqual(300);
    const order = r.timeline.map((e) => e.state).filter((s) => !s.startsWith('vm-'));
    expect(order).toEqual([
      'started',
      'node-stopped',
      'failed-over',
      'node-started',
      'moved-back',
      'moved-back',
      'protected',
    ]);
    expect(pair.cluster.roles.map((x) => `${x.vm}@${x.ownerNode}:${x.state}`)).toEqual([
      `SQL01@${A}:Online`,
      `APP01@${A}:Online`,
    ]);
    // What the admin reads along the way.
    const lines = ctx.progressLog.map((l) => l.message);
    expect(lines).toContain(
      `Stopping the cluster service on ${A}, as if the server failed: its VMs restart on ${B}`,
    );
    expect(lines).toContain(`Moving SQL01 back to ${A} while it runs (live migration)`);
    expect(lines.at(-1)).toMatch(/^Drill passed: SQL01 down \d+ ms, APP01 down \d+ ms; protected again$/);
  });

  it('primary-loss leaves alone a VM the secondary already ran, and moves back only what moved', async () => {
    const pair = fakePair({ owners: [A, B] });
    const r = await runClusterDrill(
      fakeContext<'drill'>(),
      pair.members,
      pair.statuses(),
      { kind: 'primary-loss', watchPorts: {} },
      TIMINGS,
    );
    expect(r.result, r.reason ?? '').toBe('passed');
    expect(steps(pair)).toEqual([
      `${B}: stop-node ${A}`,
      `${B}: start-node ${A}`,
      `${B}: live-migrate ${A} SQL01`,
    ]);
    expect(r.vms.find((v) => v.name === 'APP01')!.downtimeMs).toBe(0);
    expect(r.vms.find((v) => v.name === 'SQL01')!.downtimeMs).toBeGreaterThanOrEqual(200);
    expect(pair.cluster.roles.map((x) => x.ownerNode)).toEqual([A, B]);
  });

  it('drain: drains and resumes with failback; each VM is down only for a live migration’s pause', async () => {
    const pair = fakePair({ pauseMs: 20 });
    const r = await runClusterDrill(
      fakeContext<'drill'>(),
      pair.members,
      pair.statuses(),
      { kind: 'drain', watchPorts: {} },
      TIMINGS,
    );
    expect(r.result, r.reason ?? '').toBe('passed');
    expect(steps(pair)).toEqual([`${B}: drain ${A}`, `${B}: resume ${A}`]);
    expect(r.measuredDowntimeMs).toBeLessThan(150);
    expect(r.agentDowntimeMs).toBeNull();
    expect(r.timeline.map((e) => e.state)).toEqual(
      expect.arrayContaining(['drained', 'resumed', 'protected']),
    );
  });

  it('live-migration: moves each VM to the secondary and back, measuring the pauses', async () => {
    const pair = fakePair({ pauseMs: 20 });
    const r = await runClusterDrill(
      fakeContext<'drill'>(),
      pair.members,
      pair.statuses(),
      { kind: 'live-migration', watchPorts: {} },
      TIMINGS,
    );
    expect(r.result, r.reason ?? '').toBe('passed');
    expect(steps(pair)).toEqual([
      `${B}: live-migrate ${B} SQL01`,
      `${B}: live-migrate ${B} APP01`,
      `${B}: live-migrate ${A} SQL01`,
      `${B}: live-migrate ${A} APP01`,
    ]);
    expect(r.measuredDowntimeMs).toBeLessThan(150);
    expect(r.finalState).toBe('protected');
  });

  it('brings the stopped node back and says so when the VMs never come online on the other server', async () => {
    const pair = fakePair({ neverOnline: true });
    const r = await runClusterDrill(
      fakeContext<'drill'>(),
      pair.members,
      pair.statuses(),
      { kind: 'primary-loss', watchPorts: {} },
      {
        ...TIMINGS,
        rolesTimeoutMs: 400,
        settleMs: 50,
      },
    );
    expect(r.result).toBe('failed');
    expect(r.reason).toMatch(
      new RegExp(
        `^the cluster did not bring every VM online on ${B} within 400 ms \\(SQL01 Pending on ${B}, APP01 Pending on ${B}\\)`,
      ),
    );
    expect(r.reason).toContain(`Twinlock started the cluster service on ${A} again (Start-ClusterNode)`);
    expect(steps(pair)).toEqual([`${B}: stop-node ${A}`, `${B}: start-node ${A}`]);
    expect(pair.cluster.nodes[0]!.state).toBe('Up');
    expect(r.timeline.find((e) => e.state === 'undo')?.message).toBe(
      `Twinlock started the cluster service on ${A} again (Start-ClusterNode)`,
    );
    expect(r.finalState).not.toBe('protected');
  });

  it('resumes a drained node when the failback fails, and names the command when the undo fails too', async () => {
    const pair = fakePair({ failOnce: { resume: 'Resume-ClusterNode failed' } });
    const r = await runClusterDrill(
      fakeContext<'drill'>(),
      pair.members,
      pair.statuses(),
      { kind: 'drain', watchPorts: {} },
      TIMINGS,
    );
    expect(r.result).toBe('failed');
    expect(steps(pair)).toEqual([`${B}: drain ${A}`, `${B}: resume ${A}`, `${B}: resume ${A}`]);
    expect(r.reason).toContain(
      `Twinlock resumed ${A} and moved its VMs back (Resume-ClusterNode -Failback Immediate)`,
    );

    const worse = fakePair({ neverOnline: true, failOnce: { 'start-node': 'RPC server unavailable' } });
    const w = await runClusterDrill(
      fakeContext<'drill'>(),
      worse.members,
      worse.statuses(),
      { kind: 'primary-loss', watchPorts: {} },
      {
        ...TIMINGS,
        rolesTimeoutMs: 200,
        settleMs: 20,
      },
    );
    expect(w.reason).toContain(
      `Twinlock could not start the cluster service on ${A} again (RPC server unavailable): run Start-ClusterNode -Name ${A}`,
    );
  });

  it('refuses link-loss at Level 1 with why and what to pick, and a pair that is not healthy', () => {
    expect(clusterDrillRefusal('link-loss')).toMatch(
      /no sync link to cut .*pick primary-loss .*drain .*live-migration/,
    );
    expect(clusterDrillRefusal('drain')).toBeNull();
    const pair = fakePair();
    expect(clusterPairRefusal(pair.members, pair.statuses())).toBeNull();
    pair.cluster.roles[1]!.state = 'Failed';
    expect(clusterPairRefusal(pair.members, pair.statuses())).toBe(
      `the cluster is not healthy as ${A} reads it (APP01 is Failed)`,
    );
  });
});
