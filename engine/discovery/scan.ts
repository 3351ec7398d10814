/**
 * The scanner: TCP connect probes on the ports that tell a Windows server apart (SSH, WinRM, SMB,
 * RDP and any extra port), the SSH identification line, reverse DNS, all with short timeouts and
 * bounded concurrency, walking the targets lazily so that a /16 costs little memory. Hosts stream
 * out as found; a cancel or the overall deadline destroys every socket still open.
 */
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { TwinlockError } from '../api/errors';
import type { ScanCounts } from '../api/jobs';
import type { DiscoveredHost, ScanRequest } from '../api/models';
import type { JobContext } from '../jobs/types';
import { HostTable, classify, sshCandidate, unresolvedReason } from './classify';
import { createPacer } from './pace';
import type { PaceOptions } from './pace';
import { probePort } from './probe';
import type { PortProbe } from './probe';
import { systemResolver } from './resolve';
import type { NameResolver } from './resolve';
import type { ScanTarget, TargetPlan } from './targets';
import { DEFAULT_SCAN_PORTS } from '../api/rules';
import { formatCount } from '../api/format';

/** Per-probe connect timeout: a LAN answers in milliseconds; a dead address never does. */
export const DEFAULT_TIMEOUT_MS = 1000;
/** Sockets open at once. */
export const DEFAULT_CONCURRENCY = 1024;
/** The whole scan stops after this long and reports what it found. */
export const DEFAULT_DEADLINE_MS = 10 * 60_000;
/** An SSH server sends its identification line at once; waiting longer only slows the scan. */
export const BANNER_TIMEOUT_MS = 1500;
/** Reverse and forward DNS. */
export const DNS_TIMEOUT_MS = 1500;

/** Ports that speak first only if they are SSH; the others (SMB, RDP, WinRM) wait for the client. */
const CLIENT_FIRST = new Set([445, 3389, 5985, 5986]);

export interface ScanOptions {
  ports?: readonly number[];
  timeoutMs?: number;
  concurrency?: number;
  deadlineMs?: number;
  /** Wait for the SSH identification line (default min(timeout, 1500 ms)). */
  bannerMs?: number;
  /** Stops the scan (a cancel): every socket is destroyed and the promise rejects `cancelled`. */
  signal?: AbortSignal;
  /** How hosts are started (see pace.ts). */
  pace?: PaceOptions;
  /** Connect once more, on a quiet event loop, to each host found, for its true round trip (default true). */
  refineRtt?: boolean;
  /** Names and addresses (the system's resolver by default). */
  resolver?: NameResolver;
  /** A name Twinlock already knows for an endpoint (the lab's hosts), before reverse DNS. */
  knownName?: (address: string, port: number) => string | null;
  /** Each host as found (or updated by a merge), in the order found. */
  onHost?: (host: DiscoveredHost, all: DiscoveredHost[]) => void;
  /** Counts, at most every `progressEveryMs` (default 100) and once at the end. */
  onProgress?: (counts: ScanCounts) => void;
  progressEveryMs?: number;
}

export interface ScanOutcome {
  /** Hosts found, sorted by address. */
  hosts: DiscoveredHost[];
  counts: ScanCounts;
  /** True when the overall deadline stopped the scan before every target was probed. */
  deadlineReached: boolean;
  elapsedMs: number;
}

function resolveError(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'ENOTFOUND';
}

