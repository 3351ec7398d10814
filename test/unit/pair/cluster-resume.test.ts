/**
 * A Level 1 pairing's journal and its resume: each step is recorded as sent and done on its
 * server (never the cloud witness key), and a resume reads both clusters back and either finishes
 * what is not done, skipping what the cluster already has, or takes back what the pairing made.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStateResult, PairConfig, Plan } from '../../../engine/api/models';
import type { TwinlockError } from '../../../engine/api/errors';
import { readScript } from '../../../engine/remote/session';
import type { PlanServerState } from '../../../engine/pair/plan';
import { makePlan } from '../../../engine/pair/plan';
import { applyClusterPlan } from '../../../engine/pair/apply-cluster';
import { clusterDescription } from '../../../engine/pair/cluster-status';
import { decideClusterResume, resumeClusterPairing } from '../../../engine/pair/resume-cluster';
import type { PairJournal, PairJournalHost } from '../../../engine/jobs/pair-journal';
import { openPairJournal, pairJournalDir } from '../../../engine/jobs/pair-journal';
import { fakeContext, fakeHost } from '../agent/fakes';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const resources = join(__dirname, '../../../resources');
const scripts = (name: Parameters<typeof readScript>[1]) => readScript(resources, name);
const now = new Date('2026-12-03T09:00:00.000Z');
const feature = { agentVersion: null, roles: { hyperV: true, failoverClustering: true } };
const notClustered: ClusterStateResult = { featureInstalled: true, toolsInstalled: true, cluster: null };
const server = (inv: ReturnType<typeof inventory>, port: number): PlanServerState => ({
  session: { computerName: inv.computerName, address: '127.0.0.1', port, fingerprint: `SHA256:${port}` },
  inventory: inv,
  status: { nodeId: '', role: 'none', pair: null, vms: [] },
  linkAddresses: [],
  cluster: notClustered,
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
  witness: { kind: 'cloud', address: 'contosowitness' },
  vms: ['SQL01', 'APP01'],
  cluster: { name: 'L1-CL', address: '10.0.0.50' },
};
const KEY = 'S3cr3t==';
const plan = () => makePlan(config, a, b, { scripts, now });

type Cluster = NonNullable<ClusterStateResult['cluster']>;
/** The cluster as Windows reports it: `roles` VMs, the cloud witness when `witness`, node B's state. */
function cluster(roles: string[], witness: boolean, nodeB: 'Up' | 'Down' = 'Up'): Cluster {
  return {
    name: 'L1-CL',
    addresses: ['10.0.0.50'],
    description: clusterDescription('L1-PAIR'),
    domain: 'contoso.local',
    nodes: [
      { name: a.session.computerName, state: 'Up' },
      { name: b.session.computerName, state: nodeB },
    ],
    quorum: witness
      ? {
          type: 'NodeAndCloudMajority',
          witness: { kind: 'cloud', address: 'contosowitness', state: 'Online' },
        }
      : { type: 'NodeMajority', witness: null },
    roles: roles.map((vm) => ({ name: vm, vm, ownerNode: a.session.computerName, state: 'Online' })),
    networks: [],
  };
}
const state = (c: Cluster | null): ClusterStateResult => ({ ...notClustered, cluster: c });
const journalHost = (role: 'primary' | 'secondary', steps: string[]): PairJournalHost => ({
  role,
  sessionId: role === 'primary' ? 's1' : 's2',
  computerName: role === 'primary' ? a.session.computerName : b.session.computerName,
  address: '127.0.0.1',
  port: role === 'primary' ? 2201 : 2202,
  username: 'admin',
  fingerprint: 'SHA256:x',
  steps: Object.fromEntries(steps.map((s) => [s, now.toISOString()])),
});

