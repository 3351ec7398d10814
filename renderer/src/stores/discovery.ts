/** Discover: what to scan, what was found, and the two servers the admin picked. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type {
  DiscoveredHost,
  DiscoverySuggestions,
  JobSnapshotOf,
  ScanCounts,
  TwinlockErrorData,
} from '../../../engine/api';
import { useApiClient } from '../api/client';
import { detailString, toUiError } from '../api/errors';
import { followJob, requestCancel } from '../api/follow-job';
import type { JobFollower } from '../api/follow-job';
import type { IoState } from './io-state';
import {
  DEFAULT_SCAN_PORTS,
  PORT_RANGE_MESSAGE,
  endpointId,
  hostNameProblem,
  parsePort,
  parsePorts,
} from '../../../engine/api/rules';

/** A problem with the typed targets, shown under the box: the bad token and a valid example. */
export interface TargetsProblem {
  message: string;
  /** The token the engine could not read, when it named one. */
  token: string | null;
  hint: string | null;
  /** The range was too large: the "Allow more than 65,536 addresses" option can lift the limit. */
  tooLarge: boolean;
}

/** How many ports the engine probes when none are typed (SSH, WinRM over HTTP and HTTPS, SMB, RDP). */
export const DEFAULT_PORT_COUNT = DEFAULT_SCAN_PORTS.length;

/** Typing pauses this long before the targets are checked. */
const CHECK_DELAY_MS = 250;

function isTargetsError(error: TwinlockErrorData): boolean {
  return error.code === 'invalid-input' && detailString(error, 'field') === 'targets';
}