/** Scans the targets; resolves with every host found (rejects `cancelled` when the signal aborts). */
export async function scan(plan: TargetPlan, options: ScanOptions = {}): Promise<ScanOutcome> {
  const ports =
    options.ports && options.ports.length > 0 ? [...new Set(options.ports)] : [...DEFAULT_SCAN_PORTS];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const bannerMs = options.bannerMs ?? Math.min(timeoutMs, BANNER_TIMEOUT_MS);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const resolver = options.resolver ?? systemResolver(Math.min(DNS_TIMEOUT_MS, Math.max(timeoutMs, 500)));
  const sshPort = ports.includes(22) ? 22 : ports[0]!;
  const started = performance.now();

  const sockets = new Set<Socket>();
  const stop = new AbortController();
  const pacer = createPacer(options.pace);
  let deadlineReached = false;
  const destroyAll = (): void => {
    stop.abort();
    pacer.close();
    resolver.cancel();
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const onCancel = (): void => destroyAll();
  if (options.signal?.aborted) throw cancelled();
  options.signal?.addEventListener('abort', onCancel, { once: true });
  const deadline = setTimeout(() => {
    deadlineReached = true;
    destroyAll();
  }, deadlineMs);

  const table = new HostTable();
  const total = plan.count;
  let probed = 0;
  let lastProgress = 0;
  const everyMs = options.progressEveryMs ?? 100;
  const counts = (): ScanCounts => ({ probed, total, found: table.size });
  const progress = (force = false): void => {
    const now = performance.now();
    if (!force && now - lastProgress < everyMs) return;
    lastProgress = now;
    options.onProgress?.(counts());
  };

  const withBanner = { timeoutMs, bannerMs, sockets };
  const connectOnly = { timeoutMs, bannerMs: 0, sockets };
  const probeHost = async (target: ScanTarget): Promise<DiscoveredHost | null> => {
    let address = target.address;
    const typedName = isIP(target.address.split('%')[0]!) === 0 ? target.address : null;
    const hostSshPort = target.port ?? sshPort;
    if (typedName) {
      try {
        address = await resolver.lookup(typedName);
      } catch (err) {
        if (stop.signal.aborted) return null;
        return {
          address: typedName,
          port: hostSshPort,
          name: typedName,
          kind: 'unknown',
          banner: null,
          openPorts: [],
          rttMs: null,
          reason: unresolvedReason(typedName, resolveError(err)),
        };
      }
    }
    const targetPorts = target.port !== undefined ? [target.port] : ports;
    const probes: PortProbe[] = await Promise.all(
      targetPorts.map((port) =>
        probePort(
          address,
          port,
          target.port === undefined && CLIENT_FIRST.has(port) ? connectOnly : withBanner,
          stop.signal,
        ),
      ),
    );
    if (stop.signal.aborted) return null;
    const open = probes.filter((p) => p.state === 'open');
    if (open.length === 0 && !target.explicit) return null;
    const ssh = open.find((p) => p.banner?.startsWith('SSH-'));
    const port = sshCandidate(probes, hostSshPort)?.port ?? hostSshPort;
    const { kind, reason, fix } = classify({ sshPort: port, probes, timeoutMs, bannerMs });
    let name = typedName ?? options.knownName?.(address, port) ?? null;
    if (name === null && open.length > 0) {
      try {
        name = (await resolver.reverse(address))[0] ?? null;
      } catch {
        // No PTR record, or a slow DNS server: the address alone identifies the host.
      }
    }
    // A refusal is a round trip too: the fastest answer of any port is the best estimate.
    const rtts = probes.map((p) => p.rttMs).filter((r): r is number => r !== null);
    return {
      address,
      port,
      name,
      kind,
      banner: ssh?.banner ?? null,
      openPorts: open.map((p) => p.port).sort((a, b) => a - b),
      rttMs: rtts.length > 0 ? Math.min(...rtts) : null,
      reason,
      ...(fix ? { fix } : {}),
    };
  };

  const iterator = plan[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (;;) {
      if (stop.signal.aborted) return;
      const next = iterator.next();
      if (next.done) return;
      const target = next.value;
      const done = await pacer.admit();
      if (stop.signal.aborted) return;
      const host = await probeHost(target).finally(done);
      if (stop.signal.aborted) return;
      probed++;
      if (host) {
        const merged = table.add(host);
        options.onHost?.(merged, table.list());
        progress(true);
      } else {
        progress();
      }
    }
  };
  // Each worker holds one host's probes (one socket per port) at a time.
  const perHost = Math.max(1, ports.length);
  const workers = Math.max(1, Math.min(total, Math.floor(concurrency / perHost) || 1));
  try {
    // The pacer decides how many of these workers probe at once; the rest wait for it.
    const running: Array<Promise<void>> = [];
    for (let i = 0; i < workers; i++) running.push(worker());
    await Promise.all(running);
    if (options.refineRtt !== false && !stop.signal.aborted)
      await refineRtts(table, connectOnly, stop.signal, options.onHost);
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onCancel);
    destroyAll();
  }
  if (options.signal?.aborted) throw cancelled();
  progress(true);
  return {
    hosts: table.list(),
    counts: counts(),
    deadlineReached,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Round trips measured at once, after the sweep: few enough that the event loop stays idle. */
const RTT_PARALLEL = 4;

/**
 * The sweep measures a connect from the moment it is issued to the moment its callback runs, and
 * with hundreds of sockets in flight that includes the wait for the event loop (milliseconds, on a
 * LAN that answers in a fraction of one). One more connect to an open port of each host found,
 * a few at a time, measures the network's round trip; the smaller figure is kept.
 */
async function refineRtts(
  table: HostTable,
  probe: { timeoutMs: number; bannerMs: number; sockets: Set<Socket> },
  signal: AbortSignal,
  onHost: ScanOptions['onHost'],
): Promise<void> {
  const queue = table.list().filter((h) => h.openPorts.length > 0 && isIP(h.address.split('%')[0]!) !== 0);
  const next = async (): Promise<void> => {
    for (let host = queue.shift(); host !== undefined && !signal.aborted; host = queue.shift()) {
      const port = host.openPorts.includes(host.port) ? host.port : host.openPorts[0]!;
      const measured = await probePort(host.address, port, probe, signal);
      if (
        signal.aborted ||
        measured.state !== 'open' ||
        measured.rttMs === null ||
        (host.rttMs !== null && measured.rttMs >= host.rttMs)
      )
        continue;
      const merged = table.add({ ...host, rttMs: measured.rttMs });
      onHost?.(merged, table.list());
    }
  };
  await Promise.all(Array.from({ length: RTT_PARALLEL }, next));
}

function cancelled(): TwinlockError {
  return new TwinlockError({ code: 'cancelled', message: 'The scan was cancelled.' });
}

/** Extra wiring the engine passes to a scan job. */
export interface ScanJobOptions {
  resolver?: NameResolver;
  knownName?: (address: string, port: number) => string | null;
}

/** Runs the scan as a job's work: results stream through `partial`, counts through `counts`. */
export async function runScan(
  ctx: JobContext<'scan'>,
  plan: TargetPlan,
  request: Pick<ScanRequest, 'ports' | 'timeoutMs' | 'concurrency' | 'deadlineMs'>,
  extra: ScanJobOptions = {},
): Promise<DiscoveredHost[]> {
  const total = plan.count;
  const noun = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;
  const line = (c: ScanCounts, ready: number) =>
    `Probed ${formatCount(c.probed)} of ${noun(c.total, 'address', 'addresses')}; ${noun(c.found, 'host', 'hosts')} found, ${ready} ready`;
  let ready = 0;
  ctx.progress(0, `Scanning ${noun(total, 'address', 'addresses')}`);
  ctx.counts?.({ probed: 0, total, found: 0 });
  const outcome = await scan(plan, {
    ...(request.ports ? { ports: request.ports } : {}),
    ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    ...(request.concurrency !== undefined ? { concurrency: request.concurrency } : {}),
    ...(request.deadlineMs !== undefined ? { deadlineMs: request.deadlineMs } : {}),
    ...(extra.resolver ? { resolver: extra.resolver } : {}),
    ...(extra.knownName ? { knownName: extra.knownName } : {}),
    signal: ctx.signal,
    onHost: (_host, all) => {
      ready = all.filter((h) => h.kind === 'windows-ssh').length;
      ctx.partial(all);
    },
    onProgress: (c) => {
      ctx.counts?.(c);
      ctx.progress(total === 0 ? 100 : Math.floor((c.probed / total) * 100), line(c, ready));
    },
  });
  ctx.counts?.(outcome.counts);
  ctx.progress(
    100,
    outcome.deadlineReached
      ? `Stopped at the time limit after probing ${formatCount(outcome.counts.probed)} of ${noun(total, 'address', 'addresses')}; ${noun(outcome.counts.found, 'host', 'hosts')} found, ${ready} ready`
      : line(outcome.counts, ready),
  );
  return outcome.hosts;
}
