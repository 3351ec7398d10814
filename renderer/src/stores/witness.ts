/** Pair: the witness checked from both servers (reached on its port; a share written and read back). */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { TwinlockErrorData, WitnessCheck } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';
import { usePairStore } from './pair';

export const useWitnessStore = defineStore('witness', () => {
  const hosts = useHostsStore();
  const pair = usePairStore();
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const result = ref<WitnessCheck | null>(null);
  const checkedFor = ref<string | null>(null);

  const key = computed(() => JSON.stringify([hosts.sessionIds, pair.witness]));
  /** The check is of the witness on screen now. */
  const current = computed(() => result.value !== null && checkedFor.value === key.value);

  /** Why Next waits for the witness; null when it may go on (checked and reached, or not checked yet). */
  const blockedBecause = computed<string | null>(() => {
    if (pair.witness === null) return null;
    if (state.value === 'running') return 'Checking the witness…';
    if (!current.value || result.value?.ok !== false) return null;
    const failed = result.value.from.filter((f) => !f.ok).map((f) => f.computerName);
    return `${failed.join(' and ') || 'A server'} could not reach the witness: fix it or choose another.`;
  });

  async function check(): Promise<void> {
    const ids = hosts.sessionIds;
    const witness = pair.witness;
    if (ids === null || witness === null || state.value === 'running') return;
    const asked = key.value;
    state.value = 'running';
    error.value = null;
    try {
      result.value = await useApiClient().call('checkWitness', { sessions: ids, witness });
      checkedFor.value = asked;
      state.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'checking the witness');
      state.value = 'error';
    }
  }

  return { state, error, result, current, blockedBecause, check };
});
