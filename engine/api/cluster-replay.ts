/**
 * The failover cluster a Level 1 bundle makes on the pair it is replayed on. A cluster's name is a
 * computer object in the directory and its address a static IP on the business network: both
 * belong to one pair. So a replay on the pair the bundle was exported from keeps the bundle's
 * cluster, and a replay on any other pair must give that pair's own name and address; reusing the
 * first pair's is refused before anything changes (the second `New-Cluster` would fail on the name
 * or, worse, take the address the first cluster answers on).
 */
import type { Bundle, ClusterConfig } from './models';

/** One refused replay value: the field at fault and the sentence that says why and what to do. */
export interface ReplayClusterIssue {
  field: string;
  message: string;
}

/** The names the fix uses for this pair's cluster name and address (API fields, CLI flags, fleet file keys). */
export interface ClusterFieldNames {
  name: string;
  address: string;
}

/** The API's field names, as `preflightBundle` and `drift` take them. */
export const CLUSTER_REPLAY_FIELDS: ClusterFieldNames = { name: 'clusterName', address: 'clusterAddress' };

/** `twinlock apply` / `drift` / `plan --bundle`'s options. */
export const CLUSTER_REPLAY_FLAGS: ClusterFieldNames = {
  name: '--cluster-name',
  address: '--cluster-address',
};

/** A server of the new pair, as a replay knows it. */
export interface ReplayServer {
  /** Its pinned `SHA256:…` host-key fingerprint. */
  fingerprint: string;
}

/**
 * True when the two servers are the ones the bundle was exported from (by their pinned host keys,
 * whichever is primary now).
 */
export function isBundlePair(bundle: Bundle, servers: readonly [ReplayServer, ReplayServer]): boolean {
  const own = new Set(bundle.hosts.map((h) => h.fingerprint));
  return servers.every((s) => own.has(s.fingerprint)) && servers[0].fingerprint !== servers[1].fingerprint;
}

/**
 * The cluster a replay makes, or the reasons it is refused. Level 2 and 3 bundles make none, and a
 * cluster name or address given for one is refused rather than ignored (it means the wrong bundle
 * was picked, or the wrong command).
 */
export function replayCluster(
  bundle: Bundle,
  values: { clusterName?: string | undefined; clusterAddress?: string | undefined },
  servers: readonly [ReplayServer, ReplayServer] | null,
  fields: ClusterFieldNames = CLUSTER_REPLAY_FIELDS,
): { cluster: ClusterConfig | undefined; issues: ReplayClusterIssue[] } {
  const issues: ReplayClusterIssue[] = [];
  const own = bundle.pair.cluster;
  if (bundle.pair.level !== 1 || own === undefined) {
    for (const [key, field] of [
      ['clusterName', fields.name],
      ['clusterAddress', fields.address],
    ] as const) {
      if (values[key] !== undefined)
        issues.push({
          field,
          message: `the bundle ${bundle.pair.name} is Level ${bundle.pair.level}, which makes no failover cluster: remove ${field}, or replay a Level 1 bundle.`,
        });
    }
    return { cluster: undefined, issues };
  }
  const cluster: ClusterConfig = {
    name: values.clusterName ?? own.name,
    address: values.clusterAddress ?? own.address,
  };
  if (servers === null || isBundlePair(bundle, servers)) return { cluster, issues };
  const [first, second] = bundle.hosts;
  const firstPair = `${first.computerName} and ${second.computerName}`;
  const sameName = cluster.name.toLowerCase() === own.name.toLowerCase();
  const sameAddress = cluster.address === own.address;
  if (sameName && sameAddress) {
    issues.push({
      field: fields.name,
      message: `the cluster name ${own.name} and address ${own.address} belong to the first pair’s cluster (${firstPair}, where the bundle ${bundle.pair.name} was exported): give this pair’s own with ${fields.name} and ${fields.address}.`,
    });
  } else if (sameName) {
    issues.push({
      field: fields.name,
      message: `the cluster name ${own.name} belongs to the first pair’s cluster (${firstPair}, where the bundle ${bundle.pair.name} was exported): give this pair’s own with ${fields.name}.`,
    });
  } else if (sameAddress) {
    issues.push({
      field: fields.address,
      message: `the cluster address ${own.address} belongs to the first pair’s cluster (${firstPair}, where the bundle ${bundle.pair.name} was exported): give this pair’s own with ${fields.address}.`,
    });
  }
  return { cluster, issues };
}
