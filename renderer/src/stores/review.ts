/** Review: the plan of every change a pairing makes, made by the engine before anything changes. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Plan, PlanRequest, PlanRole, PlanStep, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { saveFile, textToBase64 } from '../api/save-file';
import type { SavedFile } from '../api/save-file';
import type { IoState } from './io-state';
import { usePairStore } from './pair';

/** One server's steps, as the Review screen groups them. */
export interface PlanGroup {
  role: PlanRole;
  computerName: string;
  steps: PlanStep[];
  changes: number;
}

/** The steps of a plan by server, primary first, each in the order it runs. */
export function groupSteps(plan: Plan): PlanGroup[] {
  return plan.servers.map((server) => ({
    role: server.role,
    computerName: server.computerName,
    steps: plan.steps.filter((s) => s.server === server.role),
    changes: plan.totals.changes[server.role],
  }));
}

/** The plan as a file: pretty JSON, the format `twinlock pair --plan` reads. */
export function planText(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/** A plan's file name: `<pair>.plan.json` (`<pair>.unpair.plan.json` for removing it). */
export function planFileName(plan: Plan): string {
  return `${plan.pair.name}${plan.kind === 'unpair' ? '.unpair' : ''}.plan.json`;
}

/** Hands the plan to the admin as a file: the desktop's Save dialog, or a browser download. */
export function savePlanFile(plan: Plan): Promise<SavedFile> {
  return saveFile(useApiClient(), {
    name: planFileName(plan),
    kind: 'Twinlock plan',
    mimeType: 'application/json',
    contentBase64: textToBase64(planText(plan)),
  });
}

/** Asks the engine for a plan; one store per kind of plan shares it. */
export function usePlanMaker() {
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const plan = ref<Plan | null>(null);
  const plannedFor = ref<string | null>(null);

  async function make(request: PlanRequest): Promise<Plan | null> {
    if (state.value === 'running') return null;
    const key = JSON.stringify(request);
    state.value = 'running';
    error.value = null;
    try {
      plan.value = await useApiClient().call('plan', request);
      plannedFor.value = key;
      state.value = 'done';
      return plan.value;
    } catch (err) {
      error.value = toUiError(err, 'planning');
      plan.value = null;
      plannedFor.value = null;
      state.value = 'error';
      return null;
    }
  }

  return { state, error, plan, plannedFor, make };
}

export const useReviewStore = defineStore('review', () => {
  const pair = usePairStore();
  const maker = usePlanMaker();

  const request = computed<PlanRequest | null>(() =>
    pair.config === null ? null : { kind: 'pair', config: pair.config },
  );
  /** The plan is of the configuration on the Pair screen now. */
  const current = computed(
    () =>
      maker.plan.value !== null &&
      request.value !== null &&
      maker.plannedFor.value === JSON.stringify(request.value),
  );
  const groups = computed(() => (maker.plan.value === null ? [] : groupSteps(maker.plan.value)));

  /** Plans the current configuration unless the plan on screen is of it already (`force`: again). */
  async function ensure(force = false): Promise<void> {
    const r = request.value;
    if (r === null || (current.value && !force)) return;
    await maker.make(r);
    if (maker.error.value !== null) pair.takeEngineIssues(maker.error.value);
  }

  return {
    state: maker.state,
    error: maker.error,
    plan: maker.plan,
    current,
    groups,
    ensure,
  };
});
