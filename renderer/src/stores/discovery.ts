/** Discover: what to scan, what was found, and the two servers the admin picked. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type {
  DiscoveredHost,
  DiscoverySuggestions,
  JobSnapshotOf,
  TwinlockErrorData,
} from '../../../engine/api';
import { useApiClient } from '../api/client';
import { toUiError } from '../api/errors';
import { followJob } from '../api/follow-job';
import type { JobFollower } from '../api/follow-job';
import type { IoState } from './io-state';

/** The key of a host in lists and selections. */
export function hostKey(host: Pick<DiscoveredHost, 'address' | 'port'>): string {
  return `${host.address}:${host.port}`;
}

/** Mirrors the engine's rule for an address, so a typo is caught before anything is sent. */
const ADDRESS = /^[A-Za-z0-9.:_\-[\]%]+$/;

export const useDiscoveryStore = defineStore('discovery', () => {
  const suggestions = ref<DiscoverySuggestions | null>(null);
  const suggestionsState = ref<IoState>('idle');
  const targets = ref('');

  const scanState = ref<IoState>('idle');
  const scanJob = ref<JobSnapshotOf<'scan'> | null>(null);
  const scanError = ref<TwinlockErrorData | null>(null);
  let follower: JobFollower<'scan'> | null = null;

  const added = ref<DiscoveredHost[]>([]);
  const selected = ref<string[]>([]);

  /** Every host known: the lab's, then scan results, then those added by hand; no duplicates. */
  const hosts = computed<DiscoveredHost[]>(() => {
    const byKey = new Map<string, DiscoveredHost>();
    for (const host of [
      ...(suggestions.value?.hosts ?? []),
      ...(scanJob.value?.result ?? []),
      ...added.value,
    ]) {
      if (!byKey.has(hostKey(host))) byKey.set(hostKey(host), host);
    }
    return [...byKey.values()];
  });

  /** The picked hosts, in the order picked: the first becomes the primary. */
  const selectedHosts = computed<DiscoveredHost[]>(() =>
    selected.value
      .map((key) => hosts.value.find((h) => hostKey(h) === key))
      .filter((h): h is DiscoveredHost => h !== undefined),
  );

  const canContinue = computed(() => selectedHosts.value.length === 2);

  async function loadSuggestions(): Promise<void> {
    if (suggestionsState.value === 'running' || suggestionsState.value === 'done') return;
    suggestionsState.value = 'running';
    try {
      suggestions.value = await useApiClient().call('suggestions', {});
      if (targets.value === '') targets.value = suggestions.value.targets;
      suggestionsState.value = 'done';
    } catch {
      // Suggestions are a convenience: the admin can still type targets.
      suggestionsState.value = 'error';
    }
  }

  async function scan(): Promise<void> {
    if (scanState.value === 'running') return;
    scanError.value = null;
    scanState.value = 'running';
    scanJob.value = null;
    try {
      const client = useApiClient();
      const ref_ = await client.call('scan', { targets: targets.value });
      follower = followJob<'scan'>(client, ref_.jobId, (snapshot) => {
        scanJob.value = snapshot;
      });
      const final = await follower.done;
      if (final.state === 'failed' && final.error) {
        scanError.value = toUiError(final.error);
        scanState.value = 'error';
      } else {
        scanState.value = 'done';
      }
    } catch (err) {
      scanError.value = toUiError(err, 'the scan');
      scanState.value = 'error';
    } finally {
      follower = null;
    }
  }

  async function cancelScan(): Promise<void> {
    const id = scanJob.value?.id;
    if (id === undefined || scanState.value !== 'running') return;
    try {
      await useApiClient().call('cancelJob', { jobId: id });
    } catch (err) {
      scanError.value = toUiError(err, 'cancelling the scan');
    }
  }

  /** Adds a server by name or address; returns a sentence when the input cannot be one. */
  function addHost(address: string, port = 22): string | null {
    const trimmed = address.trim();
    if (trimmed === '') return 'Enter the server’s name or IP address, for example 10.0.0.21.';
    if (!ADDRESS.test(trimmed) || trimmed.length > 253) {
      return 'Use a host name or an IP address, with no spaces or slashes.';
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return 'The SSH port is a number from 1 to 65535.';
    const host: DiscoveredHost = {
      address: trimmed,
      port,
      name: null,
      kind: 'unknown',
      banner: null,
      openPorts: [],
      rttMs: null,
      reason: 'Added by hand: Twinlock checks it when it connects.',
    };
    const key = hostKey(host);
    if (!hosts.value.some((h) => hostKey(h) === key)) added.value.push(host);
    if (!selected.value.includes(key) && selected.value.length < 2) selected.value.push(key);
    return null;
  }

  /** Puts back a server connected earlier in this run (after a reload), picked. */
  function restoreHost(address: string, port: number, name: string): void {
    const host: DiscoveredHost = {
      address,
      port,
      name,
      kind: 'windows-ssh',
      banner: null,
      openPorts: [port],
      rttMs: null,
      reason: 'Connected earlier in this run.',
    };
    const key = hostKey(host);
    if (!hosts.value.some((h) => hostKey(h) === key)) added.value.push(host);
    if (!selected.value.includes(key) && selected.value.length < 2) selected.value.push(key);
  }

  /** Picks or unpicks a host; a third pick is refused until one is unpicked. */
  function toggle(key: string): void {
    if (selected.value.includes(key)) {
      selected.value = selected.value.filter((k) => k !== key);
    } else if (selected.value.length < 2) {
      selected.value = [...selected.value, key];
    }
  }

  function setSelected(keys: string[]): void {
    selected.value = keys.slice(0, 2);
  }

  return {
    suggestions,
    suggestionsState,
    targets,
    scanState,
    scanJob,
    scanError,
    hosts,
    selected,
    selectedHosts,
    canContinue,
    loadSuggestions,
    scan,
    cancelScan,
    addHost,
    restoreHost,
    toggle,
    setSelected,
  };
});
