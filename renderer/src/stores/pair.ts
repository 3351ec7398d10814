/** Pair: the proposed configuration, edited by the admin before it is applied. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type {
  Bundle,
  ClusterConfig,
  InputIssue,
  PairConfig,
  PairProposal,
  ProtectionLevel,
  SyncLink,
  TwinlockErrorData,
  Witness,
} from '../../../engine/api';
import { assertNever, pairNameProblem, parsePort, suggestClusterName } from '../../../engine/api/rules';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { LEVELS } from '../format';
import { linkProblems } from '../link-address';
import { useHostsStore } from './hosts';
import { witnessModesFor, witnessProblems } from './pair-witness';
import type { WitnessErrors, WitnessMode } from './pair-witness';
import type { IoState } from './io-state';
import { clusterProblems, useVerifyStore } from './verify';

export { witnessModesFor } from './pair-witness';
export type { WitnessMode } from './pair-witness';

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
  /** Null until the admin chooses: Twinlock never guesses a witness. */
  const witnessMode = ref<WitnessMode | null>(null);
  /** One address per kind: a server name typed for “Third server” is no UNC path for “File share”. */
  const witnessAddresses = ref<Record<Witness['kind'], string>>({
    host: '',
    'file-share': '',
    disk: '',
    cloud: '',
  });
  const witnessAddress = computed<string>({
    get: () =>
      witnessMode.value === 'none' || witnessMode.value === null
        ? ''
        : witnessAddresses.value[witnessMode.value],
    set: (value) => {
      if (witnessMode.value !== 'none' && witnessMode.value !== null)
        witnessAddresses.value[witnessMode.value] = value;
    },
  });
  /** A witness server's TCP port as typed; empty: the agent's witness port. */
  const witnessPort = ref('');
  /** The admin read the warning and accepts running without a witness. */
  const noWitnessAccepted = ref(false);
  const vms = ref<string[]>([]);

  /** Level 1: the failover cluster's name and static address, as typed. */
  const clusterName = ref('');
  const clusterAddress = ref('');
  /**
   * A cloud witness's storage account access key: held here, in memory only, for the apply; never
   * in the draft, the configuration, the plan or a log.
   */
  const cloudWitnessKey = ref('');

  // The name suggested from the pair's name follows it, until the admin types their own.
  // Synchronously, so that a draft restoring the name and then its own cluster name keeps the latter.
  watch(
    name,
    (next, previous) => {
      if (clusterName.value === suggestClusterName(previous)) clusterName.value = suggestClusterName(next);
    },
    { flush: 'sync' },
  );

  /** The cluster fields' problems at Level 1, shown beside them (none at other levels). */
  const clusterErrors = computed<{ name?: string; address?: string }>(() =>
    level.value === 1 ? clusterProblems(clusterName.value, clusterAddress.value, true) : {},
  );

  /** The cluster the pair makes (Level 1, once both fields are right). */
  const cluster = computed<ClusterConfig | undefined>(() =>
    level.value === 1 && Object.keys(clusterErrors.value).length === 0
      ? { name: clusterName.value, address: clusterAddress.value }
      : undefined,
  );

  /** The witnesses this level offers. */
  const witnessModes = computed(() => witnessModesFor(level.value));

  /** The witness as configured (null: none, or not chosen yet). */
  const witness = computed<Witness | null>(() => {
    const mode = witnessMode.value;
    if (mode === null || mode === 'none') return null;
    const port = mode === 'host' ? parsePort(witnessPort.value.trim()) : null;
    return port === null
      ? { kind: mode, address: witnessAddress.value }
      : { kind: mode, address: witnessAddress.value, port };
  });

  /** The witness fields' problems, shown beside them (`address`, `port`, a cloud witness's `key`). */
  const witnessErrors = computed<WitnessErrors>(() =>
    witnessProblems(witnessMode.value, witnessAddress.value, witnessPort.value, cloudWitnessKey.value),
  );

  /** What the engine refused in these links (plan, link measurement), while the links are as they were. */
  const engineIssues = ref<{ links: string; issues: InputIssue[] } | null>(null);

  /** Each link field's problem, by its engine name (`links.0.localAddress`): typed checks, then the engine's. */
  const fieldErrors = computed<Record<string, string>>(() => {
    const out: Record<string, string> = {};
    links.value.forEach((link, i) => {
      for (const [field, message] of Object.entries(linkProblems(link))) out[`links.${i}.${field}`] = message;
    });
    const engine = engineIssues.value;
    if (engine !== null && engine.links === JSON.stringify(links.value)) {
      for (const issue of engine.issues) {
        // The engine names a link's field (`links.0.localAddress`); a whole link's issue goes on its first address.
        const key = /^links\.\d+$/.test(issue.field) ? `${issue.field}.localAddress` : issue.field;
        out[key] ??= issue.message;
      }
    }
    return out;
  });

  /** Keeps the field-level issues of an `invalid-input` refusal, to show them beside the fields. */
  function takeEngineIssues(error: TwinlockErrorData): void {
    const issues = error.code === 'invalid-input' ? error.detail?.issues : undefined;
    if (!Array.isArray(issues)) return;
    const linkIssues = (issues as InputIssue[]).filter((i) => i.field.startsWith('links.'));
    engineIssues.value = { links: JSON.stringify(links.value), issues: linkIssues };
  }

  /**
   * Why each level cannot be chosen, or null when it can: only the levels verification passed.
   * The verification counts every level's blockers; a level it found none for is choosable.
   */
  const levelBlocked = computed<Record<ProtectionLevel, string | null>>(() => {
    const report = verify.report;
    const out: Record<ProtectionLevel, string | null> = { 1: null, 2: null, 3: null };
    const readiness = proposal.value?.levels;
    if (readiness !== undefined && readiness.length > 0) {
      for (const r of readiness) {
        if (r.ready) continue;
        const n = r.reasons.length;
        out[r.level] =
          `Verification found ${n} blocker${n === 1 ? '' : 's'}: ${r.reasons.join(' — ') || r.blockers.join(', ')}`;
      }
      return out;
    }
    if (report === null) return out;
    for (const l of [1, 2, 3] as const) {
      const blockers = report.blockersByLevel[l - 1] ?? 0;
      if (blockers > 0)
        out[l] =
          `Verification found ${blockers} blocker${blockers > 1 ? 's' : ''} for ${LEVELS[l].title.split(' · ')[0]}: see them on Verify.`;
    }
    // The verified level's own outcome is the last word on it.
    if (report.outcome === 'blocked') out[report.level] ??= 'Verification found blockers for this level.';
    return out;
  });

  /** What is wrong with the pair name as typed, shown beside the field (null when nothing). */
  const nameError = computed<string | null>(() => pairNameProblem(name.value));

  /** Sentences for whatever keeps the configuration from being applied. */
  const problems = computed<string[]>(() => {
    const out: string[] = [];
    // The engine's rule: the name is used exactly as typed, so a space at either end is refused, not trimmed.
    if (nameError.value !== null) out.push(nameError.value);
    if (links.value.length === 0) out.push('At least one sync link is needed.');
    const linkProblem = Object.keys(fieldErrors.value)[0];
    if (linkProblem !== undefined) {
      const i = Number(linkProblem.split('.')[1]);
      out.push(`Sync link ${i + 1}: ${fieldErrors.value[linkProblem]}`);
    }
    const levelProblem = levelBlocked.value[level.value];
    if (levelProblem !== null) out.push(`${LEVELS[level.value].title} cannot be chosen. ${levelProblem}`);
    for (const message of Object.values(clusterErrors.value)) out.push(message);
    if (witnessMode.value === null) {
      out.push(
        level.value === 1
          ? 'Choose the witness: a file share, a cluster disk, a cloud witness, or no witness.'
          : 'Choose the witness: a file share, a witness server, or no witness.',
      );
    } else if (!witnessModes.value.includes(witnessMode.value)) {
      out.push(
        level.value === 1
          ? 'A witness server is the agent’s; a Level 1 cluster uses a file share, a cluster disk or a cloud witness: choose one.'
          : 'A cluster disk or a cloud witness serves a Level 1 cluster; at this level choose a file share or a witness server.',
      );
    } else {
      const w = witnessErrors.value;
      if (w.address !== undefined) out.push(w.address);
      if (w.port !== undefined) out.push(w.port);
      if (w.key !== undefined) out.push(w.key);
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
      witness: witness.value,
      vms: [...vms.value],
      ...(level.value === 1 && cluster.value !== undefined ? { cluster: { ...cluster.value } } : {}),
    };
  });

  const canContinue = computed(() => config.value !== null);

  /** Proposes a configuration for the two sessions (`order`: primary first; the picked order by default). */
  async function propose(order?: [string, string]): Promise<void> {
    const ids = order ?? hosts.sessionIds;
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
      // The admin chooses the witness; an address the proposal offers is kept for when they do.
      witnessMode.value = null;
      witnessAddresses.value = { host: '', 'file-share': '', disk: '', cloud: '' };
      if (result.config.witness)
        witnessAddresses.value[result.config.witness.kind] = result.config.witness.address;
      vms.value = [...result.config.vms];
      // Level 1: the cluster Verify checked, or a name made from the pair's.
      clusterName.value = verify.clusterName || suggestClusterName(name.value);
      clusterAddress.value = verify.clusterAddress;
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

  /** Adds a link over the next unused adapters, addressed like the last link's next subnet. */
  function addLink(): void {
    const [left, right] = proposal.value?.nics ?? [[], []];
    const used = new Set(links.value.map((l) => l.localNic));
    const usedRemote = new Set(links.value.map((l) => l.remoteNic));
    const nic = left.find((n) => !used.has(n.name)) ?? left[0];
    const peer =
      right.find((n) => n.name === nic?.name && !usedRemote.has(n.name)) ??
      right.find((n) => !usedRemote.has(n.name)) ??
      right[0];
    links.value.push({
      localNic: nic?.name ?? '',
      remoteNic: peer?.name ?? '',
      ...nextAddresses(links.value),
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
    witnessAddresses,
    witnessAddress,
    witnessPort,
    witness,
    witnessErrors,
    witnessModes,
    clusterName,
    clusterAddress,
    clusterErrors,
    cluster,
    cloudWitnessKey,
    fieldErrors,
    nameError,
    takeEngineIssues,
    levelBlocked,
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

/** The subnet after the last link's (a /30 by default): 172.30.0.1/30 → 172.30.0.5 and .6. */
function nextAddresses(links: SyncLink[]): Pick<SyncLink, 'localAddress' | 'remoteAddress' | 'prefixLength'> {
  const last = links[links.length - 1];
  const prefix = last?.prefixLength ?? 30;
  const parts = last?.localAddress.split('.').map(Number) ?? [];
  if (
    parts.length === 4 &&
    parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) &&
    prefix >= 8 &&
    prefix <= 30
  ) {
    const size = 2 ** (32 - prefix);
    const value = parts.reduce((acc, p) => acc * 256 + p, 0);
    const base = Math.floor(value / size) * size + size;
    if (base + size <= 2 ** 32) {
      const text = (v: number) => [24, 16, 8, 0].map((shift) => Math.floor(v / 2 ** shift) % 256).join('.');
      return { localAddress: text(base + 1), remoteAddress: text(base + 2), prefixLength: prefix };
    }
  }
  return { localAddress: '172.30.0.1', remoteAddress: '172.30.0.2', prefixLength: 30 };
}
