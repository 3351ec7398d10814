/**
 * An installation or a pairing interrupted by a crash or a closed window: offered at start,
 * resumed with the password or private key when its connections must be opened again, or
 * discarded.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import type { PairConfig, ResumableJob, TwinlockErrorData } from '../../../engine/api';
import { endpointId } from '../../../engine/api/rules';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { useApplyStore } from './apply';
import { useDiscoveryStore } from './discovery';
import { useDraftStore } from './draft';
import { emptyAccount, secretOf, useHostsStore } from './hosts';
import type { Credentials } from './hosts';
import { useInstallStore } from './install';
import type { IoState } from './io-state';
import { useWizardStore } from './wizard';

/**
 * A Level 1 pairing with a cloud witness it has not set yet needs the storage account's access
 * key again: Twinlock never stores it.
 */
export function needsCloudWitnessKey(job: ResumableJob | null): boolean {
  const pair = job?.kind === 'pair' ? job.pair : undefined;
  if (pair === undefined || pair.level !== 1 || pair.witness?.kind !== 'cloud') return false;
  return job?.hosts[0]?.completed.includes('primary/quorum') !== true;
}

/** An installation's steps, in words. */
const INSTALL_WORDS: Record<string, string> = {
  upload: 'package uploaded',
  verify: 'package checked',
  msiexec: 'agent installed',
  reboot: 'restarted',
  health: 'service healthy',
  feature: 'Failover Clustering enabled',
};

/** A pairing's steps (the agent's, at Levels 2 and 3), in words. */
const PAIR_WORDS: Record<string, string> = {
  links: 'sync links tested',
  'create-sent': 'creating the pair (not confirmed)',
  create: 'pair created',
  'join-sent': 'joining the pair (not confirmed)',
  join: 'joined the pair',
  protect: 'VMs protected',
  protected: 'reported protected',
  undo: 'undo started',
};

/** A Level 1 pairing's steps (the plan's, on the failover cluster), in words. */
const CLUSTER_WORDS: Record<string, string> = {
  cluster: 'failover cluster made',
  quorum: 'witness set',
  wait: 'VM roles online',
};

const plural = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);

