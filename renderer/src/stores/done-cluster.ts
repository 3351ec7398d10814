/** Level 1: how the Done screen names the failover cluster's states and witnesses. */
import type { ClusterStatus } from '../../../engine/api';
import { assertNever } from '../../../engine/api/rules';

type NodeState = ClusterStatus['nodes'][number]['state'];
type GroupState = ClusterStatus['roles'][number]['state'];
type WitnessKind = NonNullable<ClusterStatus['quorum']['witness']>['kind'];

/** The tag colour for a node's or a role's state (its text is Windows' own word beside it). */
export function clusterStateTag(state: NodeState | GroupState): 'success' | 'warning' | 'error' | 'default' {
  switch (state) {
    case 'Up':
    case 'Online':
      return 'success';
    case 'Paused':
    case 'Joining':
    case 'Pending':
    case 'PartialOnline':
      return 'warning';
    case 'Down':
    case 'Offline':
    case 'Failed':
      return 'error';
    case 'Unknown':
      return 'default';
    default:
      return assertNever(state);
  }
}

/** A witness kind in the admin's words. */
export const WITNESS_KIND_NAMES: Record<WitnessKind, string> = {
  'file-share': 'File share',
  disk: 'Cluster disk',
  cloud: 'Cloud witness (Azure storage account)',
};
