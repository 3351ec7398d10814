/**
 * Level 1: a pair is a Windows failover cluster of its two servers, with no agent. Its status is
 * read from the cluster (get-cluster-state) and given the shape an agent's status has, so status,
 * existing-pair detection, plans and unpairing read a Level 1 pair as they read any other.
 *
 * Which node is the primary: the node that owns the most VM roles; when none owns more than the
 * other (no roles yet, or as many on each), the first node Get-ClusterNode lists (Windows lists
 * them by node id, and the node that ran New-Cluster has the lowest). Both servers read the same
 * cluster, so both name the same primary.
 */
import { z } from 'zod';
import type { AgentStatus, ClusterStateResult, ClusterStatus, PairState } from '../api/models';
import { ClusterStateResultSchema } from '../api/models';
import { parseScriptResult } from '../agent/script-results';
import type { RemoteHost, RunOptions } from '../remote/types';

/** What Twinlock writes in (Get-Cluster).Description of the cluster a Level 1 pair makes. */
export function clusterDescription(pair: string): string {
  return `twinlock pair=${pair}; level=1`;
}

const DESCRIPTION = /^twinlock pair=(.+); level=1$/;

/** The pair a cluster's description names, or null when Twinlock did not make it. */
export function pairOfCluster(cluster: Pick<ClusterStatus, 'description'>): string | null {
  return DESCRIPTION.exec(cluster.description.trim())?.[1] ?? null;
}

/** PowerShell 5.1 prints a one-item array as the item and an empty one as null. */
function listOf(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** get-cluster-state's answer, tolerant of ConvertTo-Json's array quirks. */
export const ClusterStateWireSchema = z.preprocess((raw) => {
  if (typeof raw !== 'object' || raw === null) return raw;
  const s = raw as Record<string, unknown>;
  const c = s.cluster as Record<string, unknown> | null | undefined;
  if (!c || typeof c !== 'object') return { ...s, cluster: null };
  return {
    ...s,
    cluster: {
      ...c,
      addresses: listOf(c.addresses),
      nodes: listOf(c.nodes),
      roles: listOf(c.roles),
      networks: listOf(c.networks),
    },
  };
}, ClusterStateResultSchema);

/** Reads the feature and the cluster of one server. */
export async function readClusterState(
  host: RemoteHost,
  options: RunOptions = {},
): Promise<ClusterStateResult> {
  const raw = await host.runScript('get-cluster-state', {}, options);
  return parseScriptResult('get-cluster-state', ClusterStateWireSchema, raw, host.label);
}

/** The node that counts as the primary (see the module's comment). */
export function primaryNode(cluster: ClusterStatus): string {
  const counts = new Map<string, number>();
  for (const r of cluster.roles)
    counts.set(r.ownerNode.toLowerCase(), (counts.get(r.ownerNode.toLowerCase()) ?? 0) + 1);
  let best = cluster.nodes[0]?.name ?? '';
  let most = counts.get(best.toLowerCase()) ?? 0;
  for (const n of cluster.nodes) {
    const c = counts.get(n.name.toLowerCase()) ?? 0;
    if (c > most) {
      best = n.name;
      most = c;
    }
  }
  return best;
}

/** Every node up and every VM role online: protected; anything less: degraded. */
export function clusterPairState(cluster: ClusterStatus): PairState {
  const up = cluster.nodes.length >= 2 && cluster.nodes.every((n) => n.state === 'Up');
  const online = cluster.roles.every((r) => r.state === 'Online');
  return up && online ? 'protected' : 'degraded';
}

/** A VM role's state as a VM state: an online role's VM runs, an offline one's is off. */
function vmStateOf(state: ClusterStatus['roles'][number]['state']): string {
  if (state === 'Online') return 'Running';
  if (state === 'Offline') return 'Off';
  return state;
}

/**
 * The status of `computerName` as a node of a Twinlock Level 1 cluster, or null when the server
 * is a node of no cluster Twinlock made.
 */
export function statusFromCluster(computerName: string, state: ClusterStateResult): AgentStatus | null {
  const cluster = state.cluster;
  if (!cluster) return null;
  const pair = pairOfCluster(cluster);
  if (pair === null) return null;
  const me = computerName.toLowerCase();
  const peer = cluster.nodes.find((n) => n.name.toLowerCase() !== me)?.name ?? '';
  const role = primaryNode(cluster).toLowerCase() === me ? 'primary' : 'secondary';
  const online = cluster.roles.filter((r) => r.state === 'Online').length;
  const witness = cluster.quorum.witness;
  return {
    nodeId: computerName,
    role,
    pair: {
      name: pair,
      peer,
      state: clusterPairState(cluster),
      progress: cluster.roles.length === 0 ? 100 : Math.round((online / cluster.roles.length) * 100),
      // The sync links are cluster networks now; the link addresses are read from the server's record.
      links: [],
      witness: witness ? { address: witness.address, reachable: witness.state === 'Online' } : null,
      level: 1,
    },
    vms: cluster.roles.map((r) => ({ name: r.vm, state: vmStateOf(r.state), protected: true })),
    cluster,
  };
}

/** A server in no pair (no agent, no Twinlock cluster). */
export function noPairStatus(computerName: string): AgentStatus {
  return { nodeId: computerName, role: 'none', pair: null, vms: [] };
}
