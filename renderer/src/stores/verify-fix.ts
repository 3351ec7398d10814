/**
 * A fix for one finding on one server: what it will run (shown before anything changes), then the
 * run itself, the restart it may need, and the verification that follows.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { FixId, FixPreview, FixResult, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob, requestCancel, resultOf } from '../api/follow-job';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';
import { useVerifyStore } from './verify';

/** The fix the admin opened: which one, on which of the two servers. */
export interface FixTarget {
  fixId: FixId;
  /** 0 the first server picked, 1 the second (as in `Finding.fixOn`). */
  hostIndex: 0 | 1;
  /** The finding it came from, for the dialog's title. */
  title: string;
}

export const useVerifyFixStore = defineStore('verify-fix', () => {
  const hosts = useHostsStore();
  const verify = useVerifyStore();

  const target = ref<FixTarget | null>(null);
  const previewState = ref<IoState>('idle');
  const preview = ref<FixPreview | null>(null);
  const runState = ref<IoState>('idle');
  const result = ref<FixResult | null>(null);
  const error = ref<TwinlockErrorData | null>(null);
  /** The fix's job while it runs, and what it last said (each stage: run, restart, back, verify). */
  const jobId = ref<string | null>(null);
  const progressLine = ref<string | null>(null);
  const percent = ref(0);

  const open = computed(() => target.value !== null);
  const sessionId = computed(() => {
    const ids = hosts.sessionIds;
    return ids === null || target.value === null ? null : ids[target.value.hostIndex];
  });

  /** Opens the dialog and asks the engine what the fix would run. */
  async function show(next: FixTarget): Promise<void> {
    target.value = next;
    preview.value = null;
    result.value = null;
    error.value = null;
    progressLine.value = null;
    percent.value = 0;
    runState.value = 'idle';
    const id = sessionId.value;
    if (id === null) return;
    previewState.value = 'running';
    try {
      preview.value = await useApiClient().call('previewFix', { sessionId: id, fixId: next.fixId });
      previewState.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'preparing the fix');
      previewState.value = 'error';
    }
  }

  /** Runs the fix (a job), waits for a restart if it needs one, and takes the new verification. */
  async function run(): Promise<void> {
    const id = sessionId.value;
    const fix = target.value;
    if (id === null || fix === null || runState.value === 'running') return;
    runState.value = 'running';
    error.value = null;
    percent.value = 0;
    const client = useApiClient();
    try {
      const ref_ = await client.call('applyFix', { sessionId: id, fixId: fix.fixId, level: verify.level });
      jobId.value = ref_.jobId;
      const final = await followJob<'fix'>(client, ref_.jobId, (snapshot) => {
        progressLine.value = snapshot.message;
        percent.value = snapshot.percent;
      }).done;
      const done = resultOf(final, {
        code: 'internal',
        message: 'The fix ended without a result.',
        hint: 'Verify again to see where the server stands.',
      });
      result.value = done;
      if (done.report !== null) verify.accept(done.report);
      else await verify.run();
      runState.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'running the fix');
      runState.value = 'error';
    } finally {
      jobId.value = null;
    }
  }

  /** Stops the fix (while it waits for a restart, only the waiting stops: the server restarts anyway). */
  async function cancel(): Promise<void> {
    const id = jobId.value;
    if (id === null) return;
    error.value = (await requestCancel(useApiClient(), id, 'stopping the fix')) ?? error.value;
  }

  /** Closes the dialog (a running fix goes on in the engine; its outcome is kept). */
  function close(): void {
    if (runState.value === 'running') return;
    target.value = null;
  }

  return {
    target,
    previewState,
    preview,
    runState,
    result,
    error,
    progressLine,
    percent,
    open,
    show,
    run,
    cancel,
    close,
  };
});
