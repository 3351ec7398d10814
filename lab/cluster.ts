/**
 * Windows Server Failover Clustering as the lab's servers share it (Level 1): the directory the
 * cluster's computer object lives in, the addresses that already answer on the business network,
 * and the clusters the servers of one world form (nodes, quorum and witness, VM roles and their
 * owner node, networks). The cluster scripts' handlers read and change this state; what they
 * return is shaped as engine/api/models/cluster.ts says Windows' cmdlets report it.
 */
import type { LabClock } from './clock';
import type { LabHost } from './host';
import type { LabClusterProfile } from './profile';
import type { VmState } from './state';

/** Get-ClusterNode `.State`. */
export type LabClusterNodeState = 'Up' | 'Down' | 'Paused' | 'Joining';
/** Get-ClusterGroup `.State`. */
export type LabClusterGroupState = 'Online' | 'Offline' | 'Failed' | 'PartialOnline' | 'Pending';

export interface LabClusterNode {
  /** The node's computer name (a LabHost's name). */
  name: string;
  state: LabClusterNodeState;
  /** The node went Down because it dropped out of the cluster (its `dropsOutOfCluster` fault), not by Stop-ClusterNode. */
  droppedOut?: boolean;
}

/** A virtual machine role (a cluster group of GroupType VirtualMachine). */
export interface LabClusterRole {
  /** The group's name: the VM's name, as Add-ClusterVirtualMachineRole names it. */
  name: string;
  vm: string;
  ownerNode: string;
  state: LabClusterGroupState;
  /**
   * Lab-clock time (LabClock.now, ms) at which a role that is moving or restarting (state
   * `Pending`) comes online on `ownerNode`; absent when it is not moving.
   */
  onlineAt?: number;
  /**
   * Lab-clock time until which a live-migrated VM runs nowhere (the pause as its memory's last
   * pages are copied and it resumes on `ownerNode`); absent when it is not migrating.
   */
  pausedUntil?: number;
  /** The node a drain moved the role off, which `Resume-ClusterNode -Failback Immediate` moves it back to. */
  failbackTo?: string;
  /** Set while the role is `Pending` because its node was lost: its VM restarts on `ownerNode` and runs nowhere until then. */
  failingOver?: boolean;
}

/** The cluster's witness resource (null: node majority). */
export interface LabClusterWitness {
  kind: 'file-share' | 'disk' | 'cloud';
  /** The share path, the disk resource's name, or the storage account's name. */
  address: string;
  state: LabClusterGroupState;
}

export interface LabClusterNetwork {
  /** `Cluster Network 1`, … */
  name: string;
  /** The subnet's address, e.g. 192.168.50.0. */
  address: string;
  prefixLength: number;
  state: 'Up' | 'Down' | 'Partitioned';
  /** 0 none, 1 cluster only, 3 cluster and client. */
  role: number;
}

/** One failover cluster. */
export interface LabCluster {
  name: string;
  /** Its static address(es) on the business network. */
  addresses: string[];
  /** (Get-Cluster).Description. */
  description: string;
  /** The nodes' domain (WORKGROUP for a workgroup cluster). */
  domain: string;
  nodes: LabClusterNode[];
  /** Get-ClusterQuorum `.QuorumType`: `NodeMajority`, `NodeAndFileShareMajority`, `NodeAndDiskMajority`, `NodeAndCloudMajority`. */
  quorumType: string;
  witness: LabClusterWitness | null;
  roles: LabClusterRole[];
  networks: LabClusterNetwork[];
}

/** A computer object in the directory (Active Directory). */
export interface LabComputerObject {
  name: string;
  /** Enabled: a computer or a cluster uses it (the name is taken). Disabled: prestaged for a cluster to claim. */
  enabled: boolean;
  /** The cluster that claimed it, when one did. */
  cluster?: string;
}

/** What every world of one lab shares: the directory and the business network's other devices. */
export interface LabDirectory {
  /** Computer objects by lower-case name. */
  readonly objects: Map<string, LabComputerObject>;
  /** Addresses something else already answers on (ARP/ping), besides the servers' own. */
  readonly addressesInUse: Set<string>;
  /** The servers' accounts may create computer objects in their container. */
  canCreateComputer: boolean;
  /** The container the servers' computer objects are in. */
  container: string;
}

