/**
 * The agent package's publisher on the Install screen: shown before the first install and
 * confirmed like a host key. Which publishers are trusted is the engine's setting, not the package's.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AgentPackageInfo, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { detailString, toUiError } from '../api/errors';
import type { IoState } from './io-state';

/** A publisher waiting for the admin's decision. */
export interface PendingPublisher {
  subject: string;
  thumbprint: string;
  version: string;
}

export const usePublisherStore = defineStore('publisher', () => {
  const state = ref<IoState>('idle');
  const info = ref<AgentPackageInfo | null>(null);
  const error = ref<TwinlockErrorData | null>(null);
  /** Shown in the "Trust this publisher?" dialog. */
  const pending = ref<PendingPublisher | null>(null);

  let loading: Promise<void> | null = null;

  /** Reads the package an install would use and whether its publisher is trusted (one read at a time; callers share it). */
  function load(): Promise<void> {
    loading ??= (async () => {
      state.value = 'running';
      error.value = null;
      try {
        info.value = await useApiClient().call('agentPackage', {});
        state.value = 'done';
      } catch (err) {
        error.value = toUiError(err, 'reading the agent package');
        state.value = 'error';
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  /** True when the admin must confirm the publisher first (the dialog is then open). */
  function needsConfirmation(): boolean {
    const i = info.value;
    if (i === null || i.publisherTrusted) return false;
    pending.value = { ...i.publisher, version: i.version };
    return true;
  }

  /** Opens the dialog from the engine's refusal (`publisher-untrusted`). */
  function askFrom(refusal: TwinlockErrorData): void {
    const subject = detailString(refusal, 'subject');
    const thumbprint = detailString(refusal, 'thumbprint');
    if (subject === null || thumbprint === null) return;
    pending.value = { subject, thumbprint, version: detailString(refusal, 'version') ?? '' };
  }

  /** Trusts the pending publisher by the thumbprint shown; true when it is now trusted. */
  async function trust(): Promise<boolean> {
    const p = pending.value;
    if (p === null) return false;
    try {
      await useApiClient().call('trustPublisher', { thumbprint: p.thumbprint });
      pending.value = null;
      if (info.value !== null) info.value = { ...info.value, publisherTrusted: true };
      return true;
    } catch (err) {
      error.value = toUiError(err, 'trusting the publisher');
      pending.value = null;
      return false;
    }
  }

  function dismiss(): void {
    pending.value = null;
  }

  return { state, info, error, pending, load, needsConfirmation, askFrom, trust, dismiss };
});
