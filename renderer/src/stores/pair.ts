/** Pair: the proposed configuration, edited by the admin before it is applied. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  Bundle,
  PairConfig,
  PairProposal,
  ProtectionLevel,
  SyncLink,
  TwinlockErrorData,
  Witness,
} from '../../../engine/api';
import { assertNever, pairNameProblem } from '../../../engine/api/rules';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';
import { useVerifyStore } from './verify';

/** How the pair breaks ties: a third server, a file share, or nothing (not advised). */
export type WitnessMode = Witness['kind'] | 'none';

/** What the page says after File › Export bundle… (desktop): a plain message. */
export interface MenuNotice {
  type: 'info' | 'success' | 'error';
  title: string;
  text: string;
}

export const usePairStore = defineStore('pair', () => {
  const hosts = useHostsStore();
  const verify = useVerifyStore();
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  const proposal = ref<PairProposal | null>(null);
  /** The proposal was made for these sessions. */
  const proposedFor = ref<string | null>(null);

  const name = ref('');
  const level = ref<ProtectionLevel>(3);
  const links = ref<SyncLink[]>([]);
  const witnessMode = ref<WitnessMode>('host');
  /** One address per kind: a server name typed for “Third server” is no UNC path for “File share”. */
  const witnessAddresses = ref<Record<Witness['kind'], string>>({ host: '', 'file-share': '' });
  const witnessAddress = computed<string>({
    get: () => (witnessMode.value === 'none' ? '' : witnessAddresses.value[witnessMode.value]),
    set: (value) => {
      if (witnessMode.value !== 'none') witnessAddresses.value[witnessMode.value] = value;
    },
  });
  /** The admin read the warning and accepts running without a witness. */
  const noWitnessAccepted = ref(false);
  const vms = ref<string[]>([]);

  /** Sentences for whatever keeps the configuration from being applied. */
  const problems = computed<string[]>(() => {
    const out: string[] = [];
    // The engine's rule: the name is used exactly as typed, so a space at either end is refused, not trimmed.
    const nameProblem = pairNameProblem(name.value);
    if (nameProblem !== null) out.push(nameProblem);
    if (links.value.length === 0) out.push('At least one sync link is needed.');
    if (witnessMode.value !== 'none' && witnessAddress.value.trim() === '') {
      out.push(
        witnessMode.value === 'host'
          ? 'Enter the witness server’s name or address.'
          : 'Enter the witness share’s path, like \\\\files\\twinlock.',
      );
    } else if (witnessMode.value !== 'none' && witnessAddress.value !== witnessAddress.value.trim()) {
      out.push('The witness address starts or ends with a space: remove it.');
    }
    if (witnessMode.value === 'none' && !noWitnessAccepted.value) {
      out.push('Confirm that you accept running without a witness, or choose one.');
    }
    return out;
  });

  /** The configuration to apply, once it is complete. */
  const config = computed<PairConfig | null>(() => {
    const p = proposal.value;
    if (p === null || problems.value.length > 0) return null;
    return {
      name: name.value,
      level: level.value,
      primary: p.config.primary,
      secondary: p.config.secondary,
      links: links.value.map((l) => ({ ...l })),
      witness:
        witnessMode.value === 'none' ? null : { kind: witnessMode.value, address: witnessAddress.value },
      vms: [...vms.value],
    };
  });

  const canContinue = computed(() => config.value !== null);

  async function propose(): Promise<void> {
    const ids = hosts.sessionIds;
    if (ids === null || state.value === 'running') return;
    const key = `${ids[0]}|${ids[1]}`;
    if (proposedFor.value === key && proposal.value !== null) return;
    state.value = 'running';
    error.value = null;
    try {
      const result = await useApiClient().call('proposePair', { primary: ids[0], secondary: ids[1] });
      proposal.value = result;
      proposedFor.value = key;
      name.value = result.config.name;
      // The level the servers were verified for is the one the admin chose.
      level.value = verify.report?.level ?? result.config.level;
      links.value = result.config.links.map((l) => ({ ...l }));
      witnessMode.value = result.config.witness?.kind ?? 'host';
      witnessAddresses.value = { host: '', 'file-share': '' };
      if (result.config.witness)
        witnessAddresses.value[result.config.witness.kind] = result.config.witness.address;
      vms.value = [...result.config.vms];
      state.value = 'done';
    } catch (err) {
      error.value = toUiError(err, 'the pair proposal');
      state.value = 'error';
    }
  }

  /**
   * Takes a bundle's settings over the proposal: name, level, witness, VMs; sync links keep the
   * bundle's adapters where these servers have them, with these servers' addresses (as
   * `twinlock apply` does). Returns what could not be taken over, in sentences.
   */
  function fromBundle(bundle: Bundle): string[] {
    const notes: string[] = [];
    const p = proposal.value;
    name.value = bundle.pair.name;
    level.value = bundle.pair.level;
    if (bundle.pair.witness) {
      witnessMode.value = bundle.pair.witness.kind;
      witnessAddresses.value[bundle.pair.witness.kind] = bundle.pair.witness.address;
    } else {
      // Running without a witness is confirmed here, by this admin, never inherited.
      witnessMode.value = 'none';
      noWitnessAccepted.value = false;
    }
    if (p !== null) {
      const available = new Set(p.vms.map((v) => v.name));
      const missing = bundle.pair.vms.filter((vm) => !available.has(vm));
      if (missing.length > 0)
        notes.push(`This primary has no VM named ${missing.join(', ')}; those are left out.`);
      vms.value = bundle.pair.vms.filter((vm) => available.has(vm));
      const kept = p.config.links.filter((l) => bundle.pair.links.some((b) => b.localNic === l.localNic));
      if (kept.length > 0) links.value = kept.map((l) => ({ ...l }));
      else notes.push('These servers lack the bundle’s sync-link adapters; the proposed links are kept.');
    } else {
      vms.value = [...bundle.pair.vms];
    }
    return notes;
  }

  function addLink(): void {
    const [left, right] = proposal.value?.nics ?? [[], []];
    const used = new Set(links.value.map((l) => l.localNic));
    const nic = left.find((n) => !used.has(n.name)) ?? left[0];
    const peer = right.find((n) => n.name === nic?.name) ?? right[0];
    const n = links.value.length + 1;
    links.value.push({
      localNic: nic?.name ?? '',
      remoteNic: peer?.name ?? '',
      localAddress: `169.254.${10 + n}.1`,
      remoteAddress: `169.254.${10 + n}.2`,
    });
  }

  function removeLink(index: number): void {
    links.value.splice(index, 1);
  }

  /** The answer to File › Export bundle…, until the admin closes it. */
  const menuNotice = ref<MenuNotice | null>(null);
  let exporting = false;

  /** File › Export bundle… (desktop): asks where, then writes this configuration's bundle there. */
  async function exportFromMenu(): Promise<void> {
    const save = useApiClient().saveBundleAs;
    if (save === undefined || exporting) return;
    const current = config.value;
    if (current === null) {
      menuNotice.value =
        proposal.value === null
          ? {
              type: 'info',
              title: 'There is no pair to export yet.',
              text: 'Walk the wizard up to Pair; the bundle holds the pair’s configuration.',
            }
          : {
              type: 'info',
              title: 'The pair’s configuration is not complete yet.',
              text: problems.value[0] ?? 'Check every field on the Pair step.',
            };
      return;
    }
    exporting = true;
    try {
      const result = await save(current);
      if (result !== null)
        menuNotice.value = { type: 'success', title: 'Bundle exported.', text: result.path };
    } catch (err) {
      const e = toUiError(err, 'the bundle export');
      menuNotice.value = { type: 'error', title: e.message, text: e.hint ?? '' };
    } finally {
      exporting = false;
    }
  }

  /**
   * Answers the desktop menu's commands; returns a function that stops (nothing to follow in a
   * browser). `openBundle` takes a bundle the admin opened with Twinlock (the bundle store's).
   */
  function followMenu(handlers: { openBundle?: () => Promise<void> } = {}): () => void {
    const stop = useApiClient().onMenu?.((command) => {
      switch (command) {
        case 'export-bundle':
          void exportFromMenu();
          return;
        case 'open-bundle':
          void handlers.openBundle?.();
          return;
        default:
          assertNever(command);
      }
    });
    return stop ?? (() => undefined);
  }

  function dismissMenuNotice(): void {
    menuNotice.value = null;
  }

  return {
    state,
    error,
    proposal,
    name,
    level,
    links,
    witnessMode,
    witnessAddress,
    noWitnessAccepted,
    vms,
    problems,
    config,
    canContinue,
    propose,
    fromBundle,
    addLink,
    removeLink,
    menuNotice,
    exportFromMenu,
    followMenu,
    dismissMenuNotice,
  };
});