/** The clusters of one world (the servers that see each other). */
export interface LabClustering {
  readonly directory: LabDirectory;
  readonly clusters: LabCluster[];
  /** The profile's timings (failover, coming online, live migration's pause). */
  readonly timings: Omit<LabClusterProfile, 'directory'>;
}

/** The profile's defaults, for labs built without one. */
export const DEFAULT_CLUSTER_PROFILE: LabClusterProfile = {
  failoverSeconds: 40,
  onlineSeconds: 5,
  liveMigrationPauseMs: 150,
  directory: { taken: [], prestaged: [], canCreateComputer: true },
};

/**
 * The directory of a lab whose servers are in `domain` (no container in a workgroup), holding the
 * profile's taken names (enabled computer objects) and prestaged ones (disabled).
 */
export function newDirectory(
  domain: string,
  partOfDomain: boolean,
  profile: LabClusterProfile['directory'] = DEFAULT_CLUSTER_PROFILE.directory,
): LabDirectory {
  const objects = new Map<string, LabComputerObject>();
  for (const name of profile.taken) objects.set(name.toLowerCase(), { name, enabled: true });
  for (const name of profile.prestaged) objects.set(name.toLowerCase(), { name, enabled: false });
  const dc = domain
    .split('.')
    .filter((p) => p !== '')
    .map((p) => `DC=${p}`)
    .join(',');
  return {
    objects,
    addressesInUse: new Set(),
    canCreateComputer: profile.canCreateComputer,
    container: partOfDomain ? `CN=Computers,${dc}` : '',
  };
}

export function newClustering(
  directory: LabDirectory,
  profile: LabClusterProfile = DEFAULT_CLUSTER_PROFILE,
): LabClustering {
  const { directory: _directory, ...timings } = profile;
  return { directory, clusters: [], timings };
}

/** The cluster `host` is a node of, or null. */
export function clusterOf(clustering: LabClustering, host: LabHost | string): LabCluster | null {
  const name = (typeof host === 'string' ? host : host.name).toLowerCase();
  return clustering.clusters.find((c) => c.nodes.some((n) => n.name.toLowerCase() === name)) ?? null;
}

/** The cluster named `name` (case-insensitive), or null. */
export function clusterNamed(clustering: LabClustering, name: string): LabCluster | null {
  const n = name.toLowerCase();
  return clustering.clusters.find((c) => c.name.toLowerCase() === n) ?? null;
}

/** The world's server named `name` (case-insensitive), or null. */
function hostNamed(hosts: readonly LabHost[], name: string): LabHost | null {
  const n = name.toLowerCase();
  return hosts.find((h) => h.name.toLowerCase() === n) ?? null;
}

/** The node of `cluster` named `name` (case-insensitive), or null. */
export function clusterNode(cluster: LabCluster, name: string): LabClusterNode | null {
  const n = name.toLowerCase();
  return cluster.nodes.find((x) => x.name.toLowerCase() === n) ?? null;
}

/** The VM role of `cluster` for the VM (or group) named `vm` (case-insensitive), or null. */
export function clusterRole(cluster: LabCluster, vm: string): LabClusterRole | null {
  const n = vm.toLowerCase();
  return cluster.roles.find((r) => r.vm.toLowerCase() === n || r.name.toLowerCase() === n) ?? null;
}

/** The world the rules below need: its clock, its servers (for their faults) and the profile's timings. */
export interface ClusterWorld {
  readonly clock: LabClock;
  readonly hosts: readonly LabHost[];
  readonly clustering: LabClustering;
}

/**
 * Fails the roles of a node that is lost over to another node that is Up: each is `Pending`
 * there (the VM running nowhere) until `failoverSeconds` of lab time have passed, then Online;
 * a role whose VM is off (Offline) moves there and stays Offline.
 * With no node Up to take them, the roles are Failed where they were.
 */
