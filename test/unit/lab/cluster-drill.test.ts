/**
 * The lab's Failover Clustering under a drill, on a paused clock: invoke-cluster-drill's steps
 * (a node stopped and started, drained and resumed, a VM live-migrated) move the VM roles with the
 * profile's timings, Get-VM follows each role's owner and state, a node that drops out of the
 * cluster fails over on its own, and the impossible fails with Windows' words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LabCluster } from '../../../lab/cluster';
import { PsError } from '../../../lab/powershell-shapes';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

let lab: OfflineLab;
afterEach(() => lab?.dispose());

/** TL-NODE-A and TL-NODE-B in one cluster, SQL01 and APP01 roles Online on A, on a paused clock. */
function clustered(timeScale = 60): LabCluster {
  lab = offlineLab('matched-pair', timeScale);
  const cluster: LabCluster = {
    name: 'PAIR01-CL',
    addresses: ['192.168.50.50'],
    description: 'twinlock pair=PAIR01; level=1',
    domain: 'contoso.local',
    nodes: [
      { name: 'TL-NODE-A', state: 'Up' },
      { name: 'TL-NODE-B', state: 'Up' },
    ],
    quorumType: 'NodeAndFileShareMajority',
    witness: { kind: 'file-share', address: '\\\\TL-WITNESS\\twinlock-witness', state: 'Online' },
    roles: ['SQL01', 'APP01'].map((vm) => ({
      name: vm,
      vm,
      ownerNode: 'TL-NODE-A',
      state: 'Online' as const,
    })),
    networks: [],
  };
  lab.world.clustering.clusters.push(cluster);
  lab.world.clock.pause();
  return cluster;
}

const [A, B] = [0, 1];
const drill = (on: number, action: string, node: string, vm = '') =>
  lab.run(lab.hosts[on]!, 'invoke-cluster-drill', { action, node, vm });

/** Get-VM's state number for a VM on each server (2 Running, 3 Off, 0 not found), through get-vm-state. */
async function where(vm: string): Promise<number[]> {
  return Promise.all(
    lab.hosts.map(async (h) => {
      const r = await lab.run(h, 'get-vm-state', { names: [vm] });
      return r.vms[0].found ? r.vms[0].state : 0;
    }),
  );
}

/** The error a step fails with (message and id), or null when it succeeded. */
async function failure(p: Promise<unknown>): Promise<{ message: string; id: string } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    if (!(err instanceof PsError)) throw err;
    return { message: err.message, id: err.errorId };
  }
}

