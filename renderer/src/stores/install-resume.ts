/**
 * An installation interrupted by a crash or a closed window: offered at start, resumed with the
 * password or private key when its connections must be opened again, or discarded.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import type { ResumableJob, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { emptyAccount, secretOf, useHostsStore } from './hosts';
import type { Credentials } from './hosts';
import { useInstallStore } from './install';
import type { IoState } from './io-state';
import { useWizardStore } from './wizard';

export const useInstallResumeStore = defineStore('install-resume', () => {
  const jobs = ref<ResumableJob[]>([]);
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  /** How to log on again when the servers' connections must be reopened; memory only. */
  const account = reactive<Credentials>(emptyAccount());
  const dismissed = ref<string[]>([]);

  /** The interrupted installation to offer (the most recent one not dismissed). */
  const offered = computed<ResumableJob | null>(
    () =>
      [...jobs.value]
        .filter((j) => !dismissed.value.includes(j.jobId))
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0] ?? null,
  );

  /** Asks the engine for interrupted installations (once, at start). */
  async function load(): Promise<void> {
    try {
      // Interrupted pairings are resumed from the command line (twinlock pair --resume).
      jobs.value = (await useApiClient().call('resumableJobs', {})).filter((j) => j.kind === 'install');
    } catch {
      // Resuming is a convenience: starting over detects and skips what is already done.
      jobs.value = [];
    }
  }

  /** Resumes the offered installation and shows it on the Install screen. */
  async function resume(): Promise<void> {
    const job = offered.value;
    if (job === null || state.value === 'running') return;
    const missing = account.method === 'password' ? account.password === '' : account.privateKey === null;
    if (job.needsPassword && missing) {
      const user = job.hosts[0]?.username ?? 'the administrator';
      error.value = {
        code: 'invalid-input',
        message:
          account.method === 'password'
            ? `Enter the password of ${user} to reconnect to the servers.`
            : `Choose the private key ${user} logs on with, to reconnect to the servers.`,
        hint: 'Twinlock keeps passwords and keys in memory only, so it needs them again after a restart.',
      };
      return;
    }
    state.value = 'running';
    error.value = null;
    try {
      const ref_ = await useApiClient().call('resumeJob', {
        jobId: job.jobId,
        ...(job.needsPassword ? secretOf(account) : {}),
      });
      Object.assign(account, emptyAccount());
      jobs.value = jobs.value.filter((j) => j.jobId !== job.jobId);
      state.value = 'done';
      // The engine reopened both sessions: pick them up, then watch the job on the Install screen.
      await useHostsStore().restore();
      useWizardStore().resumeAt('install');
      void useInstallStore().follow(ref_.jobId);
    } catch (err) {
      error.value = toUiError(err, 'resuming the installation');
      state.value = 'error';
    }
  }

  /** Forgets the interrupted installation (the admin chose not to resume it). */
  async function discard(): Promise<void> {
    const job = offered.value;
    if (job === null || state.value === 'running') return;
    try {
      await useApiClient().call('discardJob', { jobId: job.jobId });
      jobs.value = jobs.value.filter((j) => j.jobId !== job.jobId);
      error.value = null;
    } catch (err) {
      error.value = toUiError(err, 'discarding the interrupted installation');
    }
  }

  /** Not now: keep the journal for next time, but stop asking in this window. */
  function later(): void {
    if (offered.value) dismissed.value = [...dismissed.value, offered.value.jobId];
    error.value = null;
  }

  return { jobs, state, error, account, offered, load, resume, discard, later };
});
