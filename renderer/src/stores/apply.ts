/** Review & apply: a plan run exactly; the pair created, storage mirrored, memory synchronised, VMs protected. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  JobSnapshotOf,
  PairConfig,
  PairOutcome,
  Plan,
  PlanDrift,
  TwinlockErrorData,
} from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob, requestCancel } from '../api/follow-job';
import { mirroredShare, mirroringLine, toApplyHostView } from './apply-progress';
import type { ApplyHostView, MirrorStart } from './apply-progress';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';

export const useApplyStore = defineStore('apply', () => {
  const hosts = useHostsStore();
  const state = ref<IoState>('idle');
  const job = ref<JobSnapshotOf<'pair'> | null>(null);
  const error = ref<TwinlockErrorData | null>(null);
  /** The configuration that was applied (what the bundle exports). */
  const applied = ref<PairConfig | null>(null);
  const outcome = ref<PairOutcome | null>(null);
  /** When the pair reached `protected` (the end of "protected in …"). */
  const protectedAt = ref<number | null>(null);

  /** The job followed resumes a pairing a closed Twinlock left behind (no plan was shown here). */
  const resumed = ref(false);

  /** Where each host's mirroring was first seen (its pace gives the time left). */
  const mirrorStarts = new Map<string, MirrorStart>();

  const hostViews = computed<ApplyHostView[]>(() => {
    const snapshot = job.value;
    if (snapshot === null) return [];
    const order: readonly string[] = hosts.sessionIds ?? [];
    return Object.entries(snapshot.hosts)
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([id, progress]) => {
        const view = toApplyHostView(id, progress, snapshot.state === 'running');
        const copied = view.stage === 'mirroring' ? mirroredShare(progress.message) : null;
        if (copied === null) return view;
        const now = Date.now();
        const start = mirrorStarts.get(id) ?? null;
        if (start === null) mirrorStarts.set(id, { at: now, copied });
        return { ...view, message: mirroringLine(copied, start, now) };
      });
  });

  const isProtected = computed(() => state.value === 'done' && outcome.value?.state === 'protected');
  /** The plan that was applied (what the protection report shows). */
  const appliedPlan = ref<Plan | null>(null);

  /** What changed on the servers since the plan was made, when applying refused it as stale. */
  const drift = computed<PlanDrift[]>(() => {
    if (error.value?.code !== 'plan-stale') return [];
    const list = error.value.detail?.drift;
    return Array.isArray(list) ? (list as PlanDrift[]) : [];
  });

  /**
   * Runs exactly `plan` (made from `config`); a plan the servers moved away from is refused.
   * `cloudWitnessKey`: a cloud witness's access key, sent with this call only (never kept here).
   */
  async function start(plan: Plan, config: PairConfig, cloudWitnessKey?: string): Promise<void> {
    if (state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    job.value = null;
    outcome.value = null;
    try {
      const client = useApiClient();
      const ids = hosts.sessionIds;
      const key = config.witness?.kind === 'cloud' && cloudWitnessKey ? { cloudWitnessKey } : {};
      const ref_ = await client.call(
        'applyPlan',
        ids === null ? { plan, ...key } : { plan, sessions: ids, ...key },
      );
      applied.value = config;
      appliedPlan.value = plan;
      await follow(ref_.jobId);
    } catch (err) {
      error.value = toUiError(err, 'applying the pair');
      state.value = 'error';
    }
  }

  /**
   * Follows a pairing job to its end: one just started, or one already running (or ended) when
   * the window was opened again; `config` is what it applies, when it was not started here.
   */
  async function follow(
    jobId: string,
    config?: PairConfig,
    options: { resumed?: boolean } = {},
  ): Promise<void> {
    if (config !== undefined) applied.value = config;
    resumed.value = options.resumed ?? false;
    mirrorStarts.clear();
    state.value = 'running';
    try {
      const final = await followJob<'pair'>(useApiClient(), jobId, (snapshot) => {
        job.value = snapshot;
      }).done;
      if (final.state === 'done' && final.result !== null) {
        outcome.value = final.result;
        protectedAt.value = Date.now();
        state.value = 'done';
      } else {
        error.value = final.error
          ? resumeError(toUiError(final.error))
          : { code: 'cancelled', message: 'Applying was stopped.', hint: 'Press Apply to start again.' };
        state.value = 'error';
      }
    } catch (err) {
      error.value = toUiError(err, 'applying the pair');
      state.value = 'error';
    }
  }

  /**
   * A resumed pairing that stopped: Twinlock took it back in full (from the wizard, pairing again
   * starts on the Pair screen), or a server did not answer (it is offered again at the next
   * start). The engine's hints name the command line.
   */
  function resumeError(data: TwinlockErrorData): TwinlockErrorData {
    const undo = data.detail?.undo as { complete?: unknown } | undefined;
    if (!resumed.value || data.detail?.step !== 'resume') return data;
    // A server did not answer: the journal stays, and the next start offers the pairing again.
    if (data.detail.resumable === true)
      return {
        ...data,
        hint: 'Nothing was changed. When both servers answer, open Twinlock again: it offers to resume the pairing at start.',
      };
    if (undo?.complete !== true) return data;
    return {
      ...data,
      hint: 'Nothing of the pair is left on either server. To pair them again, go Back to the Pair screen: Twinlock proposes the pair afresh from the servers as they are now.',
    };
  }

  /**
   * Forgets a finished run so the Review screen plans afresh (bringing a drifted pair back to its
   * bundle); the configuration applied before stays until the new plan runs.
   */
  function reset(): void {
    if (state.value === 'running') return;
    state.value = 'idle';
    job.value = null;
    error.value = null;
    outcome.value = null;
  }

  async function cancel(): Promise<void> {
    const id = job.value?.id;
    if (id === undefined || state.value !== 'running') return;
    error.value = (await requestCancel(useApiClient(), id, 'stopping')) ?? error.value;
  }

  return {
    state,
    job,
    error,
    drift,
    applied,
    appliedPlan,
    outcome,
    protectedAt,
    resumed,
    hostViews,
    isProtected,
    start,
    follow,
    reset,
    cancel,
  };
});