describe('invoke-cluster-drill in the lab', () => {
  it('stop-node: the roles are Pending on the other node, the VMs run nowhere for failoverSeconds, then Online there', async () => {
    clustered();
    const failover = lab.world.clustering.timings.failoverSeconds;
    expect(await where('SQL01')).toEqual([2, 0]);
    const stopped = await drill(B, 'stop-node', 'TL-NODE-A');
    expect(stopped).toEqual({
      action: 'stop-node',
      node: 'TL-NODE-A',
      nodes: [
        { name: 'TL-NODE-A', state: 'Down' },
        { name: 'TL-NODE-B', state: 'Up' },
      ],
      roles: [
        { name: 'SQL01', vm: 'SQL01', ownerNode: 'TL-NODE-B', state: 'Pending' },
        { name: 'APP01', vm: 'APP01', ownerNode: 'TL-NODE-B', state: 'Pending' },
      ],
    });
    // Registered on B, not running anywhere while the cluster restarts it.
    expect(await where('SQL01')).toEqual([0, 3]);
    await lab.world.clock.advance(failover - 1);
    expect(await where('SQL01')).toEqual([0, 3]);
    await lab.world.clock.advance(1);
    expect(await where('SQL01')).toEqual([0, 2]);
    expect(await where('APP01')).toEqual([0, 2]);
    // Start-ClusterNode: A is Up again; the roles stay on B (no automatic failback).
    const started = await drill(B, 'start-node', 'TL-NODE-A');
    expect(started.nodes).toEqual([
      { name: 'TL-NODE-A', state: 'Up' },
      { name: 'TL-NODE-B', state: 'Up' },
    ]);
    expect(started.roles.map((r: any) => [r.ownerNode, r.state])).toEqual([
      ['TL-NODE-B', 'Online'],
      ['TL-NODE-B', 'Online'],
    ]);
  });

  it('follows the profile: a shorter failoverSeconds brings the roles online sooner', async () => {
    clustered();
    Object.assign(lab.world.clustering.timings, { failoverSeconds: 12 });
    await drill(B, 'stop-node', 'TL-NODE-A');
    await lab.world.clock.advance(11.9);
    expect(await where('SQL01')).toEqual([0, 3]);
    await lab.world.clock.advance(0.2);
    expect(await where('SQL01')).toEqual([0, 2]);
  });

  it('live-migrate: the VM moves while it runs, with the pause liveMigrationPauseMs says', async () => {
    clustered();
    const pauseS = lab.world.clustering.timings.liveMigrationPauseMs / 1000;
    let done = false;
    const moving = drill(A, 'live-migrate', 'TL-NODE-B', 'SQL01').then((r) => ((done = true), r));
    await lab.world.clock.advance(0);
    // In the pause: running nowhere, registered on B; the cmdlet has not returned.
    expect(done).toBe(false);
    expect(await where('SQL01')).toEqual([0, 3]);
    await lab.world.clock.advance(pauseS);
    const moved = await moving;
    expect(moved.roles[0]).toEqual({ name: 'SQL01', vm: 'SQL01', ownerNode: 'TL-NODE-B', state: 'Online' });
    expect(moved.roles[1].ownerNode).toBe('TL-NODE-A');
    expect(await where('SQL01')).toEqual([0, 2]);
    expect(await where('APP01')).toEqual([2, 0]);
  });

  it('drain pauses the node after moving each running VM live; resume with failback moves them back', async () => {
    clustered();
    const pauseS = lab.world.clustering.timings.liveMigrationPauseMs / 1000;
    const draining = drill(B, 'drain', 'TL-NODE-A');
    // One VM after the other, each with its pause.
    await lab.world.clock.advance(pauseS);
    expect(await where('SQL01')).toEqual([0, 2]);
    expect(await where('APP01')).toEqual([0, 3]);
    await lab.world.clock.advance(pauseS);
    const drained = await draining;
    expect(drained.nodes).toEqual([
      { name: 'TL-NODE-A', state: 'Paused' },
      { name: 'TL-NODE-B', state: 'Up' },
    ]);
    expect(drained.roles.map((r: any) => [r.ownerNode, r.state])).toEqual([
      ['TL-NODE-B', 'Online'],
      ['TL-NODE-B', 'Online'],
    ]);
    // A paused node takes no role.
    expect(await failure(drill(B, 'live-migrate', 'TL-NODE-A', 'SQL01'))).toEqual({
      message:
        "An error occurred while moving the clustered role 'SQL01'.\nA cluster node is not available for this operation.",
      id: 'Move-ClusterVirtualMachineRole,Microsoft.FailoverClusters.PowerShell.MoveClusterVirtualMachineRoleCommand',
    });
    const resuming = drill(B, 'resume', 'TL-NODE-A');
    await lab.world.clock.advance(2 * pauseS);
    const resumed = await resuming;
    expect(resumed.nodes[0]).toEqual({ name: 'TL-NODE-A', state: 'Up' });
    expect(resumed.roles.map((r: any) => [r.ownerNode, r.state])).toEqual([
      ['TL-NODE-A', 'Online'],
      ['TL-NODE-A', 'Online'],
    ]);
    expect(await where('SQL01')).toEqual([2, 0]);
  });

  it('a node that drops out of the cluster shows Down and its roles fail over after failoverSeconds; it joins again once the fault clears', async () => {
    const cluster = clustered();
    const failover = lab.world.clustering.timings.failoverSeconds;
    lab.hosts[A]!.faults.dropsOutOfCluster = true;
    expect(await where('SQL01')).toEqual([0, 3]);
    expect(cluster.nodes[0]!.state).toBe('Down');
    // Its own cluster service lost the cluster: asked there, nothing answers.
    expect((await failure(drill(A, 'live-migrate', 'TL-NODE-B', 'APP01')))?.message).toBe(
      'The cluster service is not running.  Make sure that the service is running on all nodes in the cluster.',
    );
    await lab.world.clock.advance(failover);
    expect(await where('SQL01')).toEqual([0, 2]);
    lab.hosts[A]!.faults.dropsOutOfCluster = false;
    const back = drill(B, 'live-migrate', 'TL-NODE-A', 'APP01');
    await lab.world.clock.advance(lab.world.clustering.timings.liveMigrationPauseMs / 1000);
    // The node joined again (Up) and takes a role.
    expect((await back).nodes[0]).toEqual({ name: 'TL-NODE-A', state: 'Up' });
    expect(await where('APP01')).toEqual([2, 0]);
  });

  it('refuses the impossible with Windows’ errors and changes nothing', async () => {
    const cluster = clustered();
    const before = structuredClone(cluster);
    expect(await failure(drill(B, 'live-migrate', 'TL-NODE-B', 'NOPE01'))).toEqual({
      message:
        "An error occurred while moving the clustered role 'NOPE01'.\nThe cluster group could not be found.",
      id: 'Move-ClusterVirtualMachineRole,Microsoft.FailoverClusters.PowerShell.MoveClusterVirtualMachineRoleCommand',
    });
    expect((await failure(drill(B, 'stop-node', 'TL-NODE-Z')))?.message).toBe(
      "The cluster node 'TL-NODE-Z' was not found.",
    );
    expect(cluster).toEqual(before);
    await drill(B, 'stop-node', 'TL-NODE-A');
    // The last node that is up.
    expect(await failure(drill(B, 'stop-node', 'TL-NODE-B'))).toEqual({
      message:
        "An error occurred while stopping the cluster node 'TL-NODE-B'.\nThe cluster node 'TL-NODE-B' is the last node that is up: stopping it would take every role in the cluster offline.",
      id: 'Stop-ClusterNode,Microsoft.FailoverClusters.PowerShell.StopClusterNodeCommand',
    });
    await lab.world.clock.advance(lab.world.clustering.timings.failoverSeconds);
    // To a node that is Down.
    expect((await failure(drill(B, 'live-migrate', 'TL-NODE-A', 'SQL01')))?.message).toBe(
      "An error occurred while moving the clustered role 'SQL01'.\nA cluster node is not available for this operation.",
    );
    // A server in no cluster.
    lab.world.clustering.clusters.length = 0;
    expect(await failure(drill(B, 'start-node', 'TL-NODE-A'))).toEqual({
      message:
        'The cluster service is not running.  Make sure that the service is running on all nodes in the cluster.',
      id: 'Start-ClusterNode,Microsoft.FailoverClusters.PowerShell.StartClusterNodeCommand',
    });
    // What the script itself refuses.
    expect((await failure(drill(B, 'reboot', 'TL-NODE-A')))?.id).toBe(
      "'reboot' is not a drill step (stop-node, start-node, drain, resume or live-migrate).",
    );
    expect((await failure(drill(B, 'live-migrate', 'TL-NODE-A')))?.message).toBe(
      'A live migration needs the name of the VM to move.',
    );
    expect((await failure(drill(B, 'stop-node', '')))?.message).toBe(
      "The drill step 'stop-node' needs the name of a cluster node.",
    );
  });
});
