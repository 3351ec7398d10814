/** Remove protection: planned like any change (kind `unpair`), confirmed, then applied exactly. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobSnapshotOf, PlanDrift, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob } from '../api/follow-job';
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

  /** Plans removing the pair from both servers (changes nothing). */
  async function makePlan(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || applyState.value === 'running') return;
    applyError.value = null;
    await maker.make({ kind: 'unpair', sessions: ids });
  }

  /** Runs exactly the plan shown. */
  async function apply(): Promise<void> {
    const plan = maker.plan.value;
    const ids = hosts.sessionIds;
    if (plan === null || ids === null || applyState.value === 'running') return;
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
    makePlan,
    apply,
    reset,
  };
});
