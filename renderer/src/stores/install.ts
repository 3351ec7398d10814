/** Install: the agent on both servers, as one job with a card per host. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { JobSnapshotOf, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob } from '../api/follow-job';
import { useHostsStore } from './hosts';
import { toInstallHostView } from './install-progress';
import type { InstallHostView } from './install-progress';
import type { IoState } from './io-state';

export const useInstallStore = defineStore('install', () => {
  const hosts = useHostsStore();
  const state = ref<IoState>('idle');
  const job = ref<JobSnapshotOf<'install'> | null>(null);
  const error = ref<TwinlockErrorData | null>(null);

  /** One card per host, in the order the servers were picked. */
  const hostViews = computed<InstallHostView[]>(() => {
    const snapshot = job.value;
    if (snapshot === null) return [];
    const order: readonly string[] = hosts.sessionIds ?? [];
    const entries = Object.entries(snapshot.hosts).sort(([a], [b]) => rank(order, a) - rank(order, b));
    return entries.map(([sessionId, progress]) =>
      toInstallHostView(sessionId, progress, snapshot.state === 'running'),
    );
  });

  const canContinue = computed(() => state.value === 'done');

  async function start(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    job.value = null;
    try {
      const client = useApiClient();
      const ref_ = await client.call('install', { sessions: ids });
      const final = await followJob<'install'>(client, ref_.jobId, (snapshot) => {
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
              hint: 'Press Install to start again.',
            };
        state.value = 'error';
      }
    } catch (err) {
      error.value = toUiError(err, 'the installation');
      state.value = 'error';
    }
  }

  async function cancel(): Promise<void> {
    const id = job.value?.id;
    if (id === undefined || state.value !== 'running') return;
    try {
      await useApiClient().call('cancelJob', { jobId: id });
    } catch (err) {
      error.value = toUiError(err, 'stopping the installation');
    }
  }

  return { state, job, error, hostViews, canContinue, start, cancel };
});

function rank(order: readonly string[], id: string): number {
  const index = order.indexOf(id);
  return index === -1 ? order.length : index;
}
