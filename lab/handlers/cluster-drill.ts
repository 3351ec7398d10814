/**
 * invoke-cluster-drill.ps1: one step of a Level 1 failover drill, as Windows' FailoverClusters
 * cmdlets take it on the lab's cluster (lab/cluster.ts). Stop-ClusterNode marks the node Down and
 * fails its roles over (Pending on the other node for the profile's `failoverSeconds` of lab
 * time, the VM running nowhere meanwhile); Start-ClusterNode brings it back Up (its roles stay
 * where they are); Suspend-ClusterNode -Drain -Wait live-migrates its running VMs off, one after
 * another, and leaves it Paused; Resume-ClusterNode -Failback Immediate makes it Up and moves
 * those roles back; Move-ClusterVirtualMachineRole -MigrationType Live moves one VM. Each live
 * migration pauses its VM for the profile's `liveMigrationPauseMs` of lab time.
 */
import { clusterNode, clusterOf, clusterRole, failOver, settleCluster } from '../cluster';
import type { LabCluster, LabClusterRole } from '../cluster';
import { PsError, scriptThrow } from '../powershell-shapes';
import type { LabWorld } from '../world';
import { str } from './types';
import type { ScriptHandler } from './types';

const ACTIONS = ['stop-node', 'start-node', 'drain', 'resume', 'live-migrate'] as const;
type Action = (typeof ACTIONS)[number];

/** A FailoverClusters cmdlet's terminating error, as Windows PowerShell reports it. */
function clusterError(cmdlet: string, message: string): PsError {
  const type = cmdlet.replace('-', '');
  return new PsError(
    message,
    'NotSpecified',
    `${cmdlet},Microsoft.FailoverClusters.PowerShell.${type}Command`,
  );
}

/** Windows' words when the cluster service does not answer on this server (stopped, or no cluster). */
export const CLUSTER_SERVICE_NOT_RUNNING =
  'The cluster service is not running.  Make sure that the service is running on all nodes in the cluster.';
/** ERROR_HOST_NODE_NOT_AVAILABLE (5005). */
const NODE_NOT_AVAILABLE = 'A cluster node is not available for this operation.';

const CMDLETS: Record<Action, string> = {
  'stop-node': 'Stop-ClusterNode',
  'start-node': 'Start-ClusterNode',
  drain: 'Suspend-ClusterNode',
  resume: 'Resume-ClusterNode',
  'live-migrate': 'Move-ClusterVirtualMachineRole',
};

/**
 * Live-migrates `role` to `target`: the VM keeps running on its node while its memory is copied,
 * then runs nowhere for the pause, then runs on `target`. Resolves once it runs there.
 */
async function liveMigrate(world: LabWorld, role: LabClusterRole, target: string): Promise<void> {
  const pause = world.clock.realMs(world.clustering.timings.liveMigrationPauseMs / 1000);
  role.ownerNode = target;
  role.pausedUntil = world.clock.now() + pause;
  await world.clock.sleepMs(pause);
  delete role.pausedUntil;
}

/** The nodes and VM roles as Get-ClusterNode and Get-ClusterGroup show them now. */
function standing(world: LabWorld, cluster: LabCluster) {
  settleCluster(world, cluster);
  return {
    nodes: cluster.nodes.map((n) => ({ name: n.name, state: n.state })),
    roles: cluster.roles.map((r) => ({ name: r.name, vm: r.name, ownerNode: r.ownerNode, state: r.state })),
  };
}

