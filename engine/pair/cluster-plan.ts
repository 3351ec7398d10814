/**
 * The steps of a Level 1 pairing and unpairing: the pair is a Windows failover cluster of the two
 * servers, made and taken apart by Windows' own cmdlets (resources/scripts/*-cluster*.ps1), with
 * no agent.
 *
 * A pairing: the sync-link addresses (the links carry the cluster's heartbeat and live
 * migration), then on the primary New-Cluster (undone by Remove-Cluster), the quorum witness
 * (Set-ClusterQuorum), a VM role per VM (undone by removing the role), and the wait until every
 * role is online. An unpairing: each VM role removed (the VM stays where it runs), the cluster
 * removed with its computer object, optionally the feature uninstalled on both, then the link
 * addresses Twinlock added.
 */
import type { ClusterStateResult, PairConfig, PlanRole, Witness } from '../api/models';
import type { ScriptName, ScriptParams } from '../remote/scripts';
import { clusterDescription } from './cluster-status';
import type { PlanServerState, StepList } from './plan';
import { planAddresses } from './plan';

/** What stands in a plan for a cloud witness's access key, which is given only when the plan is applied. */
export const CLOUD_KEY_PLACEHOLDER = '<cloud witness access key>';

/** Lab or real seconds the plan waits for the VM roles to come online. */
export const ROLES_ONLINE_TIMEOUT_SECONDS = 300;

/** The cluster scripts a plan may use. */
export const CLUSTER_PLAN_SCRIPTS: readonly ScriptName[] = [
  'new-cluster',
  'set-cluster-quorum',
  'add-cluster-vm-role',
  'remove-cluster-vm-role',
  'wait-cluster-roles',
  'remove-cluster',
];

/** The quorum parameters for a pair's witness (a cloud key as its placeholder). */
export function quorumParams(witness: Witness | null): ScriptParams['set-cluster-quorum'] {
  const none = { path: '', disk: '', accountName: '', accessKey: '' };
  if (witness === null) return { kind: 'node-majority', ...none };
  switch (witness.kind) {
    case 'file-share':
      return { kind: 'file-share', ...none, path: witness.address };
    case 'disk':
      return { kind: 'disk', ...none, disk: witness.address };
    case 'cloud':
      return { kind: 'cloud', ...none, accountName: witness.address, accessKey: CLOUD_KEY_PLACEHOLDER };
    case 'host':
      // Refused by the preflight: a failover cluster has no host witness.
      throw new Error('unreachable: a Level 1 plan with a host witness');
    default: {
      const never: never = witness.kind;
      throw new Error(`unknown witness kind ${String(never)}`);
    }
  }
}

function witnessWords(witness: Witness | null): string {
  if (witness === null) return 'no witness (node majority: losing either server stops the cluster)';
  if (witness.kind === 'file-share') return `the file share witness ${witness.address}`;
  if (witness.kind === 'disk') return `the disk witness ${witness.address}`;
  if (witness.kind === 'cloud') return `the cloud witness in storage account ${witness.address}`;
  return `the witness ${witness.address}`;
}

