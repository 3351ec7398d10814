/** Prove & export: both servers' live status and the signed configuration bundle. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  AgentStatus,
  ClusterStatus,
  ExportBundleResult,
  PairConfig,
  ProtectionLevel,
  TwinlockErrorData,
} from '../../../engine/api';
import { bundleFileName } from '../../../engine/api/rules';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { saveFile, textToBase64 } from '../api/save-file';
import { useApplyStore } from './apply';
import { useExistingPairStore } from './existing-pair';
import { useHostsStore } from './hosts';
import { usePairStore } from './pair';
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

  /** The statuses on screen: read here, or the ones the pairing ended with. */
  const shown = computed(() => statuses.value ?? useApplyStore().outcome?.status ?? null);

  /**
   * The level of the pair on screen, as the servers report it (a pair opened later, too): a
   * clustered server is Level 1; then the pair applied here, the one found, the one described.
   */
  const pairLevel = computed<ProtectionLevel>(() => {
    const reported = shown.value?.find((s) => s.pair !== null)?.pair?.level;
    if (reported !== undefined) return reported;
    if (shown.value?.some((s) => s.cluster !== undefined)) return 1;
    return useApplyStore().applied?.level ?? useExistingPairStore().found?.level ?? usePairStore().level;
  });

  /** Level 1: the failover cluster as the servers see it (the first that reports one), or null. */
  const cluster = computed<ClusterStatus | null>(
    () => shown.value?.find((s) => s.cluster !== undefined)?.cluster ?? null,
  );

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

  /** In a browser: the bundle the engine wrote, downloaded as the same file (`<pair>.twinlock`). */
  async function downloadBundle(): Promise<void> {
    const written = bundle.value;
    if (written === null) return;
    const name = written.path.split(/[\\/]/).pop() || bundleFileName(written.bundle.pair.name);
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
    pairLevel,
    cluster,
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
