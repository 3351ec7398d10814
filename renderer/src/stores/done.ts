/** Prove & export: both servers' live status and the signed configuration bundle. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AgentStatus, ExportBundleResult, PairConfig, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { saveFile, textToBase64 } from '../api/save-file';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';

export const useDoneStore = defineStore('done', () => {
  const hosts = useHostsStore();
  const statusState = ref<IoState>('idle');
  const statuses = ref<[AgentStatus, AgentStatus] | null>(null);
  const statusError = ref<TwinlockErrorData | null>(null);
  /** When the statuses on screen were read (ms since the epoch). */
  const updatedAt = ref<number | null>(null);
  let liveTimer: ReturnType<typeof setInterval> | null = null;

  const bundleState = ref<IoState>('idle');
  const bundle = ref<ExportBundleResult | null>(null);
  const bundleError = ref<TwinlockErrorData | null>(null);

  /** True inside the desktop app, where a save dialog can choose the bundle's place. */
  const canSaveAs = computed(() => typeof useApiClient().saveBundleAs === 'function');

  async function loadStatus(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || statusState.value === 'running') return;
    statusState.value = 'running';
    statusError.value = null;
    try {
      const client = useApiClient();
      const [a, b] = await Promise.all(ids.map((sessionId) => client.call('status', { sessionId })));
      statuses.value = [a as AgentStatus, b as AgentStatus];
      updatedAt.value = Date.now();
      statusState.value = 'done';
    } catch (err) {
      statusError.value = toUiError(err, 'reading the status');
      statusState.value = 'error';
    }
  }

  /** Reads both statuses now and every `everyMs` until {@link stopLive} (while the screen is shown). */
  function startLive(everyMs = 5000): void {
    stopLive();
    void loadStatus();
    liveTimer = setInterval(() => void loadStatus(), everyMs);
  }

  function stopLive(): void {
    if (liveTimer !== null) clearInterval(liveTimer);
    liveTimer = null;
  }

  /** Writes the bundle to the data folder (or `path`). */
  async function exportBundle(config: PairConfig, path?: string): Promise<void> {
    if (bundleState.value === 'running') return;
    bundleState.value = 'running';
    bundleError.value = null;
    try {
      bundle.value = await useApiClient().call(
        'exportBundle',
        path === undefined ? { config } : { config, path },
      );
      bundleState.value = 'done';
    } catch (err) {
      bundleError.value = toUiError(err, 'the bundle export');
      bundleState.value = 'error';
    }
  }

  /** In a browser: the bundle the engine wrote, downloaded as the same file (`<pair>.twinlock.json`). */
  async function downloadBundle(): Promise<void> {
    const written = bundle.value;
    if (written === null) return;
    const name = written.path.split(/[\\/]/).pop() || `${written.bundle.pair.name}.twinlock.json`;
    await saveFile(useApiClient(), {
      name,
      kind: 'Twinlock bundle',
      mimeType: 'application/json',
      contentBase64: textToBase64(`${JSON.stringify(written.bundle, null, 2)}\n`),
    });
  }

  /** Desktop only: asks where, then writes the bundle there. */
  async function saveAs(config: PairConfig): Promise<void> {
    const save = useApiClient().saveBundleAs;
    if (save === undefined || bundleState.value === 'running') return;
    bundleState.value = 'running';
    bundleError.value = null;
    try {
      const result = await save(config);
      if (result !== null) bundle.value = result;
      bundleState.value = bundle.value === null ? 'idle' : 'done';
    } catch (err) {
      bundleError.value = toUiError(err, 'the bundle export');
      bundleState.value = 'error';
    }
  }

  return {
    statusState,
    statuses,
    statusError,
    updatedAt,
    startLive,
    stopLive,
    bundleState,
    bundle,
    bundleError,
    canSaveAs,
    loadStatus,
    exportBundle,
    downloadBundle,
    saveAs,
  };
});
