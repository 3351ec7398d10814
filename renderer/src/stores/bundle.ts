/**
 * “Use a bundle…” on the Pair screen: reads a bundle file the admin picks (its text: the page
 * cannot hand the engine a path), asks about a signer this workstation does not trust yet, as for
 * a host key, and fills the pair settings from it. In the desktop app, a bundle opened with
 * Twinlock (double-click, File › Open bundle…) arrives the same way, and waits for the Pair step
 * when the wizard is not there yet.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Bundle, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import type { IoState } from './io-state';
import { useDriftStore } from './drift';
import { useSignerGate } from './signer-gate';
import { usePairStore } from './pair';
import { useUnpairStore } from './unpair';
import { useWizardStore } from './wizard';

/** A bundle is a few kilobytes; anything far larger is the wrong file. */
export const MAX_BUNDLE_BYTES = 256 * 1024;

export const useBundleStore = defineStore('bundle', () => {
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const gate = useSignerGate(state, error, (name, text) => read(name, text));
  const { pending, trust, dismiss } = gate;
  /** The bundle the settings were filled from, and what could not be taken over. */
  const used = ref<{ name: string; bundle: Bundle; notes: string[] } | null>(null);
  /** A bundle opened with Twinlock before the wizard reached the Pair step. */
  const waiting = ref<{ name: string; text: string } | null>(null);

  async function read(name: string, text: string): Promise<void> {
    state.value = 'running';
    error.value = null;
    try {
      const bundle = await useApiClient().call('readBundle', { text, name });
      used.value = { name, bundle, notes: usePairStore().fromBundle(bundle) };
      state.value = 'done';
    } catch (err) {
      const ui = toUiError(err, 'reading the bundle');
      if (gate.hold(ui, name, text)) return;
      error.value = ui;
      state.value = 'error';
    }
  }

  /** Reads a file the admin picked (File API: the browser and Electron's sandboxed page alike). */
  async function open(file: File): Promise<void> {
    if (file.size > MAX_BUNDLE_BYTES) {
      error.value = {
        code: 'bundle-invalid',
        message: `${file.name} is not a Twinlock bundle: it is ${Math.round(file.size / 1024)} KB, and bundles are a few kilobytes.`,
        hint: 'Choose the .twinlock file exported by Twinlock.',
      };
      state.value = 'error';
      return;
    }
    await read(file.name, await file.text());
  }

  /**
   * Desktop: takes the bundles the admin opened with Twinlock (the last one counts). On the Pair
   * step it is read at once; before it, it waits there, and the page says so.
   */
  async function takeOpened(): Promise<void> {
    const take = useApiClient().takeOpenedBundle;
    if (take === undefined) return;
    const pair = usePairStore();
    try {
      for (let next = await take(); next !== null; next = await take()) waiting.value = next;
    } catch (err) {
      const e = toUiError(err, 'opening the bundle');
      pair.menuNotice = { type: 'error', title: e.message, text: e.hint ?? '' };
      return;
    }
    const opened = waiting.value;
    if (opened === null) return;
    const wizard = useWizardStore();
    // Opened against a pair that is already protected: compared with it (drift), never re-applied.
    if (wizard.step.id === 'done' || (wizard.step.id === 'connect' && wizard.showsExisting)) {
      waiting.value = null;
      if (!useUnpairStore().removed) {
        wizard.resumeAt('done');
        await useDriftStore().check(opened.name, opened.text);
        return;
      }
    }
    if (wizard.step.id === 'pair') {
      await useWaiting();
      return;
    }
    pair.menuNotice = {
      type: 'info',
      title: `${opened.name} is open.`,
      text: 'Its settings fill the Pair step, once both servers are connected, verified and have the agent.',
    };
  }

  /** Reads the bundle that waited for the Pair step, if there is one. */
  async function useWaiting(): Promise<void> {
    const opened = waiting.value;
    if (opened === null) return;
    waiting.value = null;
    await read(opened.name, opened.text);
  }

  return { state, error, pending, used, waiting, open, trust, dismiss, takeOpened, useWaiting };
});