export const invokeClusterDrill: ScriptHandler = async ({ host, world, params }) => {
  const action = str(params, 'action');
  const nodeName = str(params, 'node');
  const vm = str(params, 'vm');
  if (nodeName === '') throw scriptThrow(`The drill step '${action}' needs the name of a cluster node.`);
  if (!(ACTIONS as readonly string[]).includes(action))
    throw scriptThrow(
      `'${action}' is not a drill step (stop-node, start-node, drain, resume or live-migrate).`,
    );
  const step = action as Action;
  if (step === 'live-migrate' && vm === '')
    throw scriptThrow('A live migration needs the name of the VM to move.');
  const cmdlet = CMDLETS[step];
  const cluster = clusterOf(world.clustering, host);
  const here = cluster ? clusterNode(cluster, host.name) : null;
  if (cluster) settleCluster(world, cluster);
  // The cmdlets talk to the cluster service of this server; Start-ClusterNode starts it.
  const selfStart = step === 'start-node' && nodeName.toLowerCase() === host.name.toLowerCase();
  if (!cluster || !here || (here.state === 'Down' && !selfStart))
    throw clusterError(cmdlet, CLUSTER_SERVICE_NOT_RUNNING);
  const node = clusterNode(cluster, nodeName);
  if (!node) throw clusterError(cmdlet, `The cluster node '${nodeName}' was not found.`);
  const others = cluster.nodes.filter((n) => n !== node);

  switch (step) {
    case 'stop-node': {
      if (node.state === 'Down') break;
      if (!others.some((n) => n.state === 'Up'))
        throw clusterError(
          cmdlet,
          `An error occurred while stopping the cluster node '${node.name}'.\nThe cluster node '${node.name}' is the last node that is up: stopping it would take every role in the cluster offline.`,
        );
      node.state = 'Down';
      delete node.droppedOut;
      failOver(world, cluster, node);
      break;
    }
    case 'start-node': {
      if (node.state === 'Down') {
        node.state = 'Up';
        delete node.droppedOut;
      }
      break;
    }
    case 'drain': {
      if (node.state === 'Down')
        throw clusterError(
          cmdlet,
          `An error occurred while pausing the cluster node '${node.name}'.\n${NODE_NOT_AVAILABLE}`,
        );
      const target = others.find((n) => n.state === 'Up');
      const leaving = cluster.roles.filter((r) => r.ownerNode.toLowerCase() === node.name.toLowerCase());
      if (leaving.length > 0 && !target)
        throw clusterError(
          cmdlet,
          `An error occurred while pausing the cluster node '${node.name}'.\n${NODE_NOT_AVAILABLE}`,
        );
      node.state = 'Paused';
      for (const role of leaving) {
        role.failbackTo = node.name;
        // A running VM moves live; one that is off (or failed) moves as it is, quickly.
        if (role.state === 'Online') await liveMigrate(world, role, target!.name);
        else role.ownerNode = target!.name;
      }
      break;
    }
    case 'resume': {
      if (node.state === 'Down')
        throw clusterError(
          cmdlet,
          `An error occurred while resuming the cluster node '${node.name}'.\n${NODE_NOT_AVAILABLE}`,
        );
      node.state = 'Up';
      for (const role of cluster.roles) {
        if (role.failbackTo?.toLowerCase() !== node.name.toLowerCase()) continue;
        delete role.failbackTo;
        if (role.ownerNode.toLowerCase() === node.name.toLowerCase()) continue;
        if (role.state === 'Online') await liveMigrate(world, role, node.name);
        else role.ownerNode = node.name;
      }
      break;
    }
    case 'live-migrate': {
      const role = clusterRole(cluster, vm);
      if (!role)
        throw clusterError(
          cmdlet,
          `An error occurred while moving the clustered role '${vm}'.\nThe cluster group could not be found.`,
        );
      if (role.ownerNode.toLowerCase() === node.name.toLowerCase()) break;
      if (node.state !== 'Up')
        throw clusterError(
          cmdlet,
          `An error occurred while moving the clustered role '${role.name}'.\n${NODE_NOT_AVAILABLE}`,
        );
      if (role.state !== 'Online')
        throw clusterError(
          cmdlet,
          `An error occurred while moving the clustered role '${role.name}'.\nThe virtual machine is not running: only a running virtual machine can be live migrated.`,
        );
      await liveMigrate(world, role, node.name);
      break;
    }
    default:
      return assertNever(step);
  }
  // Get-ClusterNode asks this server's cluster service, which a step may just have stopped.
  if (here.state === 'Down') throw clusterError('Get-ClusterNode', CLUSTER_SERVICE_NOT_RUNNING);
  return { action: step, node: nodeName, ...standing(world, cluster) };
};

function assertNever(value: never): never {
  throw new Error(`unexpected drill step ${String(value)}`);
}
