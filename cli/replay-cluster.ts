/** A Level 1 bundle's cluster on the pair it is replayed on, checked in the command line's words. */
import type { Bundle, HostSession } from '../engine/api';
import { TwinlockError } from '../engine/api/errors';
import { CLUSTER_REPLAY_FLAGS, replayCluster } from '../engine/api/cluster-replay';

/**
 * Refuses, in the command line's words, replay values that do not fit the bundle: a Level 1
 * bundle's cluster reused on another pair, or a cluster given for a Level 2 or 3 bundle.
 */
export function checkReplayCluster(
  bundle: Bundle,
  values: { clusterName?: string; clusterAddress?: string },
  servers: readonly [HostSession, HostSession],
): void {
  const { issues } = replayCluster(bundle, values, servers, CLUSTER_REPLAY_FLAGS);
  const first = issues[0];
  if (first === undefined) return;
  const message = first.message.charAt(0).toUpperCase() + first.message.slice(1);
  throw new TwinlockError({
    code: 'invalid-input',
    message:
      issues.length === 1
        ? message
        : `${message} ${issues
            .slice(1)
            .map((i) => i.message)
            .join(' ')}`,
    hint:
      bundle.pair.level === 1
        ? `Nothing was changed. Run it again with this pair’s cluster, e.g. ${CLUSTER_REPLAY_FLAGS.name} PAIR02-CL ${CLUSTER_REPLAY_FLAGS.address} 10.0.0.51 (a free address on the business network).`
        : 'Nothing was changed. Leave the cluster options out for a Level 2 or 3 bundle.',
    detail: { field: first.field.replace(/^-+/, ''), issues },
  });
}
