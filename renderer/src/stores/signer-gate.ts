/**
 * A bundle whose signer this workstation does not trust yet waits for the admin's answer: shown
 * with its fingerprint, then trusted (and the bundle used again) or dismissed. Shared by every
 * store that reads a bundle (opening one on Pair, checking a pair against one).
 */
import { ref } from 'vue';
import type { Ref } from 'vue';
import type { TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { detailString, toUiError } from '../api/errors';
import type { IoState } from './io-state';

/** A bundle waiting for the admin to trust its signer. */
export interface PendingSigner {
  fingerprint: string;
  name: string;
  text: string;
}

/**
 * `retry` uses the bundle again once its signer is trusted; a failure to trust lands in the
 * store's own `state` and `error`.
 */
export function useSignerGate(
  state: Ref<IoState>,
  error: Ref<TwinlockErrorData | null>,
  retry: (name: string, text: string) => Promise<void>,
) {
  const pending = ref<PendingSigner | null>(null);

  /** True (and the bundle held) when `ui` is an untrusted signer; the store then goes idle. */
  function hold(ui: TwinlockErrorData, name: string, text: string): boolean {
    const fingerprint = detailString(ui, 'fingerprint');
    if (ui.code !== 'bundle-untrusted' || fingerprint === null) return false;
    pending.value = { fingerprint, name, text };
    state.value = 'idle';
    return true;
  }

  /** Trusts the pending bundle's signer by the fingerprint shown, then uses the bundle again. */
  async function trust(): Promise<void> {
    const p = pending.value;
    if (p === null) return;
    pending.value = null;
    try {
      await useApiClient().call('trustKey', { text: p.text, name: p.name, fingerprint: p.fingerprint });
    } catch (err) {
      error.value = toUiError(err, 'trusting the signer');
      state.value = 'error';
      return;
    }
    await retry(p.name, p.text);
  }

  function dismiss(): void {
    pending.value = null;
  }

  return { pending, hold, trust, dismiss };
}
