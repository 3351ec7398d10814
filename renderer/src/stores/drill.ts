/** Prove: a failover drill on the protected pair, its progress, and its result measured from outside. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DrillKind, DrillResult, JobSnapshotOf, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob, requestCancel } from '../api/follow-job';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';

/** What each drill does, in the words of its confirmation. */
export const DRILL_KINDS_TEXT: Record<DrillKind, { title: string; does: string }> = {
  'primary-loss': {
    title: 'Lose the primary',
    does: 'simulates the loss of the primary server (its copy of the VMs stops): the secondary takes over the protected VMs; then the primary comes back, resynchronises, and takes them back by live migration',
  },
  'link-loss': {
    title: 'Lose the sync links',
    does: 'cuts every sync link between the two servers: the primary keeps running the VMs alone while the secondary stands down; then the links come back and the pair resynchronises',
  },
  drain: {
    title: 'Drain the primary',
    does: 'moves every clustered VM off the primary the way maintenance would (Suspend-ClusterNode -Drain): each VM moves to the secondary; then the primary is resumed and takes its VMs back',
  },
  'live-migration': {
    title: 'Live-migrate the VMs',
    does: 'moves each clustered VM to the secondary while it runs (the no-downtime test), measuring any pause seen from outside; then moves them back',
  },
};

/**
 * What a drill does at `level`, in the words of its confirmation: a Level 1 pair loses its primary
 * the cluster's way (its cluster service stops and the VMs restart on the other node).
 */
export function drillText(kind: DrillKind, level: 1 | 2 | 3): { title: string; does: string } {
  if (level === 1 && kind === 'primary-loss')
    return {
      title: 'Lose the primary',
      does: 'stops the primary’s cluster service (Stop-ClusterNode), as a server failure would: Failover Clustering restarts each clustered VM on the secondary, and Twinlock measures how long each is unreachable; then the primary’s cluster service starts again and the VMs move back',
    };
  return DRILL_KINDS_TEXT[kind];
}

/** The drills a pair at `level` offers: the cluster's own at Level 1, the agent's at Levels 2 and 3. */
export function drillKindsFor(level: 1 | 2 | 3): DrillKind[] {
  return level === 1 ? ['primary-loss', 'drain', 'live-migration'] : ['primary-loss', 'link-loss'];
}

export const useDrillStore = defineStore('drill', () => {
  const hosts = useHostsStore();
  const kind = ref<DrillKind>('primary-loss');
  const state = ref<IoState>('idle');
  const job = ref<JobSnapshotOf<'drill'> | null>(null);
  const result = ref<DrillResult | null>(null);
  const error = ref<TwinlockErrorData | null>(null);

  /** Runs the drill chosen (after the admin confirmed it) and follows it to its result. */
  async function run(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    job.value = null;
    result.value = null;
    try {
      const client = useApiClient();
      const { jobId } = await client.call('drill', { sessions: ids, kind: kind.value });
      const final = await followJob<'drill'>(client, jobId, (snapshot) => {
        job.value = snapshot;
      }).done;
      if (final.result !== null) {
        // A failed drill still has a result: its timeline and the reason.
        result.value = final.result;
        state.value = 'done';
      } else {
        error.value = final.error
          ? toUiError(final.error)
          : { code: 'cancelled', message: 'The drill was stopped.', hint: 'Check the pair’s state above.' };
        state.value = 'error';
      }
    } catch (err) {
      error.value = toUiError(err, 'the failover drill');
      state.value = 'error';
    }
  }

  async function cancel(): Promise<void> {
    const id = job.value?.id;
    if (id === undefined || state.value !== 'running') return;
    error.value = (await requestCancel(useApiClient(), id, 'stopping the drill')) ?? error.value;
  }

  return { kind, state, job, result, error, run, cancel };
});
