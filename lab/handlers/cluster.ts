/**
 * The Level 1 cluster scripts (get-cluster-state, new-cluster, set-cluster-quorum,
 * add-cluster-vm-role, remove-cluster-vm-role, wait-cluster-roles, remove-cluster): they read and
 * change `world.clustering` as Windows' FailoverClusters cmdlets change a real cluster, and fail
 * with Windows' own words where Windows refuses.
 */
import { PsError, scriptThrow } from '../powershell-shapes';
import type { LabHost } from '../host';
import type { LabWorld } from '../world';
import type { LabCluster, LabClusterNetwork, LabClusterRole } from '../cluster';
import { clusterNamed, clusterOf, settleRoles } from '../cluster';
import { list, str } from './types';
import type { ScriptHandler } from './types';

/** What a cmdlet's terminating error looks like to the bootstrap (not a script's own `throw`). */
function cmdletError(message: string, id: string, category = 'NotSpecified'): PsError {
  return new PsError(message, category, id);
}

/** The cluster as get-cluster-state prints it (new-cluster prints its name, addresses, description, domain and nodes). */
export function clusterView(cluster: LabCluster) {
  return {
    name: cluster.name,
    addresses: [...cluster.addresses],
    description: cluster.description,
    domain: cluster.domain,
    nodes: cluster.nodes.map((n) => ({ name: n.name, state: n.state })),
    quorum: {
      type: cluster.quorumType,
      witness: cluster.witness ? { ...cluster.witness } : null,
    },
    roles: cluster.roles.map((r) => ({ name: r.name, vm: r.vm, ownerNode: r.ownerNode, state: r.state })),
    networks: cluster.networks.map((n) => ({ ...n })),
  };
}

const featureOn = (host: LabHost) => host.profile.roles.failoverClustering;

/** The cluster `host` is a node of, its roles brought up to the lab clock. */
function currentCluster(host: LabHost, world: LabWorld): LabCluster | null {
  settleRoles(world);
  return clusterOf(world.clustering, host);
}

export const getClusterState: ScriptHandler = ({ host, world }) => {
  const installed = featureOn(host);
  const cluster = installed ? currentCluster(host, world) : null;
  return {
    featureInstalled: installed,
    // The lab installs the feature with its management tools (Install-WindowsFeature -IncludeManagementTools).
    toolsInstalled: installed,
    cluster: cluster ? clusterView(cluster) : null,
  };
};

