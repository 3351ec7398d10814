/**
 * Windows Server Failover Clustering as the lab's servers share it (Level 1): the directory the
 * cluster's computer object lives in, the addresses that already answer on the business network,
 * and the clusters the servers of one world form (nodes, quorum and witness, VM roles and their
 * owner node, networks). The cluster scripts' handlers read and change this state; what they
 * return is shaped as engine/api/models/cluster.ts says Windows' cmdlets report it.
 */
import type { LabHost } from './host';
import type { LabClusterProfile } from './profile';

/** Get-ClusterNode `.State`. */
export type LabClusterNodeState = 'Up' | 'Down' | 'Paused' | 'Joining';
/** Get-ClusterGroup `.State`. */
export type LabClusterGroupState = 'Online' | 'Offline' | 'Failed' | 'PartialOnline' | 'Pending';

export interface LabClusterNode {
  /** The node's computer name (a LabHost's name). */
  name: string;
  state: LabClusterNodeState;
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

/** Anything that reads the lab clock (world.clock). */
interface ClockReading {
  now(): number;
}

/**
 * Brings every VM role that is coming online (state `Pending`, `onlineAt` reached on the lab
 * clock) online on its owner node. Read before anything looks at a role, so that a role moved by
 * a drill (its `ownerNode`, `state` and `onlineAt` changed) settles the same way.
 */
export function settleRoles(world: { clustering: LabClustering; clock: ClockReading }): void {
  const now = world.clock.now();
  for (const cluster of world.clustering.clusters)
    for (const role of cluster.roles)
      if (role.state === 'Pending' && role.onlineAt !== undefined && role.onlineAt <= now) {
        role.state = 'Online';
        delete role.onlineAt;
      }
}

/**
 * What Get-VM shows for `vm` on `host` when the VM is a role of the cluster `host` is a node of:
 * the VM runs on its role's owner node (while the role is online or coming online there) and is
 * not registered on the other node (null). Undefined when the VM is no role of a cluster here,
 * so the caller answers as without a cluster.
 */
export function clusteredVmState(
  world: { clustering: LabClustering; clock: ClockReading },
  host: LabHost,
  vm: string,
): 'Running' | 'Off' | null | undefined {
  settleRoles(world);
  const cluster = clusterOf(world.clustering, host);
  const role = cluster?.roles.find((r) => r.vm.toLowerCase() === vm.toLowerCase());
  if (!cluster || !role) return undefined;
  if (role.ownerNode.toLowerCase() !== host.name.toLowerCase()) return null;
  const own = host.vms.find((v) => v.name.toLowerCase() === vm.toLowerCase());
  if (role.state === 'Online' || role.state === 'PartialOnline') return 'Running';
  // Coming online: a VM already running here (its role just added) keeps running; one failing over is not up yet.
  if (role.state === 'Pending') return own?.state === 'Running' ? 'Running' : 'Off';
  return 'Off';
}
