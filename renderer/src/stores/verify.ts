/** Verify: both inventories compared for the chosen protection level. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  ExportReportResult,
  ProtectionLevel,
  ReportFormat,
  TwinlockErrorData,
  VerifyReport,
} from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { DOCUMENT_KINDS, saveFile } from '../api/save-file';
import type { SavedFile } from '../api/save-file';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';

export const useVerifyStore = defineStore('verify', () => {
  const hosts = useHostsStore();
  const level = ref<ProtectionLevel>(3);
  const state = ref<IoState>('idle');
  const report = ref<VerifyReport | null>(null);
  const error = ref<TwinlockErrorData | null>(null);
  /** The sessions the report was made for: a report for other servers is stale. */
  const reportFor = ref<string | null>(null);

  const current = computed(() => {
    const ids = hosts.sessionIds;
    return report.value !== null && ids !== null && reportFor.value === `${ids[0]}|${ids[1]}|${level.value}`;
  });
  const canContinue = computed(() => current.value && report.value?.outcome !== 'blocked');
  const counts = computed(() => {
    const findings = report.value?.findings ?? [];
    return {
      pass: findings.filter((f) => f.severity === 'pass').length,
      warning: findings.filter((f) => f.severity === 'warning').length,
      blocker: findings.filter((f) => f.severity === 'blocker').length,
    };
  });

  async function run(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    try {
      const asked = level.value;
      report.value = await useApiClient().call('verify', { sessions: ids, level: asked });
      reportFor.value = `${ids[0]}|${ids[1]}|${asked}`;
      state.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'the verification');
      state.value = 'error';
    }
  }

  /** Changes the level and verifies again: the rules differ per level. */
  async function setLevel(next: ProtectionLevel): Promise<void> {
    if (next === level.value) return;
    level.value = next;
    await run();
  }

  /** Takes a report made elsewhere (the verification that follows a fix) for the current servers. */
  function accept(next: VerifyReport): void {
    const ids = hosts.sessionIds;
    if (ids === null) return;
    report.value = next;
    level.value = next.level;
    reportFor.value = `${ids[0]}|${ids[1]}|${next.level}`;
    error.value = null;
    state.value = 'done';
  }

  const exportState = ref<IoState>('idle');
  const exported = ref<ExportReportResult | null>(null);
  /** Where the admin's copy went: a path chosen in the Save dialog, the browser's downloads, or nowhere (cancelled). */
  const saved = ref<SavedFile | null>(null);
  const exportError = ref<TwinlockErrorData | null>(null);

  /** Writes the current report as JSON, HTML or PDF in the data folder's reports/. */
  async function exportReport(format: ReportFormat): Promise<void> {
    if (report.value === null || exportState.value === 'running') return;
    exportState.value = 'running';
    exportError.value = null;
    try {
      const client = useApiClient();
      const result = await client.call('exportReport', {
        report: report.value,
        format,
        includeContent: true,
      });
      exported.value = { ...result, contentBase64: undefined };
      const [a, b] = report.value.hosts;
      saved.value =
        result.contentBase64 === undefined
          ? null
          : await saveFile(client, {
              name: `verification-${a.computerName}-${b.computerName}.${format}`,
              kind: DOCUMENT_KINDS[format].kind,
              mimeType: DOCUMENT_KINDS[format].mimeType,
              contentBase64: result.contentBase64,
            });
      exportState.value = 'done';
    } catch (err) {
      exportError.value = toUiError(err, 'exporting the report');
      exportState.value = 'error';
    }
  }

  /** Verifies unless a current report exists. */
  async function ensure(): Promise<void> {
    if (!current.value) await run();
  }

  return {
    level,
    state,
    report,
    error,
    current,
    canContinue,
    counts,
    exportState,
    exported,
    saved,
    exportError,
    run,
    setLevel,
    ensure,
    accept,
    exportReport,
  };
});
