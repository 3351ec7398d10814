/**
 * Drift: a protected pair checked against a bundle (the one it was made from, or one it is to
 * match). The engine compares, changing nothing; the page shows "matches its bundle" or each
 * difference with what applying the bundle would change, and "Bring it back" plans exactly that.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DriftReport, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { useApplyStore } from './apply';
import { MAX_BUNDLE_BYTES } from './bundle';
import { useExistingPairStore } from './existing-pair';
import { useHostsStore } from './hosts';
import { useSignerGate } from './signer-gate';
import type { IoState } from './io-state';
import { usePairStore } from './pair';
import { useWizardStore } from './wizard';

export const useDriftStore = defineStore('drift', () => {
  const hosts = useHostsStore();
  const existing = useExistingPairStore();
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const report = ref<DriftReport | null>(null);
  /** The bundle compared with (its text stays in memory: it holds no secret). */
  const source = ref<{ name: string; text: string } | null>(null);
  /** A bundle whose signer this workstation does not trust yet. */
  const gate = useSignerGate(state, error, (name, text) => check(name, text));
  const { pending, trust, dismiss } = gate;
  /** "Bring it back": reading the bundle and proposing its configuration. */
  const restoreState = ref<IoState>('idle');
  const restoreError = ref<TwinlockErrorData | null>(null);
  /** What the bundle's settings could not carry over to these servers. */
  const notes = ref<string[]>([]);

  /** The pair's sessions, primary first: the existing pair's roles, else the order it was made in. */
  const sessions = computed<[string, string] | null>(() => existing.found?.sessions ?? hosts.sessionIds);
  /** Differences applying the bundle can correct. */
  const correctable = computed(() => report.value?.differences.filter((d) => d.change !== null) ?? []);

  /** Compares the pair with a bundle's text (`name`: its file name, for messages). */
  async function check(name: string, text: string): Promise<void> {
    const ids = sessions.value;
    if (ids === null || state.value === 'running') return;
    state.value = 'running';
    error.value = null;
    report.value = null;
    source.value = { name, text };
    try {
      report.value = await useApiClient().call('drift', { bundle: { text, name }, sessions: ids });
      state.value = 'done';
    } catch (err) {
      const ui = toUiError(err, 'checking the pair against the bundle');
      if (gate.hold(ui, name, text)) return;
      error.value = ui;
      state.value = 'error';
    }
  }

  /** Reads a file the admin picked and compares the pair with it. */
  async function checkFile(file: File): Promise<void> {
    if (file.size > MAX_BUNDLE_BYTES) {
      error.value = {
        code: 'bundle-invalid',
        message: `${file.name} is not a Twinlock bundle: it is ${Math.round(file.size / 1024)} KB, and bundles are a few kilobytes.`,
        hint: 'Choose the .twinlock file exported by Twinlock.',
      };
      report.value = null;
      state.value = 'error';
      return;
    }
    await check(file.name, await file.text());
  }

  /** Compares again with the same bundle (after bringing the pair back, or on request). */
  async function recheck(): Promise<void> {
    if (source.value !== null) await check(source.value.name, source.value.text);
  }

  /**
   * "Bring it back": the bundle's configuration on these servers (its name, level, witness, VMs;
   * these servers' links), then Review, whose plan lists the corrections. When something must be
   * chosen first (running without a witness is confirmed by this admin), the Pair step.
   */
  async function bringBack(): Promise<void> {
    const from = source.value;
    const ids = sessions.value;
    if (from === null || ids === null || restoreState.value === 'running') return;
    restoreState.value = 'running';
    restoreError.value = null;
    try {
      const pair = usePairStore();
      const bundle = await useApiClient().call('readBundle', { text: from.text, name: from.name });
      await pair.propose(ids);
      if (pair.error !== null) {
        restoreError.value = pair.error;
        restoreState.value = 'error';
        return;
      }
      notes.value = pair.fromBundle(bundle);
      useApplyStore().reset();
      restoreState.value = 'done';
      useWizardStore().resumeAt(pair.config !== null ? 'apply' : 'pair');
    } catch (err) {
      restoreError.value = toUiError(err, 'reading the bundle');
      restoreState.value = 'error';
    }
  }

  return {
    state,
    error,
    report,
    source,
    pending,
    sessions,
    correctable,
    restoreState,
    restoreError,
    notes,
    check,
    checkFile,
    recheck,
    trust,
    dismiss,
    bringBack,
  };
});
