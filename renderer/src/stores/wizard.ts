/** The wizard itself: which step is on screen, what allows the next one, and the time taken. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { assertNever } from '../../../engine/api/rules';
import { useApplyStore } from './apply';
import { useDiscoveryStore } from './discovery';
import { useExistingPairStore } from './existing-pair';
import { useHostsStore } from './hosts';
import { useInstallStore } from './install';
import { useLinksStore } from './links';
import { usePairStore } from './pair';
import { useVerifyStore } from './verify';
import { useWitnessStore } from './witness';

/** The steps, in order. */
export const STEPS = [
  { id: 'discover', title: 'Discover', next: 'Connect' },
  { id: 'connect', title: 'Connect', next: 'Verify' },
  { id: 'verify', title: 'Verify', next: 'Install' },
  { id: 'install', title: 'Install', next: 'Pair' },
  { id: 'pair', title: 'Pair', next: 'Review' },
  { id: 'apply', title: 'Review', next: 'Finish' },
  { id: 'done', title: 'Protected', next: '' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];

export const useWizardStore = defineStore('wizard', () => {
  const index = ref(0);
  const discovery = useDiscoveryStore();
  const hosts = useHostsStore();
  const verify = useVerifyStore();
  const install = useInstallStore();
  const pair = usePairStore();
  const apply = useApplyStore();
  const links = useLinksStore();
  const witness = useWitnessStore();
  const existing = useExistingPairStore();

  const step = computed(() => STEPS[index.value] ?? STEPS[0]);

  /** Why Next is disabled, in one sentence; null when it is enabled. */
  const blockedBecause = computed<string | null>(() => {
    const id = step.value.id;
    switch (id) {
      case 'discover':
        return discovery.canContinue
          ? null
          : `Pick two servers (${discovery.selectedHosts.length} of 2 picked).`;
      case 'connect':
        if (!hosts.bothConnected) return 'Connect to both servers to go on.';
        if (hosts.sameServer !== null)
          return `Both picks are ${hosts.sameServer}: go back to Discover and pick two different servers.`;
        return existing.state === 'running' ? 'Asking the servers whether they are already a pair…' : null;
      case 'verify':
        if (verify.state === 'running') return 'Verifying…';
        if (!verify.current) return 'Run the verification to go on.';
        return verify.canContinue ? null : 'Fix the blockers, then verify again.';
      case 'install':
        return install.canContinue ? null : 'Install the agent on both servers to go on.';
      case 'pair':
        if (!pair.canContinue) return pair.problems[0] ?? 'Complete the pair’s configuration.';
        return links.blockedBecause ?? witness.blockedBecause;
      case 'apply':
        if (apply.isProtected) return null;
        // A resumed pairing that was taken back: there is nothing here to apply again.
        return apply.resumed && apply.state === 'error'
          ? 'Go Back to pair the servers again.'
          : 'Apply the configuration to go on.';
      case 'done':
        return 'This is the last step.';
      default:
        return assertNever(id);
    }
  });

  const canNext = computed(() => blockedBecause.value === null && index.value < STEPS.length - 1);
  const canBack = computed(() => index.value > 0 && apply.state !== 'running' && install.state !== 'running');

  /** Milliseconds from the first Connect to protected (or to now while still going). */
  const elapsedMs = computed<number | null>(() => {
    if (hosts.startedAt === null || apply.protectedAt === null) return null;
    return apply.protectedAt - hosts.startedAt;
  });

  /**
   * The servers already hold a pair and this window did not make it: Next from Connect shows it
   * protected, and Back from there returns to Connect; the steps between would pair them again.
   */
  const showsExisting = computed(() => existing.found !== null && apply.applied === null);

  /** What Next leads to, in words. */
  const nextTitle = computed(() =>
    step.value.id === 'connect' && showsExisting.value ? 'The protected pair' : step.value.next,
  );

  function next(): void {
    if (!canNext.value) return;
    if (step.value.id === 'connect' && showsExisting.value) resumeAt('done');
    else index.value += 1;
  }

  function back(): void {
    if (!canBack.value) return;
    if (step.value.id === 'done' && showsExisting.value) resumeAt('connect');
    // Bringing an existing pair back to its bundle: Back returns to the pair, not to the steps it skipped.
    else if ((step.value.id === 'apply' || step.value.id === 'pair') && showsExisting.value) resumeAt('done');
    else index.value -= 1;
  }

  /** Shows a step directly (resuming after a reload). */
  function resumeAt(id: StepId): void {
    const target = STEPS.findIndex((s) => s.id === id);
    if (target >= 0) index.value = target;
  }

  /** Jumps back to a step already passed (from the stepper). */
  function goTo(target: number): void {
    if (target < 0 || target >= index.value || !canBack.value) return;
    // From the existing pair's view, only the steps before Verify lead anywhere but to pairing again.
    const connect = STEPS.findIndex((s) => s.id === 'connect');
    index.value = showsExisting.value && step.value.id === 'done' ? Math.min(target, connect) : target;
  }

  return {
    index,
    step,
    blockedBecause,
    canNext,
    canBack,
    elapsedMs,
    showsExisting,
    nextTitle,
    next,
    back,
    goTo,
    resumeAt,
  };
});
