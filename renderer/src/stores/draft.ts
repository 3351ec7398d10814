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
import { useDiscoveryStore } from './discovery';
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
  /**
   * A draft from before Twinlock was closed (its sessions ended with it): kept, and not saved over,
   * until the admin connects to its two servers again; then the wizard goes on at its step.
   */
  const pending = ref<WizardDraft | null>(null);
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
        cluster: { name: pair.clusterName, address: pair.clusterAddress },
      };
      draft.pair = typed;
    }
    return draft;
  }

  /** Saves the draft when it changed (not the time it was saved). */
  async function save(): Promise<void> {
    // The draft waiting for its servers stays as it was; other servers picked: it is left behind.
    if (pending.value !== null) {
      const picked = useHostsStore().targets.map((h) => endpointId(h));
      if (picked.every((id, i) => pending.value?.servers[i] === id)) return;
      pending.value = null;
    }
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
    if (typed.cluster !== undefined) {
      pair.clusterName = typed.cluster.name;
      pair.clusterAddress = typed.cluster.address;
    }
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
        if (draft !== null) waitForServers(draft);
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

  /**
   * Twinlock was closed (its sessions with it) past Connect: the draft's two servers are picked
   * again and Connect asks for the password once more (it is never kept); {@link takePending}
   * goes on at the draft's step once both are connected.
   */
  function waitForServers(draft: WizardDraft): void {
    const at = STEPS.findIndex((st) => st.id === draft.step);
    if (draft.servers.length !== 2 || at <= STEPS.findIndex((st) => st.id === 'connect')) return;
    const discovery = useDiscoveryStore();
    if (discovery.selected.length > 0) return;
    for (const server of draft.servers) {
      const cut = server.lastIndexOf(':');
      const port = Number(server.slice(cut + 1));
      if (cut <= 0 || !Number.isInteger(port)) return;
      discovery.restoreHost(server.slice(0, cut), port, server.slice(0, cut));
    }
    pending.value = draft;
    useWizardStore().resumeAt('connect');
    resumed.value = 'connect';
  }

  /** Both servers of the waiting draft are connected again: on to its step, with its choices. */
  async function takePending(paired: boolean): Promise<void> {
    const draft = pending.value;
    const hosts = useHostsStore();
    if (draft === null || !hosts.bothConnected) return;
    const picked = hosts.targets.map((h) => endpointId(h));
    if (!picked.every((id, i) => draft.servers[i] === id)) return;
    pending.value = null;
    await resumeFrom(draft, paired);
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
      else if (step > at('install') && (await agentsAnswer())) install.state = 'done';
    } else if (step > at('install') && (await agentsAnswer())) {
      install.state = 'done';
    }

    // The Pair screen's choices, over a fresh proposal from the servers as they are now.
    if (draft.pair !== undefined && step >= at('pair')) {
      await pair.propose(hosts.sessionIds ?? undefined);
      if (pair.proposal !== null) {
        restorePair(draft.pair);
        // A witness chosen before is checked again from both servers (it changes nothing).
        if (draft.pair.witnessMode !== null && draft.pair.witnessMode !== 'none')
          void useWitnessStore().check();
      }
    }

    // The pairing the Review screen followed: still running, ended, or gone with the engine.
    let landing = draft.step;
    const known =
      draft.applyJobId !== undefined && step >= at('apply')
        ? await client.call('job', { jobId: draft.applyJobId }).then(
            () => true,
            () => false,
          )
        : false;
    if (known && draft.applyJobId !== undefined) {
      void apply.follow(draft.applyJobId, pair.config ?? undefined);
    } else if (step >= at('apply') && paired && pair.config !== null && draft.applyJobId !== undefined) {
      // Paired by this walk, then Twinlock was closed (the job went with it): the pair as applied here.
      apply.applied = pair.config;
      landing = 'done';
    }

    wizard.resumeAt(landing);
    resumed.value = landing;
  }

  /** Both agents answer (the install that ran before Twinlock was closed finished). */
  async function agentsAnswer(): Promise<boolean> {
    const ids = useHostsStore().sessionIds;
    if (ids === null) return false;
    const client = useApiClient();
    return Promise.all(ids.map((sessionId) => client.call('status', { sessionId }))).then(
      () => true,
      () => false,
    );
  }

  /** Forgets the draft (nothing to resume). */
  async function forget(): Promise<void> {
    last = '';
    await useApiClient().call('saveWizardDraft', { draft: null });
  }

  return { saving, resumed, pending, snapshot, save, follow, resume, takePending, forget };
});