/** Two servers whose cluster scripts answer as Windows would, from one shared cluster. */
function lab(initial: Cluster | null, fail?: string) {
  let c: Cluster | null = initial ? structuredClone(initial) : null;
  const refuse = (name: string) => {
    if (fail === name) throw Object.assign(new Error(`Windows refused ${name}.`), { code: 'script-failed' });
  };
  const handlers = {
    'set-link-address': (p: any) => ({ adapter: p.adapter, address: p.address, alreadyPresent: false }),
    'remove-link-address': () => ({ removed: true }),
    'new-cluster': () => {
      refuse('new-cluster');
      c = cluster([], false);
      return c;
    },
    'set-cluster-quorum': (p: any) => {
      refuse('set-cluster-quorum');
      const witness = p.kind === 'cloud' ? { kind: 'cloud', address: p.accountName, state: 'Online' } : null;
      c!.quorum = { type: witness ? 'NodeAndCloudMajority' : 'NodeMajority', witness: witness as never };
      return c!.quorum;
    },
    'add-cluster-vm-role': (p: any) => {
      refuse('add-cluster-vm-role');
      const role = { name: p.vm, vm: p.vm, ownerNode: a.session.computerName, state: 'Online' as const };
      c!.roles.push(role);
      return role;
    },
    'wait-cluster-roles': (p: any) => {
      refuse('wait-cluster-roles');
      return {
        settled: true,
        roles: c!.roles.filter((r) => p.vms.includes(r.vm)),
        missing: p.vms.filter((vm: string) => !c!.roles.some((r) => r.vm === vm)),
      };
    },
    'remove-cluster-vm-role': (p: any) => {
      c!.roles = c!.roles.filter((r) => r.vm !== p.vm);
      return { removed: true };
    },
    'remove-cluster': () => {
      c = null;
      return { removed: true, computerObjectRemoved: true };
    },
    'get-cluster-state': () => state(c ? structuredClone(c) : null),
  };
  const primary = fakeHost(a.session.computerName, handlers as never);
  const secondary = fakeHost(b.session.computerName, {
    'set-link-address': handlers['set-link-address'],
    'remove-link-address': handlers['remove-link-address'],
    'get-cluster-state': handlers['get-cluster-state'],
  } as never);
  return {
    primary,
    secondary,
    cluster: () => c,
    members: [
      { sessionId: 's1', label: a.session.computerName, host: primary },
      { sessionId: 's2', label: b.session.computerName, host: secondary },
    ] as [any, any],
  };
}

/** A recorder that keeps the journal's steps per server, as the pairing journal does. */
function recorder(hosts: [PairJournalHost, PairJournalHost]) {
  const finished: string[] = [];
  return {
    hosts,
    finished,
    step: async (role: 'primary' | 'secondary', step: string) => {
      hosts[role === 'primary' ? 0 : 1].steps[step] = now.toISOString();
    },
    finish: async (s: string) => {
      finished.push(s);
    },
  };
}
const names = (h: ReturnType<typeof fakeHost>) => h.calls.map((c) => (c as { name: string }).name);
const ids = (p: Plan, script: string) => p.steps.filter((s) => s.script.name === script).map((s) => s.id);

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('the journal of a Level 1 pairing', () => {
  it('records each step as sent and then done on its server, and never the cloud witness key', async () => {
    const p = await plan();
    const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-l1-journal-'));
    dirs.push(dataDir);
    const initial: PairJournal = {
      format: 'twinlock-journal/1',
      jobId: 'job-1',
      kind: 'pair',
      state: 'running',
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      pair: p.pair,
      agentVersion: 'Failover Clustering',
      planHash: p.hash,
      plan: p,
      hosts: [journalHost('primary', []), journalHost('secondary', [])],
    };
    const journal = await openPairJournal(dataDir, initial);
    const l = lab(null);
    const outcome = await applyClusterPlan(fakeContext<'pair'>() as never, p, l.members, {
      cloudWitnessKey: KEY,
      recorder: journal,
    });
    expect(outcome.state).toBe('protected');
    const snap = journal.snapshot();
    const primarySteps = p.steps.filter((s) => s.server === 'primary').map((s) => s.id);
    expect(Object.keys(snap.hosts[0].steps).sort()).toEqual(
      primarySteps.flatMap((id) => [`sent:${id}`, `done:${id}`]).sort(),
    );
    expect(primarySteps).toEqual(
      expect.arrayContaining(['primary/cluster', 'primary/quorum', 'primary/wait']),
    );
    const file = readFileSync(
      join(pairJournalDir(dataDir), readdirSync(pairJournalDir(dataDir))[0]!),
      'utf8',
    );
    expect(file).toContain('"done:primary/role/1"');
    expect(file).not.toContain(KEY);
  });

  it('records the undo of each step a failure takes back', async () => {
    const p = await plan();
    const rec = recorder([journalHost('primary', []), journalHost('secondary', [])]);
    const l = lab(null, 'add-cluster-vm-role');
    const err = (await applyClusterPlan(fakeContext<'pair'>() as never, p, l.members, {
      cloudWitnessKey: KEY,
      recorder: rec,
    }).catch((e) => e)) as TwinlockError;
    expect(err.detail?.undo).toEqual({ complete: true, remains: [] });
    const steps = rec.hosts[0].steps;
    expect(Object.keys(steps)).toEqual(
      expect.arrayContaining(['done:primary/cluster', 'undone:primary/cluster', 'sent:primary/role/0']),
    );
    expect(steps['done:primary/role/0']).toBeUndefined();
    expect(l.cluster()).toBeNull();
  });
});

