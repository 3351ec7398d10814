/** Remove protection: planned like any change (kind `unpair`), confirmed, then applied exactly. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { JobSnapshotOf, PlanDrift, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob } from '../api/follow-job';
import { useDoneStore } from './done';
import { useExistingPairStore } from './existing-pair';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';
import { groupSteps, usePlanMaker } from './review';

export const useUnpairStore = defineStore('unpair', () => {
  const hosts = useHostsStore();
  const maker = usePlanMaker();
  const applyState = ref<IoState>('idle');
  const job = ref<JobSnapshotOf<'pair'> | null>(null);
  const applyError = ref<TwinlockErrorData | null>(null);

  const groups = computed(() => (maker.plan.value === null ? [] : groupSteps(maker.plan.value)));
  const drift = computed<PlanDrift[]>(() => {
    if (applyError.value?.code !== 'plan-stale') return [];
    const list = applyError.value.detail?.drift;
    return Array.isArray(list) ? (list as PlanDrift[]) : [];
  });
  /** The name of the pair removed (the title says which pair is no longer protected). */
  const removedPair = ref<string | null>(null);
  /** Both servers are out of the pair: the plan ran to its end. */
  const removed = computed(() => applyState.value === 'done');

  /** The pair removed is a Level 1 failover cluster (its servers report one). */
  const clustered = computed(() => useDoneStore().pairLevel === 1);
  /** Level 1: also uninstall the Failover Clustering feature (restarts both servers); kept unless asked. */
  const removeFeature = ref(false);
  /** The cluster to remove, by name, for the dialog's words (null when the servers report none). */
  const clusterName = computed(() => useDoneStore().cluster?.name ?? null);
  /** The cluster the last removal destroyed (its servers report none after it). */
  const removedCluster = ref<string | null>(null);

  /** Plans removing the pair from both servers (changes nothing). */
  async function makePlan(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || applyState.value === 'running') return;
    applyError.value = null;
    const asked = clustered.value ? removeFeature.value : null;
    const made = await maker.make(
      asked === null
        ? { kind: 'unpair', sessions: ids }
        : { kind: 'unpair', sessions: ids, removeFeature: asked },
    );
    plannedWith.value = made === null ? undefined : asked;
  }

  /** The `removeFeature` the plan on screen was made with (null: not a cluster; undefined: no plan). */
  const plannedWith = ref<boolean | null | undefined>(undefined);
  /** The plan on screen is the one for the choices on screen. */
  const planMatches = computed(
    () => maker.plan.value !== null && plannedWith.value === (clustered.value ? removeFeature.value : null),
  );

  // The plan shows exactly what runs: removing the feature too is another plan.
  watch(removeFeature, () => {
    if (maker.plan.value !== null) void makePlan();
  });

  /** Runs exactly the plan shown. */
  async function apply(): Promise<void> {
    const plan = maker.plan.value;
    const ids = hosts.sessionIds;
    if (plan === null || ids === null || applyState.value === 'running' || !planMatches.value) return;
    const cluster = clusterName.value;
    applyState.value = 'running';
    applyError.value = null;
    job.value = null;
    try {
      const client = useApiClient();
      const { jobId } = await client.call('applyPlan', { plan, sessions: ids });
      const final = await followJob<'pair'>(client, jobId, (snapshot) => {
        job.value = snapshot;
      }).done;
      if (final.state === 'done') {
        applyState.value = 'done';
        removedPair.value = plan.pair.name;
        removedCluster.value = cluster;
        // The servers are no longer a pair: Connect must not say they are.
        useExistingPairStore().forget();
      } else {
        applyError.value = final.error
          ? toUiError(final.error)
          : { code: 'cancelled', message: 'Removing protection was stopped.', hint: 'Plan it again.' };
        applyState.value = 'error';
      }
    } catch (err) {
      applyError.value = toUiError(err, 'removing protection');
      applyState.value = 'error';
    }
  }

  /** Forgets the plan (the admin closed the dialog without removing anything). */
  function reset(): void {
    if (applyState.value === 'running') return;
    maker.plan.value = null;
    maker.error.value = null;
    maker.state.value = 'idle';
    applyError.value = null;
    removeFeature.value = false;
    if (applyState.value !== 'done') applyState.value = 'idle';
  }

  return {
    planState: maker.state,
    planError: maker.error,
    plan: maker.plan,
    groups,
    applyState,
    applyError,
    drift,
    job,
    removed,
    removedPair,
    clustered,
    removeFeature,
    clusterName,
    removedCluster,
    planMatches,
    makePlan,
    apply,
    reset,
  };
});
