/** Verify: both inventories compared for the chosen protection level. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  ClusterConfig,
  ClusterValidation,
  ExportReportResult,
  ProtectionLevel,
  ReportFormat,
  TwinlockErrorData,
  VerifyReport,
} from '../../../engine/api';
import { CLUSTER_ADDRESS_MESSAGE, CLUSTER_NAME, CLUSTER_NAME_MESSAGE, IPV4 } from '../../../engine/api/rules';
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

  /** Level 1: the cluster's name and address as typed (both empty: not checked until the plan). */
  const clusterName = ref('');
  const clusterAddress = ref('');

  /** Each cluster field's problem, shown beside it (`name`, `address`); none when both are empty. */
  const clusterErrors = computed<{ name?: string; address?: string }>(() =>
    clusterProblems(clusterName.value, clusterAddress.value, false),
  );

  /** The cluster verification checks: at Level 1, once both fields are filled in and valid. */
  const cluster = computed<ClusterConfig | undefined>(() => {
    if (level.value !== 1 || clusterName.value === '' || Object.keys(clusterErrors.value).length > 0)
      return undefined;
    return { name: clusterName.value, address: clusterAddress.value };
  });

  /** What a report is made of: the sessions, the level, and (Level 1) the cluster asked about. */
  function reportKey(ids: readonly [string, string], asked: ProtectionLevel, c: ClusterConfig | undefined) {
    return `${ids[0]}|${ids[1]}|${asked}|${asked === 1 && c ? `${c.name}|${c.address}` : ''}`;
  }

  const current = computed(() => {
    const ids = hosts.sessionIds;
    return (
      report.value !== null && ids !== null && reportFor.value === reportKey(ids, level.value, cluster.value)
    );
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
    // A cluster typed half or wrong is said beside its fields; verification waits for it.
    if (level.value === 1 && Object.keys(clusterErrors.value).length > 0) return;
    state.value = 'running';
    error.value = null;
    try {
      const asked = level.value;
      const c = cluster.value;
      report.value = await useApiClient().call(
        'verify',
        c === undefined ? { sessions: ids, level: asked } : { sessions: ids, level: asked, cluster: c },
      );
      reportFor.value = reportKey(ids, asked, c);
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
    reportFor.value = reportKey(ids, next.level, next.level === 1 ? (next.cluster ?? undefined) : undefined);
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
    clusterName,
    clusterAddress,
    clusterErrors,
    cluster,
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

/**
 * The cluster fields' problems in the contract's words (ClusterConfigSchema's messages). Both
 * empty is no problem unless `required` (the Pair screen at Level 1 needs a cluster).
 */
export function clusterProblems(
  name: string,
  address: string,
  required: boolean,
): { name?: string; address?: string } {
  const out: { name?: string; address?: string } = {};
  if (!required && name === '' && address === '') return out;
  if (name === '') out.name = `Enter the cluster’s name. ${CLUSTER_NAME_MESSAGE}`;
  else if (!CLUSTER_NAME.test(name)) out.name = CLUSTER_NAME_MESSAGE;
  if (address === '')
    out.address = 'Enter the cluster’s static address on the business network, for example 10.0.0.50.';
  else if (!IPV4.test(address)) out.address = CLUSTER_ADDRESS_MESSAGE;
  return out;
}

/** Test-Cluster's results as tags with their words (never colour alone). */
export const CLUSTER_RESULT_TAGS: Record<
  ClusterValidation['result'],
  { label: string; type: 'success' | 'warning' | 'error' | 'default' }
> = {
  passed: { label: 'Passed', type: 'success' },
  warning: { label: 'Warning', type: 'warning' },
  failed: { label: 'Failed', type: 'error' },
  'not-run': { label: 'Not run', type: 'default' },
};

/**
 * Why a Level 1 report has no Test-Cluster results, and what to do; null when it has them (or the
 * report is not for Level 1). The engine says why in its `cluster.validation` finding; without
 * one, the blocker that stops it: one about the validation, then the cluster's, then any.
 */
export function testClusterNotRun(report: VerifyReport): string | null {
  if (report.level !== 1 || report.clusterValidation) return null;
  // The engine's own finding about the validation says why it did not run.
  const own = report.findings.find((f) => f.ruleId === 'cluster.validation' && f.severity !== 'pass');
  if (own !== undefined) return `${own.reason} ${own.remedy}`.trim();
  const blockers = report.findings.filter((f) => f.severity === 'blocker');
  const about =
    blockers.find((f) => /test-cluster|validation/i.test(f.ruleId)) ??
    blockers.find((f) => f.category === 'Cluster') ??
    blockers[0];
  if (about === undefined)
    return 'Windows’ Test-Cluster did not run for this report: press Verify again to run it.';
  const next = about.remedy || about.reason;
  return `Windows’ Test-Cluster did not run: “${about.title}” blocks it. ${next}`.trim();
}
