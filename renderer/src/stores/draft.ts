/**
 * Resuming where the admin was: the wizard keeps its draft in the engine (the step on screen, the
 * Pair screen's choices as typed, the install and pairing jobs it follows; never a password or a
 * key), and a window opened again picks up the engine's sessions and jobs and lands on that step
 * with those choices.
 */
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { DraftPair, WizardDraft } from '../../../engine/api';
import { endpointId } from '../../../engine/api/rules';
import { useApiClient } from '../api/client';
import { useApplyStore } from './apply';
import { useExistingPairStore } from './existing-pair';
import { useHostsStore } from './hosts';
import { useInstallStore } from './install';
import { usePairStore } from './pair';
import { useVerifyStore } from './verify';
import { useWitnessStore } from './witness';
import { STEPS, useWizardStore } from './wizard';

/** How long the wizard waits after a change before it saves (typing saves once, not per key). */
const SAVE_AFTER_MS = 250;

export const useDraftStore = defineStore('draft', () => {
  /** Saving starts once the draft found at start was resumed (or there was none). */
  const saving = ref(false);
  /** What the last resume did, for the page and tests: the step it landed on, or why it did not. */
  const resumed = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = '';

  /** The draft of the wizard as it is now. */
  function snapshot(): WizardDraft {
    const wizard = useWizardStore();
    const hosts = useHostsStore();
    const pair = usePairStore();
    const install = useInstallStore();
    const apply = useApplyStore();
    const verify = useVerifyStore();
    const draft: WizardDraft = {
      step: wizard.step.id,
      servers: hosts.targets.map((h) => endpointId(h)),
      verifyLevel: verify.level,
      savedAt: new Date().toISOString(),
    };
    if (install.job !== null) draft.installJobId = install.job.id;
    if (apply.job !== null) draft.applyJobId = apply.job.id;
    if (pair.proposal !== null) {
      const typed: DraftPair = {
        name: pair.name,
        level: pair.level,
        links: pair.links.map((l) => ({ ...l })),
        witnessMode: pair.witnessMode,
        witnessAddresses: { ...pair.witnessAddresses },
        witnessPort: pair.witnessPort,
        noWitnessAccepted: pair.noWitnessAccepted,
        vms: [...pair.vms],
      };
      draft.pair = typed;
    }
    return draft;
  }

  /** Saves the draft when it changed (not the time it was saved). */
  async function save(): Promise<void> {
    const draft = snapshot();
    const key = JSON.stringify({ ...draft, savedAt: '' });
    if (key === last) return;
    last = key;
    try {
      await useApiClient().call('saveWizardDraft', { draft });
    } catch {
      // Resuming is a convenience: the wizard goes on without it.
      last = '';
    }
  }

  /** Saves a moment after every change of the step, the picks, the choices or the jobs followed. */
  function follow(): void {
    if (saving.value) return;
    saving.value = true;
    watch(
      () => JSON.stringify({ ...snapshot(), savedAt: '' }),
      () => {
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(() => void save(), SAVE_AFTER_MS);
      },
      { immediate: true },
    );
  }

  /** Puts the Pair screen's choices back over the engine's proposal. */
  function restorePair(typed: DraftPair): void {
    const pair = usePairStore();
    pair.name = typed.name;
    pair.level = typed.level;
    pair.links = typed.links.map((l) => ({ ...l }));
    pair.witnessMode = typed.witnessMode;
    pair.witnessAddresses = { ...typed.witnessAddresses };
    pair.witnessPort = typed.witnessPort;
    pair.noWitnessAccepted = typed.noWitnessAccepted;
    pair.vms = [...typed.vms];
  }

  /**
   * At start: picks up the engine's two sessions and the draft, and lands on the draft's step with
   * its choices; the jobs it followed are followed again from the engine. Without the draft's
   * sessions, an existing pair is shown as such, or Connect; with no sessions, Discover.
   */
  async function resume(): Promise<void> {
    const wizard = useWizardStore();
    const hosts = useHostsStore();
    const existing = useExistingPairStore();
    let draft: WizardDraft | null = null;
    try {
      draft = await useApiClient().call('wizardDraft', {});
    } catch {
      draft = null;
    }
    try {
      if (!(await hosts.restore(draft?.servers ?? []))) {
        resumed.value = 'no sessions';
        return;
      }
      const ids = hosts.targets.map((h) => endpointId(h));
      const same =
        draft !== null && draft.servers.length === 2 && draft.servers.every((s, i) => ids[i] === s);
      const found = await existing.check();
      if (!same || draft === null) {
        wizard.resumeAt(found !== null ? 'done' : 'connect');
        resumed.value = found !== null ? 'done' : 'connect';
        return;
      }
      await resumeFrom(draft, found !== null);
    } finally {
      follow();
    }
  }

  async function resumeFrom(draft: WizardDraft, paired: boolean): Promise<void> {
    const wizard = useWizardStore();
    const hosts = useHostsStore();
    const pair = usePairStore();
    const install = useInstallStore();
    const apply = useApplyStore();
    const client = useApiClient();
    const at = (id: WizardDraft['step']) => STEPS.findIndex((s) => s.id === id);
    const step = at(draft.step);
    if (draft.verifyLevel !== undefined) useVerifyStore().level = draft.verifyLevel;

    // The install the Install screen followed: its state is the engine's (running, done or failed).
    if (draft.installJobId !== undefined && step >= at('install')) {
      const known = await client.call('job', { jobId: draft.installJobId }).then(
        () => true,
        () => false,
      );
      if (known) void install.follow(draft.installJobId);
    }

    // The Pair screen's choices, over a fresh proposal from the servers as they are now.
    if (draft.pair !== undefined && step >= at('pair')) {
      await pair.propose(hosts.sessionIds ?? undefined);
      if (pair.proposal !== null) {
        restorePair(draft.pair);
        // A witness chosen before is checked again from both servers (it changes nothing).
        if (draft.pair.witnessMode === 'host' || draft.pair.witnessMode === 'file-share')
          void useWitnessStore().check();
      }
    }

    // The pairing the Review screen followed: still running, ended, or gone with the engine.
    if (draft.applyJobId !== undefined && step >= at('apply')) {
      const known = await client.call('job', { jobId: draft.applyJobId }).then(
        () => true,
        () => false,
      );
      if (known) void apply.follow(draft.applyJobId, pair.config ?? undefined);
    } else if (draft.step === 'done' && paired && pair.config !== null) {
      // Protected by this walk, then the window was closed: the pair as it was applied here.
      apply.applied = pair.config;
    }

    wizard.resumeAt(draft.step);
    resumed.value = draft.step;
  }

  /** Forgets the draft (nothing to resume). */
  async function forget(): Promise<void> {
    last = '';
    await useApiClient().call('saveWizardDraft', { draft: null });
  }

  return { saving, resumed, snapshot, save, follow, resume, forget };
});