/** What one server had done of an interrupted job, in words, in the order it did them. */
export function doneWords(job: ResumableJob, completed: readonly string[]): string[] {
  if (job.kind === 'install') return completed.map((s) => INSTALL_WORDS[s] ?? s);
  // Steps of one kind (link addresses, VMs protected, cluster roles) are said once, where the first was.
  const group = (step: string): 'address' | 'removed' | 'vm' | 'role' | null => {
    if (step.startsWith('address-removed:')) return 'removed';
    if (step.startsWith('address:') || /^(primary|secondary)\/address\//.test(step)) return 'address';
    if (step.startsWith('protect:')) return 'vm';
    if (step.startsWith('primary/role/')) return 'role';
    return null;
  };
  const of = (g: string) => completed.filter((s) => group(s) === g);
  const vms = of('vm').map((s) => s.slice('protect:'.length));
  const groupWords: Record<string, string> = {
    address: `${plural(of('address').length, 'sync link address', 'sync link addresses')} set`,
    removed: `${plural(of('removed').length, 'address', 'addresses')} removed again`,
    vm: `${vms.join(', ')} protected`,
    role: `${plural(of('role').length, 'VM', 'VMs')} made cluster roles`,
  };
  const said = new Set<string>();
  const words: string[] = [];
  for (const step of completed) {
    const g = group(step);
    if (g !== null) {
      if (!said.has(g)) words.push(groupWords[g]!);
      said.add(g);
      continue;
    }
    // A call announced (`*-sent`) and confirmed is said once, as done; `protect` sums up the VMs.
    if (step.endsWith('-sent') && completed.includes(step.slice(0, -'-sent'.length))) continue;
    if (step === 'protect' && vms.length > 0) continue;
    const cluster = /^(?:primary|secondary)\/(.+)$/.exec(step)?.[1];
    words.push(cluster !== undefined ? (CLUSTER_WORDS[cluster] ?? cluster) : (PAIR_WORDS[step] ?? step));
  }
  return words;
}

export const useJobResumeStore = defineStore('job-resume', () => {
  const jobs = ref<ResumableJob[]>([]);
  const state = ref<IoState>('idle');
  const error = ref<TwinlockErrorData | null>(null);
  /** How to log on again when the servers' connections must be reopened; memory only. */
  const account = reactive<Credentials>(emptyAccount());
  /** A Level 1 pairing's cloud witness access key, when it has still to be set; memory only. */
  const cloudWitnessKey = ref('');
  const dismissed = ref<string[]>([]);

  /** The interrupted job to offer: the most recent installation or pairing not dismissed. */
  const offered = computed<ResumableJob | null>(
    () =>
      [...jobs.value]
        .filter((j) => !dismissed.value.includes(j.jobId))
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0] ?? null,
  );

  const needsKey = computed(() => needsCloudWitnessKey(offered.value));

  /** Asks the engine for interrupted installations and pairings (once, at start). */
  async function load(): Promise<void> {
    try {
      jobs.value = await useApiClient().call('resumableJobs', {});
    } catch {
      // Resuming is a convenience: starting over detects and skips what is already done.
      jobs.value = [];
    }
  }

  /** What stops the offered job from being resumed as entered, in a sentence; null when nothing. */
  function missingInput(job: ResumableJob): TwinlockErrorData | null {
    const missing = account.method === 'password' ? account.password === '' : account.privateKey === null;
    if (job.needsPassword && missing) {
      const user = job.hosts[0]?.username ?? 'the administrator';
      return {
        code: 'invalid-input',
        message:
          account.method === 'password'
            ? `Enter the password of ${user} to reconnect to the servers.`
            : `Choose the private key ${user} logs on with, to reconnect to the servers.`,
        hint: 'Twinlock keeps passwords and keys in memory only, so it needs them again after a restart.',
      };
    }
    if (needsCloudWitnessKey(job) && cloudWitnessKey.value.trim() === '') {
      return {
        code: 'invalid-input',
        message: `Enter the access key of storage account ${job.pair?.witness?.address ?? ''}: the cluster still has to be given its cloud witness.`,
        hint: 'Twinlock never stores the key; find it in the Azure portal under the storage account’s Access keys.',
      };
    }
    return null;
  }

  /** Resumes the offered job and shows it: an installation on Install, a pairing on Review. */
  async function resume(): Promise<void> {
    const job = offered.value;
    if (job === null || state.value === 'running') return;
    const missing = missingInput(job);
    if (missing !== null) {
      error.value = missing;
      return;
    }
    state.value = 'running';
    error.value = null;
    const client = useApiClient();
    try {
      const key = needsCloudWitnessKey(job) ? { cloudWitnessKey: cloudWitnessKey.value.trim() } : {};
      const ref_ = await client.call('resumeJob', {
        jobId: job.jobId,
        ...(job.needsPassword ? secretOf(account) : {}),
        ...key,
      });
      Object.assign(account, emptyAccount());
      cloudWitnessKey.value = '';
      jobs.value = jobs.value.filter((j) => j.jobId !== job.jobId);
      state.value = 'done';
      // The engine reopened both sessions: pick them up (the primary first), then watch the job.
      const order = job.hosts.map((h) => endpointId(h));
      takeOver(order);
      await useHostsStore().restore(order);
      if (job.kind === 'install') {
        useWizardStore().resumeAt('install');
        void useInstallStore().follow(ref_.jobId);
        return;
      }
      // The walk began in the window that was closed: how long it took is not known here.
      useHostsStore().startedAt = null;
      const config = await configOf(job);
      void useApplyStore().follow(ref_.jobId, config, { resumed: true });
      useWizardStore().resumeAt('apply');
    } catch (err) {
      error.value = toUiError(
        err,
        job.kind === 'pair' ? 'resuming the pairing' : 'resuming the installation',
      );
      state.value = 'error';
    }
  }

  /**
   * The resumed job's servers are the wizard's from now on. A draft from before Twinlock was
   * closed may have picked them already, waiting on Connect to go on at its own step: the job
   * resumed supersedes it (its step would leave the job's screen), and the picks are made again
   * from the sessions, the primary first. Picks of other servers are left as they are.
   */
  function takeOver(order: readonly string[]): void {
    const discovery = useDiscoveryStore();
    if (discovery.selected.every((key) => order.includes(key))) discovery.selected = [];
    useDraftStore().pending = null;
  }

  /**
   * The configuration the resumed pairing makes, on the sessions the engine reopened (what the
   * last screen's bundle exports); undefined when they cannot be told apart.
   */
  async function configOf(job: ResumableJob): Promise<PairConfig | undefined> {
    if (job.pair === undefined) return undefined;
    const open = await useApiClient()
      .call('sessions', {})
      .catch(() => []);
    const ids = job.hosts.map((h) => open.find((s) => endpointId(s) === endpointId(h))?.sessionId ?? null);
    const [primary, secondary] = ids;
    if (primary == null || secondary == null) return undefined;
    return { ...job.pair, primary, secondary };
  }

  /** Forgets the interrupted job (the admin chose not to resume it). */
  async function discard(): Promise<void> {
    const job = offered.value;
    if (job === null || state.value === 'running') return;
    try {
      await useApiClient().call('discardJob', { jobId: job.jobId });
      jobs.value = jobs.value.filter((j) => j.jobId !== job.jobId);
      error.value = null;
    } catch (err) {
      error.value = toUiError(
        err,
        job.kind === 'pair'
          ? 'discarding the interrupted pairing'
          : 'discarding the interrupted installation',
      );
    }
  }

  /** Not now: keep the journal for next time, but stop asking in this window. */
  function later(): void {
    if (offered.value) dismissed.value = [...dismissed.value, offered.value.jobId];
    error.value = null;
  }

  return { jobs, state, error, account, cloudWitnessKey, offered, needsKey, load, resume, discard, later };
});
