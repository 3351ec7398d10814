/**
 * Access: whether the browser shell refused this page (opened without the token of this run, with
 * a stale one, or from a foreign origin). Once refused, the page shows how to open Twinlock again
 * instead of the wizard: no step can work without the token.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { TwinlockErrorData } from '../../../engine/api';

export const useAccessStore = defineStore('access', () => {
  /** The first refusal, or null while the page may talk to the engine. */
  const refused = ref<TwinlockErrorData | null>(null);

  function refuse(error: TwinlockErrorData): void {
    refused.value ??= error;
  }

  return { refused, refuse };
});