export function failOver(world: ClusterWorld, cluster: LabCluster, lost: LabClusterNode): void {
  const survivor = cluster.nodes.find((n) => n !== lost && n.state === 'Up');
  const now = world.clock.now();
  for (const role of cluster.roles) {
    if (role.ownerNode.toLowerCase() !== lost.name.toLowerCase()) continue;
    delete role.pausedUntil;
    delete role.failbackTo;
    if (!survivor) {
      role.state = 'Failed';
      delete role.failingOver;
      delete role.onlineAt;
      continue;
    }
    role.ownerNode = survivor.name;
    // A role whose VM is off moves to the survivor as it is: the cluster starts nothing the admin left off.
    if (role.state === 'Offline') continue;
    role.state = 'Pending';
    role.failingOver = true;
    role.onlineAt = now + world.clock.realMs(world.clustering.timings.failoverSeconds);
  }
}

/**
 * Brings `cluster` up to the lab clock's reading, as Windows' cluster service would have by now:
 * a node whose server has the `dropsOutOfCluster` fault shows Down and its roles fail over (the
 * node joins again, Up, once the fault is cleared); a role whose failover or move is done is
 * Online on its owner; a live migration's pause is over. Every reader of the cluster's state
 * (the cluster scripts' handlers, Get-VM) calls this first, so nothing runs in the background.
 */
export function settleCluster(world: ClusterWorld, cluster: LabCluster): LabCluster {
  for (const node of cluster.nodes) {
    const host = hostNamed(world.hosts, node.name);
    const dropping = host?.faults.dropsOutOfCluster === true;
    if (dropping && node.state !== 'Down') {
      node.state = 'Down';
      node.droppedOut = true;
      failOver(world, cluster, node);
    } else if (!dropping && node.droppedOut) {
      node.state = 'Up';
      delete node.droppedOut;
    }
  }
  const now = world.clock.now();
  for (const role of cluster.roles) {
    if (role.state === 'Pending' && role.onlineAt !== undefined && now >= role.onlineAt) {
      role.state = 'Online';
      delete role.onlineAt;
      delete role.failingOver;
    }
    if (role.pausedUntil !== undefined && now >= role.pausedUntil) delete role.pausedUntil;
  }
  return cluster;
}

/**
 * What Hyper-V's Get-VM shows on `host` for a VM that is a role of `host`'s cluster: the VM is
 * registered on its role's owner node only (null elsewhere: Get-VM there does not find it),
 * Running there while the role is Online (and not in a live migration's pause), Off while the
 * role is Pending (being restarted there after a failover), Offline or Failed. `undefined` when
 * the VM is no role of a cluster `host` is in: the server's own Hyper-V state applies.
 */
export function clusteredVmState(
  world: ClusterWorld,
  host: LabHost | string,
  vm: string,
): VmState['state'] | null | undefined {
  const cluster = clusterOf(world.clustering, host);
  if (!cluster) return undefined;
  settleCluster(world, cluster);
  const role = clusterRole(cluster, vm);
  if (!role) return undefined;
  const name = typeof host === 'string' ? host : host.name;
  if (role.ownerNode.toLowerCase() !== name.toLowerCase()) return null;
  if (role.pausedUntil !== undefined) return 'Off';
  if (role.state === 'Online' || role.state === 'PartialOnline') return 'Running';
  // Coming online: a VM already running here (its role just added) keeps running; one failing over is not up yet.
  if (role.state === 'Pending' && !role.failingOver) {
    const own =
      typeof host === 'string' ? undefined : host.vms.find((v) => v.name.toLowerCase() === vm.toLowerCase());
    return own?.state === 'Running' ? 'Running' : 'Off';
  }
  return 'Off';
}

/**
 * Brings every cluster of the world up to the lab clock (settleCluster): roles whose `onlineAt` is
 * reached are Online, a node that dropped out is Down. Read before anything looks at a role, so
 * that a role moved by a drill (its `ownerNode`, `state` and `onlineAt` changed) settles the same way.
 */
export function settleRoles(world: ClusterWorld): void {
  for (const cluster of world.clustering.clusters) settleCluster(world, cluster);
}