describe('deciding a Level 1 resume', () => {
  it('finishes from the start when the cluster was never asked for', async () => {
    const p = await plan();
    const d = decideClusterResume(
      p,
      [journalHost('primary', []), journalHost('secondary', [])],
      [state(null), state(null)],
    );
    expect(d).toEqual({ kind: 'finish', done: new Set(), present: new Set(), needsKey: true });
  });

  it('skips what the cluster already has: the cluster, the witness, a VM already a role', async () => {
    const p = await plan();
    const [role0, role1] = ids(p, 'add-cluster-vm-role');
    const primary = journalHost('primary', ['sent:primary/cluster', 'sent:primary/quorum', `sent:${role0}`]);
    const c = cluster(['SQL01'], true);
    const d = decideClusterResume(p, [primary, journalHost('secondary', [])], [state(c), state(c)]);
    expect(d.kind).toBe('finish');
    if (d.kind !== 'finish') return;
    expect([...d.done].sort()).toEqual(['primary/cluster', 'primary/quorum', role0!].sort());
    expect(d.present.has(role1!)).toBe(false);
    expect(d.needsKey).toBe(false);
  });

  it('needs the key again when the witness is still to be set', async () => {
    const p = await plan();
    const primary = journalHost('primary', ['sent:primary/cluster', 'done:primary/cluster']);
    const c = cluster([], false);
    const d = decideClusterResume(p, [primary, journalHost('secondary', [])], [state(c), state(c)]);
    expect(d).toMatchObject({ kind: 'finish', needsKey: true });
  });

  it('takes back a cluster that is missing on one server or has a node down, naming why', async () => {
    const p = await plan();
    const [role0] = ids(p, 'add-cluster-vm-role');
    const primary = journalHost('primary', [
      'done:primary/cluster',
      'done:primary/quorum',
      `done:${role0}`,
      'sent:primary/role/1',
    ]);
    const down = cluster(['SQL01'], true, 'Down');
    const d1 = decideClusterResume(p, [primary, journalHost('secondary', [])], [state(down), state(down)]);
    expect(d1).toEqual({
      kind: 'take-back',
      why: `node ${b.session.computerName} of cluster L1-CL is Down`,
      // The second role was asked for but is not there: nothing of it to undo.
      undo: ['primary/cluster', 'primary/quorum', role0],
    });
    const up = cluster(['SQL01'], true);
    const d2 = decideClusterResume(p, [primary, journalHost('secondary', [])], [state(up), state(null)]);
    expect(d2).toMatchObject({
      kind: 'take-back',
      why: `${b.session.computerName} is not a node of cluster L1-CL`,
    });
  });

  it('takes back nothing of a cluster New-Cluster never made, only what was done', async () => {
    const p = await plan();
    const d = decideClusterResume(
      p,
      [journalHost('primary', ['sent:primary/cluster']), journalHost('secondary', [])],
      [state(null), state(null)],
    );
    expect(d).toEqual({
      kind: 'take-back',
      why: `${a.session.computerName} is not a node of cluster L1-CL`,
      undo: [],
    });
  });
});