/** The steps of a Level 1 pairing, appended to `list`. */
export function planClusterPairing(
  list: StepList,
  config: PairConfig,
  primary: PlanServerState,
  secondary: PlanServerState,
): void {
  const cluster = config.cluster;
  if (!cluster) throw new Error('unreachable: a Level 1 plan without cluster (refused by the preflight)');
  const names = { primary: primary.session.computerName, secondary: secondary.session.computerName };
  const existing = primary.cluster?.cluster ?? null;
  // Both servers already form this pair's cluster: only the VM roles it lacks are added.
  const formed =
    existing !== null &&
    existing.name.toLowerCase() === cluster.name.toLowerCase() &&
    secondary.cluster?.cluster?.name.toLowerCase() === cluster.name.toLowerCase();
  planAddresses(list, config, primary, secondary, names, formed ? ' again' : '');
  if (!formed) {
    list.add({
      id: 'primary/cluster',
      server: 'primary',
      title: `Make the failover cluster ${cluster.name} (${cluster.address}) of ${names.primary} and ${names.secondary} for pair ${config.name}`,
      run: list.script('new-cluster', {
        name: cluster.name,
        nodes: [names.primary, names.secondary],
        staticAddress: [cluster.address],
        description: clusterDescription(config.name),
      }),
      changes: true,
      restarts: false,
      undo: {
        title: `Remove the failover cluster ${cluster.name} (and its computer object)`,
        run: list.script('remove-cluster', { name: cluster.name }),
      },
    });
    list.add({
      id: 'primary/quorum',
      server: 'primary',
      title: `Give cluster ${cluster.name} ${witnessWords(config.witness)}`,
      run: list.script('set-cluster-quorum', quorumParams(config.witness)),
      changes: true,
      restarts: false,
      undo: {
        title: `Set cluster ${cluster.name} back to node majority`,
        run: list.script('set-cluster-quorum', quorumParams(null)),
      },
    });
  }
  const roles = new Set((existing?.roles ?? []).map((r) => r.vm));
  config.vms
    .filter((vm) => !formed || !roles.has(vm))
    .forEach((vm, i) =>
      list.add({
        id: `primary/role/${i}`,
        server: 'primary',
        title: `Make ${vm} a role of cluster ${cluster.name} (it stays on ${names.primary}, running or off as it is)`,
        run: list.script('add-cluster-vm-role', { vm }),
        changes: true,
        restarts: false,
        undo: {
          title: `Take ${vm} out of cluster ${cluster.name} (it keeps running where it is)`,
          run: list.script('remove-cluster-vm-role', { vm }),
        },
      }),
    );
  list.add({
    id: 'primary/wait',
    server: 'primary',
    title: `Wait until every VM role of ${cluster.name} is online (up to ${ROLES_ONLINE_TIMEOUT_SECONDS / 60} minutes)`,
    run: list.script('wait-cluster-roles', { vms: config.vms, timeoutSeconds: ROLES_ONLINE_TIMEOUT_SECONDS }),
    changes: false,
    restarts: false,
    undo: null,
  });
}

/** The cluster a Level 1 pair's servers form (either server's view), or null. */
export function pairClusterOf(a: PlanServerState, b: PlanServerState): ClusterStateResult['cluster'] {
  return a.status.cluster ?? b.status.cluster ?? null;
}

/**
 * The steps of a Level 1 unpairing that come before the link addresses: each VM role removed,
 * the cluster removed (its computer object with it), then, when asked, the feature uninstalled
 * on both servers.
 */
export function planClusterRemoval(
  list: StepList,
  primary: PlanServerState,
  secondary: PlanServerState,
  options: { removeFeature: boolean },
): void {
  const cluster = pairClusterOf(primary, secondary);
  if (!cluster) return;
  const names = { primary: primary.session.computerName, secondary: secondary.session.computerName };
  cluster.roles.forEach((r, i) =>
    list.add({
      id: `primary/role/${i}`,
      server: 'primary',
      title: `Take ${r.vm} out of cluster ${cluster.name} (it stays on ${r.ownerNode} as it is, without failover)`,
      run: list.script('remove-cluster-vm-role', { vm: r.vm }),
      changes: true,
      restarts: false,
      undo: {
        title: `Make ${r.vm} a role of ${cluster.name} again`,
        run: list.script('add-cluster-vm-role', { vm: r.vm }),
      },
    }),
  );
  list.add({
    id: 'primary/cluster',
    server: 'primary',
    title: `Remove the failover cluster ${cluster.name} from ${names.primary} and ${names.secondary}, and its computer object (undone only by pairing again)`,
    run: list.script('remove-cluster', { name: cluster.name }),
    changes: true,
    restarts: false,
    undo: null,
  });
  if (!options.removeFeature) return;
  for (const role of ['primary', 'secondary'] as PlanRole[])
    list.add({
      id: `${role}/feature`,
      server: role,
      title: `Uninstall Failover Clustering from ${names[role]} (Windows finishes at the next restart)`,
      run: list.script('uninstall-cluster-feature', {}),
      changes: true,
      restarts: true,
      undo: {
        title: `Install Failover Clustering on ${names[role]} again`,
        run: list.script('install-cluster-feature', {}),
      },
    });
}

/** A server's cluster as a plan's basis: what a Level 1 plan depends on (roles' states and owners move by themselves, so only their VMs count). */
export function clusterBasis(state: ClusterStateResult): string {
  if (!state.featureInstalled) return 'Failover Clustering not installed';
  const c = state.cluster;
  if (!c) return 'Failover Clustering installed, in no cluster';
  const witness = c.quorum.witness ? `${c.quorum.witness.kind} ${c.quorum.witness.address}` : 'no witness';
  const nodes = c.nodes
    .map((n) => n.name)
    .sort()
    .join(', ');
  const roles =
    c.roles
      .map((r) => r.vm)
      .sort()
      .join(', ') || 'none';
  return `cluster ${c.name} (${c.addresses.join(', ')}; “${c.description}”), nodes ${nodes}, ${witness}, VM roles ${roles}`;
}