/** The subnet (network address) of an IPv4 address. */
export function subnetOf(address: string, prefixLength: number): string {
  const n = address.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const net = (n & mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

/** The cluster networks two nodes' adapters make: one per subnet, the one holding the cluster address for clients too. */
function networksOf(nodes: LabHost[], clusterAddress: string): LabClusterNetwork[] {
  const seen = new Map<string, LabClusterNetwork>();
  for (const node of nodes)
    for (const nic of node.profile.nics)
      for (const ip of nic.ipv4) {
        const address = subnetOf(ip.address, ip.prefixLength);
        const key = `${address}/${ip.prefixLength}`;
        if (seen.has(key)) continue;
        seen.set(key, {
          name: `Cluster Network ${seen.size + 1}`,
          address,
          prefixLength: ip.prefixLength,
          state: 'Up',
          role: subnetOf(clusterAddress, ip.prefixLength) === address ? 3 : 1,
        });
      }
  return [...seen.values()];
}

const creating = (name: string, reason: string) =>
  `There was an error creating the cluster.\r\nAn error occurred while creating the cluster '${name}'.\r\n${reason}`;

export const newCluster: ScriptHandler = ({ host, world, params, logon }) => {
  const name = str(params, 'name');
  const nodeNames = list(params, 'nodes');
  const addresses = list(params, 'staticAddress');
  const clustering = world.clustering;
  if (!featureOn(host))
    throw scriptThrow(
      `Failover Clustering is not installed on ${host.name}. Install the Failover-Clustering feature with its management tools first.`,
    );
  const nodes = nodeNames.map((n) => {
    const found = world.hosts.find(
      (h) =>
        h.name.toLowerCase() === n.toLowerCase() ||
        `${h.name}.${h.profile.domain}`.toLowerCase() === n.toLowerCase(),
    );
    if (!found)
      throw cmdletError(
        creating(name, `The computer '${n}' could not be reached. The RPC server is unavailable.`),
        'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
        'ConnectionError',
      );
    return found;
  });
  // A key logon has no network credentials: reaching the other node as the admin is denied.
  const remote = nodes.filter((n) => n !== host);
  if (logon === 'key' && remote.length > 0)
    throw cmdletError(
      creating(name, `Access is denied to '${remote[0]!.name}'.`),
      'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
      'PermissionDenied',
    );
  for (const node of nodes) {
    if (!featureOn(node))
      throw cmdletError(
        creating(
          name,
          `The computer '${node.name}' does not have the Failover Clustering feature installed.`,
        ),
        'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
        'InvalidOperation',
      );
    const member = clusterOf(clustering, node);
    if (member)
      throw cmdletError(
        creating(name, `The computer '${node.name}' is joined to a cluster ('${member.name}').`),
        'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
        'InvalidOperation',
      );
  }
  const domainOf = (h: LabHost) => (h.profile.partOfDomain ? h.profile.domain.toLowerCase() : 'workgroup');
  const other = nodes.find((n) => domainOf(n) !== domainOf(host));
  if (other)
    throw cmdletError(
      creating(
        name,
        `The node '${other.name}' is not joined to the same domain as '${host.name}'. All the nodes of a cluster must be in the same domain.`,
      ),
      'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
      'InvalidOperation',
    );
  const lower = name.toLowerCase();
  const object = clustering.directory.objects.get(lower);
  const taken =
    (object?.enabled ?? false) ||
    world.hosts.some((h) => h.name.toLowerCase() === lower) ||
    nodes.some((n) => n.faults.clusterNamesTaken.some((t) => t.toLowerCase() === lower)) ||
    clusterNamed(clustering, name) !== null;
  if (taken)
    throw cmdletError(
      creating(name, `The network name '${name}' is already in use on the network by another computer.`),
      'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
      'ResourceExists',
    );
  for (const address of addresses) {
    const inUse =
      clustering.directory.addressesInUse.has(address) ||
      nodes.some((n) => n.faults.addressesInUse.includes(address)) ||
      world.hosts.some((h) => h.profile.nics.some((nic) => nic.ipv4.some((ip) => ip.address === address))) ||
      clustering.clusters.some((c) => c.addresses.includes(address));
    if (inUse)
      throw cmdletError(
        creating(name, `Static address '${address}' is already in use on the network.`),
        'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
        'ResourceExists',
      );
    const onLink = host.profile.nics.some((nic) =>
      nic.ipv4.some((ip) => subnetOf(ip.address, ip.prefixLength) === subnetOf(address, ip.prefixLength)),
    );
    if (!onLink)
      throw cmdletError(
        `Static address '${address}' was not found on any cluster network or is otherwise incompatible.`,
        'InvalidParameter,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
        'InvalidArgument',
      );
  }
  if (host.profile.partOfDomain) {
    if (!object && !clustering.directory.canCreateComputer)
      throw cmdletError(
        creating(
          name,
          `Unable to create the computer object '${name}' in '${clustering.directory.container}'. Access is denied.`,
        ),
        'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand',
        'PermissionDenied',
      );
    // A prestaged (disabled) object is claimed; otherwise the cluster creates its own.
    clustering.directory.objects.set(lower, { name: object?.name ?? name, enabled: true, cluster: name });
  }
  const cluster: LabCluster = {
    name,
    addresses,
    description: str(params, 'description'),
    domain: host.profile.partOfDomain ? host.profile.domain : 'WORKGROUP',
    nodes: nodes.map((n) => ({ name: n.name, state: 'Up' })),
    quorumType: 'NodeMajority',
    witness: null,
    roles: [],
    networks: networksOf(nodes, addresses[0] ?? ''),
  };
  clustering.clusters.push(cluster);
  // What was made; get-cluster-state reads the rest (the quorum, the roles, the networks).
  const { name: made, addresses: at, description, domain, nodes: members } = clusterView(cluster);
  return { name: made, addresses: at, description, domain, nodes: members };
};

/** Get-Cluster on a server that is a node of none. */
function noCluster(host: LabHost): PsError {
  return cmdletError(
    `The cluster service is not running on '${host.name}'. Make sure that the service is running on all nodes in the cluster.`,
    'ClusterCmdletError,Microsoft.FailoverClusters.PowerShell.GetClusterCommand',
    'ConnectionError',
  );
}

/** The disks a cluster may add: the shared disks every node sees (same unique id), named as Windows names them. */
export function availableDisks(world: LabWorld, cluster: LabCluster): { name: string; uniqueId: string }[] {
  const nodes = cluster.nodes
    .map((n) => world.hosts.find((h) => h.name === n.name))
    .filter((h) => h !== undefined);
  const first = nodes[0];
  if (!first) return [];
  return first.profile.storage.sharedDisks
    .filter((d) => nodes.every((n) => n.profile.storage.sharedDisks.some((o) => o.uniqueId === d.uniqueId)))
    .map((d, i) => ({ name: `Cluster Disk ${i + 1}`, uniqueId: d.uniqueId }));
}

/** The disks added to each cluster (Add-ClusterDisk), by cluster. */
const addedDisks = new WeakMap<LabCluster, Set<string>>();

export const setClusterQuorum: ScriptHandler = ({ host, world, params }) => {
  const cluster = currentCluster(host, world);
  if (!featureOn(host) || !cluster) throw noCluster(host);
  const kind = str(params, 'kind');
  const nodes = cluster.nodes
    .map((n) => world.hosts.find((h) => h.name === n.name))
    .filter((h) => h !== undefined);
  const id = 'SetClusterQuorumFailed,Microsoft.FailoverClusters.PowerShell.SetClusterQuorumCommand';
  if (kind === 'file-share') {
    const path = str(params, 'path');
    const witness = world.witness;
    const exists =
      witness?.everywhere !== undefined ||
      (witness?.shares ?? []).some((s) => s.path.toLowerCase() === path.toLowerCase());
    if (!exists)
      throw cmdletError(
        `There was an error configuring the file share witness '${path}'.\r\nUnable to save property changes for 'File Share Witness'.\r\nThe network name cannot be found.`,
        id,
        'ObjectNotFound',
      );
    if (nodes.some((n) => n.faults.witnessShareReadOnly))
      throw cmdletError(
        `There was an error configuring the file share witness '${path}'.\r\nUnable to save property changes for 'File Share Witness'.\r\nAccess is denied.`,
        id,
        'PermissionDenied',
      );
    cluster.quorumType = 'NodeAndFileShareMajority';
    cluster.witness = { kind: 'file-share', address: path, state: 'Online' };
  } else if (kind === 'disk') {
    const disk = str(params, 'disk');
    const added = addedDisks.get(cluster) ?? new Set<string>();
    if (!added.has(disk.toLowerCase())) {
      const available = availableDisks(world, cluster).find(
        (d) => d.name.toLowerCase() === disk.toLowerCase(),
      );
      if (!available)
        throw scriptThrow(
          `There is no disk named '${disk}' in the cluster or available to it (Get-ClusterAvailableDisk). Choose a disk both servers see on shared storage.`,
        );
      added.add(disk.toLowerCase());
      addedDisks.set(cluster, added);
    }
    cluster.quorumType = 'NodeAndDiskMajority';
    cluster.witness = { kind: 'disk', address: disk, state: 'Online' };
  } else if (kind === 'cloud') {
    if (str(params, 'accessKey') === '')
      throw cmdletError(
        "Cannot validate argument on parameter 'AccessKey'. The argument is null or empty.",
        'ParameterArgumentValidationError,Microsoft.FailoverClusters.PowerShell.SetClusterQuorumCommand',
        'InvalidData',
      );
    cluster.quorumType = 'NodeAndCloudMajority';
    cluster.witness = { kind: 'cloud', address: str(params, 'accountName'), state: 'Online' };
  } else if (kind === 'node-majority') {
    cluster.quorumType = 'NodeMajority';
    cluster.witness = null;
  } else {
    throw scriptThrow(`'${kind}' is not a quorum witness kind (file-share, disk, cloud or node-majority).`);
  }
  return clusterView(cluster).quorum;
};

/** The VM role of `vm` in a cluster, or undefined. */
function roleOf(cluster: LabCluster, vm: string): LabClusterRole | undefined {
  return cluster.roles.find((r) => r.vm.toLowerCase() === vm.toLowerCase());
}

const roleView = (r: LabClusterRole) => ({ name: r.name, vm: r.vm, ownerNode: r.ownerNode, state: r.state });

export const addClusterVmRole: ScriptHandler = ({ host, world, params }) => {
  const cluster = currentCluster(host, world);
  if (!featureOn(host) || !cluster) throw noCluster(host);
  const vm = str(params, 'vm');
  const existing = roleOf(cluster, vm);
  if (existing) return roleView(existing);
  const home = cluster.nodes
    .map((n) => world.hosts.find((h) => h.name === n.name))
    .find((h) => h?.vms.some((v) => v.name.toLowerCase() === vm.toLowerCase()));
  const own = home?.vms.find((v) => v.name.toLowerCase() === vm.toLowerCase());
  if (!home || !own)
    throw cmdletError(
      `The virtual machine '${vm}' was not found on any node of cluster '${cluster.name}'.`,
      'AddClusterVirtualMachineRoleFailed,Microsoft.FailoverClusters.PowerShell.AddClusterVirtualMachineRoleCommand',
      'ObjectNotFound',
    );
  const clock = world.clock;
  const running = own.state === 'Running';
  const role: LabClusterRole = {
    name: own.name,
    vm: own.name,
    ownerNode: home.name,
    state: running ? 'Pending' : 'Offline',
    ...(running ? { onlineAt: clock.now() + clock.realMs(world.clustering.timings.onlineSeconds) } : {}),
  };
  cluster.roles.push(role);
  return roleView(role);
};

export const removeClusterVmRole: ScriptHandler = ({ host, world, params }) => {
  const cluster = currentCluster(host, world);
  if (!featureOn(host) || !cluster) throw noCluster(host);
  const role = roleOf(cluster, str(params, 'vm'));
  if (!role) return { removed: false };
  cluster.roles.splice(cluster.roles.indexOf(role), 1);
  return { removed: true };
};

export const waitClusterRoles: ScriptHandler = async ({ host, world, params }) => {
  if (!featureOn(host) || !clusterOf(world.clustering, host)) throw noCluster(host);
  const vms = list(params, 'vms');
  const timeoutSeconds = Number(params.timeoutSeconds ?? 0) || 0;
  const clock = world.clock;
  const started = clock.now();
  for (;;) {
    const cluster = currentCluster(host, world);
    if (!cluster) throw noCluster(host);
    const roles = vms.map((vm) => roleOf(cluster, vm)).filter((r) => r !== undefined);
    const missing = vms.filter((vm) => !roleOf(cluster, vm));
    const settled = missing.length === 0 && roles.every((r) => r.state === 'Online' || r.state === 'Offline');
    const left = timeoutSeconds - clock.labSecondsSince(started);
    if (settled || left <= 0) return { settled, roles: roles.map(roleView), missing };
    // The script polls every 2 seconds.
    await clock.sleep(Math.min(2, left));
  }
};

export const removeCluster: ScriptHandler = ({ host, world, params }) => {
  const name = str(params, 'name');
  const cluster = featureOn(host) ? currentCluster(host, world) : null;
  if (!cluster) return { removed: false, computerObjectRemoved: false };
  if (cluster.name.toLowerCase() !== name.toLowerCase())
    throw scriptThrow(
      `This server is a node of cluster '${cluster.name}', not '${name}'. Nothing was removed.`,
    );
  const clustering = world.clustering;
  clustering.clusters.splice(clustering.clusters.indexOf(cluster), 1);
  let computerObjectRemoved = false;
  const object = clustering.directory.objects.get(cluster.name.toLowerCase());
  // -CleanupAD deletes the cluster's computer object where the account may (it created it, or may create objects).
  if (host.profile.partOfDomain && object?.cluster?.toLowerCase() === cluster.name.toLowerCase()) {
    if (clustering.directory.canCreateComputer) {
      clustering.directory.objects.delete(cluster.name.toLowerCase());
      computerObjectRemoved = true;
    } else {
      // A prestaged object the account may not delete is disabled again, as Windows leaves it.
      clustering.directory.objects.set(cluster.name.toLowerCase(), { name: object.name, enabled: false });
    }
  }
  return { removed: true, computerObjectRemoved };
};

/**
 * What the PowerShell tier's Windows shim needs to answer the FailoverClusters cmdlets on `host`
 * as this module does: its cluster (roles settled on the lab clock), the other servers it could
 * make one with, the directory, the addresses in use, the witness shares and the shared disks.
 */
export function clusterFacts(host: LabHost, world: LabWorld) {
  const cluster = currentCluster(host, world);
  const clustering = world.clustering;
  return {
    cluster: cluster ? clusterView(cluster) : null,
    servers: world.hosts.map((h) => ({
      name: h.name,
      fqdn: `${h.name}.${h.profile.domain}`,
      domain: h.profile.partOfDomain ? h.profile.domain.toLowerCase() : 'workgroup',
      featureInstalled: featureOn(h),
      clusterNamesTaken: h.faults.clusterNamesTaken,
      addressesInUse: h.faults.addressesInUse,
      witnessShareReadOnly: h.faults.witnessShareReadOnly,
      member: clusterOf(clustering, h)?.name ?? null,
      addresses: h.profile.nics.flatMap((n) => n.ipv4.map((ip) => ip.address)),
      subnets: h.profile.nics.flatMap((n) =>
        n.ipv4.map((ip) => ({
          address: subnetOf(ip.address, ip.prefixLength),
          prefixLength: ip.prefixLength,
        })),
      ),
      vms: h.vms.map((v) => ({ name: v.name, state: v.state })),
    })),
    directory: {
      enabled: [...clustering.directory.objects.values()].filter((o) => o.enabled).map((o) => o.name),
      prestaged: [...clustering.directory.objects.values()].filter((o) => !o.enabled).map((o) => o.name),
      owned: [...clustering.directory.objects.values()].filter((o) => o.cluster).map((o) => o.name),
      addressesInUse: [...clustering.directory.addressesInUse],
      canCreateComputer: clustering.directory.canCreateComputer,
      container: clustering.directory.container,
    },
    clusterNames: clustering.clusters.map((c) => c.name),
    clusterAddresses: clustering.clusters.flatMap((c) => c.addresses),
    shares: world.witness?.everywhere !== undefined ? null : (world.witness?.shares ?? []).map((s) => s.path),
    availableDisks: cluster ? availableDisks(world, cluster).map((d) => d.name) : [],
    addedDisks: cluster ? [...(addedDisks.get(cluster) ?? [])] : [],
  };
}
