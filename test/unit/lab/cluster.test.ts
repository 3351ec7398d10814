/**
 * The lab's failover clustering as the cluster scripts' handlers change it: New-Cluster's
 * refusals in Windows' words (a key logon, the feature missing, different domains), a workgroup
 * cluster without a computer object, VM roles coming online on the lab clock, and Get-VM
 * following a role's owner node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../../lab/handlers/index';
import { visibleVmState } from '../../../lab/agent';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

const make = {
  name: 'L1-CL',
  nodes: ['TL-NODE-A', 'TL-NODE-B'],
  staticAddress: ['192.168.50.40'],
  description: 'twinlock pair=P; level=1',
};
let lab: OfflineLab;
afterEach(() => lab?.dispose());
const ready = (profile = 'matched-pair') => {
  lab = offlineLab(profile, 60);
  for (const h of lab.hosts) h.profile.roles.failoverClustering = true;
  return lab;
};

describe('lab New-Cluster', () => {
  it('is denied over a key logon: the session has no network credentials for the other node', async () => {
    const l = ready();
    const a = l.hosts[0]!;
    const run = () =>
      HANDLERS['new-cluster']!({
        host: a,
        world: l.world,
        params: make,
        account: a.accounts[0]!,
        logon: 'key',
      });
    await expect(async () => run()).rejects.toThrow(/Access is denied to 'TL-NODE-B'/);
    expect(l.world.clustering.clusters).toEqual([]);
  });

  it('refuses a node without the feature, and nodes in different domains', async () => {
    const l = ready();
    l.hosts[1]!.profile.roles.failoverClustering = false;
    await expect(l.run(l.hosts[0]!, 'new-cluster', make)).rejects.toThrow(
      /'TL-NODE-B' does not have the Failover Clustering feature installed/,
    );
    const d = ready('different-domains');
    const names = d.hosts.map((h) => h.name);
    await expect(d.run(d.hosts[0]!, 'new-cluster', { ...make, nodes: names })).rejects.toThrow(
      /is not joined to the same domain/,
    );
  });

  it('makes both nodes Up, its computer object, NodeMajority, the business network for clients', async () => {
    const l = ready();
    const made = await l.run(l.hosts[0]!, 'new-cluster', make);
    expect(made).toMatchObject({ name: 'L1-CL', domain: 'contoso.local', addresses: make.staticAddress });
    const c = (await l.run(l.hosts[1]!, 'get-cluster-state', {})).cluster;
    expect(c).toMatchObject({
      name: 'L1-CL',
      domain: 'contoso.local',
      quorum: { type: 'NodeMajority', witness: null },
    });
    expect(c.nodes).toEqual([
      { name: 'TL-NODE-A', state: 'Up' },
      { name: 'TL-NODE-B', state: 'Up' },
    ]);
    expect(
      c.networks.filter((n: { role: number }) => n.role === 3).map((n: { address: string }) => n.address),
    ).toEqual(['192.168.50.0']);
    expect(l.world.clustering.directory.objects.get('l1-cl')).toEqual({
      name: 'L1-CL',
      enabled: true,
      cluster: 'L1-CL',
    });
    // The name is the cluster's now: a second one may not take it, nor its address.
    await expect(l.run(l.hosts[1]!, 'new-cluster', make)).rejects.toThrow(/joined to a cluster/);
  });
});

describe('lab VM roles', () => {
  it('come online after onlineSeconds of lab time, and Get-VM follows the owner node', async () => {
    const l = ready();
    const [a, b] = [l.hosts[0]!, l.hosts[1]!];
    l.world.clock.pause();
    await l.run(a, 'new-cluster', make);
    expect(await l.run(a, 'add-cluster-vm-role', { vm: 'SQL01' })).toMatchObject({
      state: 'Pending',
      ownerNode: 'TL-NODE-A',
    });
    expect(visibleVmState(a, l.world, 'SQL01')).toBe('Running');
    await l.world.clock.advance(l.world.clustering.timings.onlineSeconds - 1);
    expect((await l.run(b, 'get-cluster-state', {})).cluster.roles[0].state).toBe('Pending');
    await l.world.clock.advance(1);
    expect((await l.run(b, 'get-cluster-state', {})).cluster.roles[0].state).toBe('Online');
    // A drill moves the role: only its owner node and state change.
    const role = l.world.clustering.clusters[0]!.roles[0]!;
    role.ownerNode = 'TL-NODE-B';
    expect(visibleVmState(b, l.world, 'SQL01')).toBe('Running');
    expect(visibleVmState(a, l.world, 'SQL01')).toBeNull();
  });

  it('removing the cluster in a directory the account may not change leaves its object, disabled', async () => {
    const l = ready();
    await l.run(l.hosts[0]!, 'new-cluster', make);
    l.world.clustering.directory.canCreateComputer = false;
    expect(await l.run(l.hosts[1]!, 'remove-cluster', { name: 'L1-CL' })).toEqual({
      removed: true,
      computerObjectRemoved: false,
    });
    expect(l.world.clustering.clusters).toEqual([]);
    expect(l.world.clustering.directory.objects.get('l1-cl')).toEqual({ name: 'L1-CL', enabled: false });
  });
});