export const useDiscoveryStore = defineStore('discovery', () => {
  const suggestions = ref<DiscoverySuggestions | null>(null);
  const suggestionsState = ref<IoState>('idle');
  const targets = ref('');

  const scanState = ref<IoState>('idle');
  const scanJob = ref<JobSnapshotOf<'scan'> | null>(null);
  const scanError = ref<TwinlockErrorData | null>(null);
  let follower: JobFollower<'scan'> | null = null;

  /** Ports to probe, as typed; empty means the engine's defaults (SSH, WinRM, SMB, RDP). */
  const portsText = ref('');
  /** The admin explicitly allows a scan of more than 65,536 addresses. */
  const allowLarge = ref(false);
  const portsProblem = computed(() => {
    const parsed = parsePorts(portsText.value);
    return typeof parsed === 'string' ? parsed : null;
  });

  const added = ref<DiscoveredHost[]>([]);
  const selected = ref<string[]>([]);

  /** The engine's reading of the targets as typed: how many addresses, or what is wrong. */
  const targetsCount = ref<number | null>(null);
  const checkError = ref<TwinlockErrorData | null>(null);
  let checkSeq = 0;
  let checkTimer: ReturnType<typeof setTimeout> | undefined;

  /** Asks the engine about the text a moment after typing stops; a late answer to older text is dropped. */
  function checkSoon(delayMs = CHECK_DELAY_MS): void {
    clearTimeout(checkTimer);
    const seq = ++checkSeq;
    checkTimer = setTimeout(() => {
      void useApiClient()
        .call('checkTargets', { targets: targets.value, ...(allowLarge.value ? { allowLarge: true } : {}) })
        .then(
          (result) => {
            if (seq !== checkSeq) return;
            targetsCount.value = result.count;
            checkError.value = null;
          },
          (err: unknown) => {
            if (seq !== checkSeq) return;
            targetsCount.value = null;
            const error = toUiError(err, 'checking the targets');
            // Only a problem with the text is shown as you type; a lost connection shows when scanning.
            checkError.value = isTargetsError(error) ? error : null;
          },
        );
    }, delayMs);
  }

  /** The engine refused the targets, as typed or when scanning: shown inline, under the box. */
  const targetsProblem = computed<TargetsProblem | null>(() => {
    const error = [checkError.value, scanError.value].find((e) => e !== null && isTargetsError(e));
    if (!error) return null;
    return {
      message: error.message.replace(/^targets:\s*/, ''),
      token: detailString(error, 'token'),
      hint: error.hint ?? null,
      tooLarge: error.detail?.tooLarge === true,
    };
  });
  watch([targets, allowLarge], () => {
    targetsCount.value = null;
    if (scanError.value !== null && isTargetsError(scanError.value)) {
      scanError.value = null;
      scanState.value = 'idle';
    }
    checkSoon();
  });

  /** Probed / total / found, when the engine counts; null before the first count. */
  const counts = computed<ScanCounts | null>(() => scanJob.value?.counts ?? null);

  /** Hosts added by hand, which nothing has checked yet. */
  const addedKeys = computed(() => new Set(added.value.map(endpointId)));

  /** Every host known: scan results, then the lab's, then those added by hand; no duplicates. */
  const hosts = computed<DiscoveredHost[]>(() => {
    const byKey = new Map<string, DiscoveredHost>();
    for (const host of [
      // A scan's answer is fresher (banner, services, round trip) than the lab's own listing.
      ...(scanJob.value?.result ?? []),
      ...(suggestions.value?.hosts ?? []),
      ...added.value,
    ]) {
      if (!byKey.has(endpointId(host))) byKey.set(endpointId(host), host);
    }
    return [...byKey.values()];
  });

  /** The picked hosts, in the order picked: the first becomes the primary. */
  const selectedHosts = computed<DiscoveredHost[]>(() =>
    selected.value
      .map((key) => hosts.value.find((h) => endpointId(h) === key))
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
    const ports = parsePorts(portsText.value);
    if (typeof ports === 'string') return;
    scanError.value = null;
    scanState.value = 'running';
    scanJob.value = null;
    try {
      const client = useApiClient();
      const ref_ = await client.call('scan', {
        targets: targets.value,
        ...(ports.length > 0 ? { ports } : {}),
        ...(allowLarge.value ? { allowLarge: true } : {}),
      });
      follower = followJob<'scan'>(client, ref_.jobId, (snapshot) => {
        scanJob.value = snapshot;
      });
      const final = await follower.done;
      if (final.state === 'failed' && final.error) {
        scanError.value = toUiError(final.error);
        scanState.value = 'error';
      } else if (final.state === 'cancelled') {
        // The hosts found before the cancel stay listed: they are real answers.
        scanState.value = 'idle';
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
    scanError.value = (await requestCancel(useApiClient(), id, 'cancelling the scan')) ?? scanError.value;
  }

  /** Adds a server by name or address; returns a sentence when the input cannot be one. */
  function addHost(address: string, port: number | string = 22): string | null {
    // The engine's rule: taken as typed, so a space around the address is refused, not trimmed.
    const addressProblem = hostNameProblem(address);
    if (addressProblem !== null) return addressProblem;
    // The port as typed: never clamped to the range, so 70000 is refused rather than turned into 65535.
    const portText = String(port).trim();
    const portNumber = parsePort(portText);
    if (portNumber === null) {
      return portText === ''
        ? 'Enter the SSH port: 22 unless the server was set up with another.'
        : `“${portText}” is not an SSH port. ${PORT_RANGE_MESSAGE} SSH listens on 22 unless the server was set up with another.`;
    }
    const host: DiscoveredHost = {
      address,
      port: portNumber,
      name: null,
      kind: 'unknown',
      banner: null,
      openPorts: [],
      rttMs: null,
      reason: 'Added by hand: Twinlock checks it when it connects.',
    };
    const key = endpointId(host);
    if (!hosts.value.some((h) => endpointId(h) === key)) added.value.push(host);
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
    const key = endpointId(host);
    if (!hosts.value.some((h) => endpointId(h) === key)) added.value.push(host);
    if (!selected.value.includes(key) && selected.value.length < 2) selected.value.push(key);
  }

  /** True for a host Twinlock can connect to: ready, or added by hand (Connect checks it). */
  function isPickable(host: DiscoveredHost): boolean {
    return host.kind === 'windows-ssh' || addedKeys.value.has(endpointId(host));
  }

  /** Picks or unpicks a host; a third pick is refused until one is unpicked. */
  function toggle(key: string): void {
    if (selected.value.includes(key)) {
      selected.value = selected.value.filter((k) => k !== key);
    } else if (selected.value.length < 2) {
      selected.value = [...selected.value, key];
    }
  }

  return {
    suggestions,
    suggestionsState,
    targets,
    scanState,
    scanJob,
    scanError,
    targetsProblem,
    targetsCount,
    counts,
    portsText,
    portsProblem,
    allowLarge,
    addedKeys,
    isPickable,
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
  };
});
