/** Pair: the sync links measured by Twinlock from both servers, judged against the chosen level. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { LinkMeasurement, LinkMeasurements, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';
import { usePairStore } from './pair';

export const useLinksStore = defineStore('links', () => {
  const hosts = useHostsStore();
  const pair = usePairStore();
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const result = ref<LinkMeasurements | null>(null);
  /** What was measured: the sessions, links and level (a measurement of other links is stale). */
  const measuredFor = ref<string | null>(null);

  const key = computed(() => {
    const ids = hosts.sessionIds;
    return ids === null ? null : JSON.stringify([ids, pair.links, pair.level]);
  });

  /** The measurement is of the links and level on screen now. */
  const current = computed(() => result.value !== null && measuredFor.value === key.value);

  /** Why Next waits for the links, in one sentence; null when they allow going on. */
  const blockedBecause = computed<string | null>(() => {
    if (state.value === 'running') return 'Measuring the sync links…';
    if (!current.value) return 'Measure the sync links to go on.';
    const dead = result.value?.links.findIndex((l) => l.verdict === 'blocker') ?? -1;
    if (dead < 0) return null;
    // The figures and the whole reason stand beside the link; the footer says what to do.
    return `Sync link ${dead + 1} cannot carry the pair: nothing came back. Check its cable and addresses, or remove it.`;
  });

  /** The measurement of link `index` as on screen, when current. */
  function of(index: number): LinkMeasurement | null {
    if (!current.value) return null;
    return result.value?.links[index] ?? null;
  }

  /** Measures every link from both servers (each direction for `seconds`). */
  async function measure(seconds?: number): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running' || pair.links.length === 0) return;
    const asked = key.value;
    state.value = 'running';
    error.value = null;
    try {
      const input = {
        primary: ids[0],
        secondary: ids[1],
        links: pair.links.map((l) => ({ ...l })),
        level: pair.level,
        ...(seconds === undefined ? {} : { seconds }),
      };
      result.value = await useApiClient().call('measureLinks', input);
      measuredFor.value = asked;
      state.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'measuring the sync links');
      pair.takeEngineIssues(error.value);
      state.value = 'error';
    }
  }

  return { state, error, result, current, blockedBecause, of, measure };
});
