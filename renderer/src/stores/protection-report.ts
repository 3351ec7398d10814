/** Prove: the protection report (verification, the applied plan, links, drill, times) as HTML or PDF. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiOutput, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { DOCUMENT_KINDS, saveFile } from '../api/save-file';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';

export type ProtectionReportFormat = 'html' | 'pdf';
type Written = ApiOutput<'exportProtectionReport'>;

export const useProtectionReportStore = defineStore('protection-report', () => {
  const hosts = useHostsStore();
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const written = ref<Omit<Written, 'contentBase64'> | null>(null);

  /** Writes the report and hands it to the admin as a download named after the file the engine wrote. */
  async function exportReport(format: ProtectionReportFormat): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    try {
      const client = useApiClient();
      const result = await client.call('exportProtectionReport', { sessions: ids, format });
      const name = result.path.split(/[\\/]/).pop() || `protection-report.${format}`;
      await saveFile(client, {
        name,
        ...DOCUMENT_KINDS[format],
        contentBase64: result.contentBase64,
      });
      written.value = { path: result.path, format: result.format, bytes: result.bytes };
      state.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'the protection report');
      state.value = 'error';
    }
  }

  return { state, error, written, exportReport };
});
