/**
 * Install: the agent on both servers (at Level 1, Windows' Failover Clustering feature instead),
 * as one job with a card per host; Roll back and restarts per host.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobSnapshotOf, ProtectionLevel, RollbackOutcome, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob, requestCancel, resultOf } from '../api/follow-job';
import { useHostsStore } from './hosts';
import { usePairStore } from './pair';
import { useVerifyStore } from './verify';
import { toInstallHostView } from './install-progress';
import type { InstallHostView } from './install-progress';
import type { IoState } from './io-state';

/** A per-server action beside the job (Roll back, Restart now): its state and what it said. */
export interface HostAction<T> {
  state: IoState;
  outcome: T | null;
  error: TwinlockErrorData | null;
}

export const useInstallStore = defineStore('install', () => {
  const hosts = useHostsStore();
  const state = ref<IoState>('idle');
  const job = ref<JobSnapshotOf<'install'> | null>(null);
  const error = ref<TwinlockErrorData | null>(null);
  /** Let Twinlock restart a server when msiexec asks for it (3010), wait, and finish. */
  const allowReboot = ref(false);
  const rollbacks = ref<Record<string, HostAction<RollbackOutcome>>>({});
  const restarts = ref<Record<string, HostAction<string>>>({});
  /**
   * The level the admin chose: the one verification checked the servers for, else the pair's.
   * Level 1 enables Failover Clustering and installs no agent package.
   */
  const level = computed<ProtectionLevel>(() => useVerifyStore().report?.level ?? usePairStore().level);
  /** The level of the job shown (set when it starts; a followed job's from its steps and results). */
  const startedLevel = ref<ProtectionLevel | null>(null);
  const jobLevel = computed<ProtectionLevel>(() => {
    if (startedLevel.value !== null) return startedLevel.value;
    const snapshot = job.value;
    const feature =
      (snapshot?.result ?? []).some((o) => o.component === 'failover-clustering') ||
      Object.values(snapshot?.hosts ?? {}).some((h) => h.step === 'feature');
    return feature ? 1 : level.value;
  });

  /** One card per host, in the order the servers were picked. */
  const hostViews = computed<InstallHostView[]>(() => {
    const snapshot = job.value;
    if (snapshot === null) return [];
    const order: readonly string[] = hosts.sessionIds ?? [];
    const entries = Object.entries(snapshot.hosts).sort(([a], [b]) => rank(order, a) - rank(order, b));
    return entries.map(([sessionId, progress]) => {
      const view = toInstallHostView(sessionId, progress, snapshot.state === 'running', jobLevel.value);
      // Restarted from this screen after the job: the restart the installer asked for is done.
      if (!view.rebootRequired || restarts.value[sessionId]?.state !== 'done') return view;
      return {
        ...view,
        rebootRequired: false,
        steps: view.steps.map((s) =>
          s.id === 'reboot' ? { ...s, label: 'Restart the server', status: 'done' as const } : s,
        ),
      };
    });
  });

  /** Servers that must still restart to finish the installation. */
  const rebootNeeded = computed<string[]>(() =>
    (job.value?.result ?? [])
      .filter((o) => o.rebootRequired && restarts.value[o.sessionId]?.state !== 'done')
      .map((o) => o.sessionId),
  );

  const canContinue = computed(() => state.value === 'done');

  /** Follows an install job (a new one, or one resumed after Twinlock was closed) to its end. */
  async function follow(jobId: string, followedLevel?: ProtectionLevel): Promise<void> {
    if (followedLevel !== undefined) startedLevel.value = followedLevel;
    state.value = 'running';
    error.value = null;
    try {
      const final = await followJob<'install'>(useApiClient(), jobId, (snapshot) => {
        job.value = snapshot;
      }).done;
      if (final.state === 'done') {
        state.value = 'done';
      } else {
        error.value = final.error
          ? toUiError(final.error)
          : {
              code: 'cancelled',
              message: 'The installation was stopped.',
              hint: 'Press Install to start again; steps already done are not repeated.',
            };
        state.value = 'error';
      }
    } catch (err) {
      error.value = toUiError(err, 'the installation');
      state.value = 'error';
    }
  }

  async function start(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    job.value = null;
    rollbacks.value = {};
    restarts.value = {};
    const chosen = level.value;
    startedLevel.value = chosen;
    try {
      const ref_ = await useApiClient().call('install', {
        sessions: ids,
        level: chosen,
        ...(allowReboot.value ? { allowReboot: true } : {}),
      });
      await follow(ref_.jobId, chosen);
    } catch (err) {
      error.value = toUiError(err, 'the installation');
      state.value = 'error';
    }
  }

  async function cancel(): Promise<void> {
    const id = job.value?.id;
    if (id === undefined || state.value !== 'running') return;
    error.value = (await requestCancel(useApiClient(), id, 'stopping the installation')) ?? error.value;
  }

  /**
   * Removes the agent, its firewall rules and the uploaded package from one server; at Level 1,
   * Failover Clustering where this installation added it (restarting it when allowed).
   */
  async function rollback(sessionId: string): Promise<void> {
    if (state.value === 'running' || rollbacks.value[sessionId]?.state === 'running') return;
    rollbacks.value[sessionId] = { state: 'running', outcome: null, error: null };
    try {
      const outcome = await useApiClient().call(
        'rollback',
        jobLevel.value === 1
          ? { sessionId, level: 1, ...(allowReboot.value ? { allowReboot: true } : {}) }
          : { sessionId },
      );
      rollbacks.value[sessionId] = { state: 'done', outcome, error: null };
    } catch (err) {
      rollbacks.value[sessionId] = { state: 'error', outcome: null, error: toUiError(err, 'the roll back') };
    }
  }

  /** Restarts a server that must restart to finish, and waits for it to come back. */
  async function restart(sessionId: string): Promise<void> {
    if (restarts.value[sessionId]?.state === 'running') return;
    restarts.value[sessionId] = { state: 'running', outcome: null, error: null };
    try {
      const client = useApiClient();
      const ref_ = await client.call('applyFix', { sessionId, fixId: 'restart' });
      const final = await followJob<'fix'>(client, ref_.jobId, () => undefined).done;
      const done = resultOf(final, {
        code: 'internal',
        message: 'The restart ended without a result.',
        hint: 'Connect to the server again to see where it stands.',
      });
      restarts.value[sessionId] = { state: 'done', outcome: done.message, error: null };
    } catch (err) {
      restarts.value[sessionId] = { state: 'error', outcome: null, error: toUiError(err, 'the restart') };
    }
  }

  return {
    state,
    job,
    error,
    allowReboot,
    level,
    jobLevel,
    rollbacks,
    restarts,
    hostViews,
    rebootNeeded,
    canContinue,
    follow,
    start,
    cancel,
    rollback,
    restart,
  };
});

function rank(order: readonly string[], id: string): number {
  const index = order.indexOf(id);
  return index === -1 ? order.length : index;
}