describe('resuming a Level 1 pairing', () => {
  it('finishes the roles not yet made and waits for them, without making the cluster or witness again', async () => {
    const p = await plan();
    const [role0] = ids(p, 'add-cluster-vm-role');
    const rec = recorder([
      journalHost('primary', ['done:primary/cluster', 'done:primary/quorum', `sent:${role0}`]),
      journalHost('secondary', []),
    ]);
    const l = lab(cluster(['SQL01'], true));
    const outcome = await resumeClusterPairing(fakeContext<'pair'>() as never, p, l.members, rec.hosts, rec);
    expect(outcome.state).toBe('protected');
    expect(names(l.primary).filter((n) => n !== 'get-cluster-state')).toEqual([
      ...(ids(p, 'set-link-address').length > 0 ? ['set-link-address'] : []),
      'add-cluster-vm-role',
      'wait-cluster-roles',
    ]);
    expect(l.primary.scripts('add-cluster-vm-role')).toEqual([{ vm: 'APP01' }]);
    expect(l.cluster()?.roles.map((r) => r.vm)).toEqual(['SQL01', 'APP01']);
    expect(rec.finished).toEqual(['done']);
  });

  it('refuses plainly, changing nothing, when the witness is still to be set and no key was given', async () => {
    const p = await plan();
    const rec = recorder([journalHost('primary', ['done:primary/cluster']), journalHost('secondary', [])]);
    const l = lab(cluster([], false));
    const err = (await resumeClusterPairing(
      fakeContext<'pair'>() as never,
      p,
      l.members,
      rec.hosts,
      rec,
    ).catch((e) => e)) as TwinlockError;
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^cloudWitnessKey: .*never stores the access key: give it again to resume/);
    expect(err.detail).toMatchObject({ field: 'cloudWitnessKey', resumable: true });
    expect(names(l.primary)).toEqual(['get-cluster-state']);
    expect(rec.finished).toEqual([]);

    const outcome = await resumeClusterPairing(fakeContext<'pair'>() as never, p, l.members, rec.hosts, rec, {
      cloudWitnessKey: KEY,
    });
    expect(outcome.state).toBe('protected');
    expect(l.primary.scripts('set-cluster-quorum')).toEqual([
      { kind: 'cloud', path: '', disk: '', accountName: 'contosowitness', accessKey: KEY },
    ]);
    expect(JSON.stringify(rec.hosts)).not.toContain(KEY);
  });

  it('takes back what it made when the cluster cannot be finished, as a failure would', async () => {
    const p = await plan();
    const [role0, role1] = ids(p, 'add-cluster-vm-role');
    const rec = recorder([
      journalHost('primary', [
        'done:primary/cluster',
        'done:primary/quorum',
        `done:${role0}`,
        `done:${role1}`,
      ]),
      journalHost('secondary', []),
    ]);
    const l = lab(cluster(['SQL01', 'APP01'], true, 'Down'));
    const err = (await resumeClusterPairing(
      fakeContext<'pair'>() as never,
      p,
      l.members,
      rec.hosts,
      rec,
    ).catch((e) => e)) as TwinlockError;
    expect(err.code).toBe('cancelled');
    expect(err.message).toContain(`node ${b.session.computerName} of cluster L1-CL is Down`);
    expect(err.message).toContain(
      `rolled it back: ${a.session.computerName} and ${b.session.computerName} are not paired`,
    );
    // Reverse order; removing the cluster takes its quorum with it.
    expect(names(l.primary).filter((n) => n !== 'get-cluster-state')).toEqual([
      'remove-cluster-vm-role',
      'remove-cluster-vm-role',
      'remove-cluster',
    ]);
    expect(l.cluster()).toBeNull();
    expect(rec.finished).toEqual(['rolled-back']);
  });

  it('changes nothing and stays resumable when a server does not answer', async () => {
    const p = await plan();
    const rec = recorder([journalHost('primary', ['done:primary/cluster']), journalHost('secondary', [])]);
    const l = lab(cluster([], true));
    (l.members[1] as any).host = fakeHost(b.session.computerName, {
      'get-cluster-state': () => {
        throw Object.assign(new Error('The connection was lost.'), { code: 'connection-lost' });
      },
    });
    const err = (await resumeClusterPairing(
      fakeContext<'pair'>() as never,
      p,
      l.members,
      rec.hosts,
      rec,
    ).catch((e) => e)) as TwinlockError;
    expect(err.message).toMatch(/^Twinlock cannot resume L1-PAIR yet: /);
    expect(err.detail).toMatchObject({ resumable: true });
    expect(names(l.primary)).toEqual(['get-cluster-state']);
  });

  it('checks the configuration again only when the pairing had changed nothing yet', async () => {
    const p = await plan();
    let checked = 0;
    const preflight = async () => {
      checked++;
    };
    const fresh = recorder([journalHost('primary', []), journalHost('secondary', [])]);
    const l = lab(null);
    const outcome = await resumeClusterPairing(
      fakeContext<'pair'>() as never,
      p,
      l.members,
      fresh.hosts,
      fresh,
      {
        cloudWitnessKey: KEY,
        preflight,
      },
    );
    expect(outcome.state).toBe('protected');
    expect(checked).toBe(1);
    expect(names(l.primary)).toContain('new-cluster');

    const begun = recorder([journalHost('primary', ['done:primary/cluster']), journalHost('secondary', [])]);
    await resumeClusterPairing(
      fakeContext<'pair'>() as never,
      p,
      lab(cluster([], false)).members,
      begun.hosts,
      begun,
      {
        cloudWitnessKey: KEY,
        preflight,
      },
    );
    expect(checked).toBe(1);
  });
});
