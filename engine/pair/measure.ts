/**
 * Sync links measured by Twinlock itself, before pairing: for each link and each direction, the
 * `measure-link` script listens on one server's link address and sends from the other's (two SSH
 * channels at once), then the roles swap. Each link is then judged against what the protection
 * level needs (LINK_THRESHOLDS). Nothing is installed: the scripts use .NET sockets, and a link
 * address missing from its adapter is added for the measurement only and removed after.
 */
import type { LinkMeasurement, LinkMeasurements, MeasureLinksRequest, SyncLink } from '../api/models';
import type { ProtectionLevel } from '../api/models/verify';
import { TwinlockError } from '../api/errors';
import type { RemoteHost } from '../remote/types';

/** What each level needs of a sync link, and how it is said to an admin. */
export interface LinkThreshold {
  /** Measured throughput at least this, Mbit/s (line rate less framing: 10 GbE measures ~9,400). */
  minMbps: number;
  /** Median round trip below this, ms. */
  maxRttMs: number;
  /** Probes lost below this, percent. */
  maxLossPct: number;
  /** The link class in words. */
  linkClass: string;
}

/**
 * Levels 3 and 2 mirror memory or component state over the links, as lockstep and FT logging
 * networks do: a 10 Gbit/s class link, sub-millisecond round trips, no loss to speak of. Level 1
 * (failover clustering) needs a 1 Gbit/s class heartbeat and replication network.
 */
export const LINK_THRESHOLDS: Readonly<Record<ProtectionLevel, LinkThreshold>> = {
  3: { minMbps: 9000, maxRttMs: 1, maxLossPct: 0.1, linkClass: '10 Gbit/s class' },
  2: { minMbps: 9000, maxRttMs: 1, maxLossPct: 0.1, linkClass: '10 Gbit/s class' },
  1: { minMbps: 900, maxRttMs: 5, maxLossPct: 1, linkClass: '1 Gbit/s class' },
};

/** TCP and UDP port the listener binds on its link address. */
export const MEASURE_PORT = 7471;
/** Seconds the sender keeps trying to connect (the listener may still be starting); a dead link fails after this. */
export const CONNECT_SECONDS = 4;
/** UDP probes per direction (round trip and loss). */
export const PROBES = 200;

type Direction = LinkMeasurement['directions'][number];

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A link's verdict and reasons from its two directions. */
export function judgeLink(
  directions: readonly [Direction, Direction],
  level: ProtectionLevel,
): Pick<LinkMeasurement, 'verdict' | 'reasons'> {
  const want = LINK_THRESHOLDS[level];
  const dead = directions.filter((d) => !d.reached);
  if (dead.length > 0) {
    return {
      verdict: 'blocker',
      reasons: dead.map(
        (d) =>
          `Nothing from ${d.from} reached ${d.to}${d.reason ? `: ${d.reason}` : ''}. Check the cable, the adapters and the addresses; Level ${level} needs this link.`,
      ),
    };
  }
  const reasons: string[] = [];
  for (const d of directions) {
    const route = `from ${d.from} to ${d.to}`;
    if (d.mbps !== null && d.mbps < want.minMbps)
      reasons.push(
        `Throughput ${route} is ${fmt(d.mbps)} Mbit/s; Level ${level} wants a ${want.linkClass} link (at least ${fmt(want.minMbps)} Mbit/s measured).`,
      );
    if (d.rttMs !== null && d.rttMs >= want.maxRttMs)
      reasons.push(
        `Round trip ${route} is ${fmt(d.rttMs, 2)} ms; Level ${level} wants under ${fmt(want.maxRttMs)} ms.`,
      );
    if (d.lossPct !== null && d.lossPct >= want.maxLossPct)
      reasons.push(
        `${fmt(d.lossPct, 1)} % of probes ${route} were lost; Level ${level} wants under ${fmt(want.maxLossPct, 1)} %.`,
      );
  }
  return { verdict: reasons.length > 0 ? 'warning' : 'ok', reasons };
}

/** One server of the pair, as the measurement needs it. */
export interface MeasureEnd {
  host: RemoteHost;
  computerName: string;
  /** Prefix length of an address already on an adapter, by address (from the inventory). */
  prefixOf?: (address: string) => number | undefined;
}

interface SendAnswer {
  reached: boolean;
  reason: string | null;
  rttMs: number | null;
  mbps: number | null;
  lossPct: number | null;
}

function messageOf(err: unknown): string {
  if (err instanceof TwinlockError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** One direction: the listener on `to`, the sender on `from`. Never throws: a failure is `reached: false`. */
async function measureDirection(
  from: { end: MeasureEnd; nic: string; address: string },
  to: { end: MeasureEnd; nic: string; address: string },
  prefixLength: number,
  seconds: number,
): Promise<Direction> {
  const common = {
    prefixLength,
    port: MEASURE_PORT,
    seconds,
    connectSeconds: CONNECT_SECONDS,
    probes: PROBES,
  };
  // Both scripts give up on their own well before this (connect window, then the traffic).
  const timeoutMs = (seconds * 2 + CONNECT_SECONDS + 40) * 1000;
  const listening = to.end.host
    .runScript(
      'measure-link',
      { ...common, mode: 'listen', adapter: to.nic, localAddress: to.address, remoteAddress: from.address },
      { timeoutMs },
    )
    .then(
      () => null,
      (err: unknown) => `the listener on ${to.end.computerName} failed: ${messageOf(err)}`,
    );
  // The sender connects again until the listener is up (or CONNECT_SECONDS pass), so it may start at once.
  let sent: SendAnswer;
  try {
    const raw = (await from.end.host.runScript(
      'measure-link',
      { ...common, mode: 'send', adapter: from.nic, localAddress: from.address, remoteAddress: to.address },
      { timeoutMs },
    )) as Record<string, unknown>;
    sent = {
      reached: raw.reached === true,
      reason: typeof raw.reason === 'string' ? raw.reason : null,
      rttMs: numOrNull(raw.rttMs),
      mbps: numOrNull(raw.mbps),
      lossPct: numOrNull(raw.lossPct),
    };
  } catch (err) {
    sent = {
      reached: false,
      reason: `the sender on ${from.end.computerName} failed: ${messageOf(err)}`,
      rttMs: null,
      mbps: null,
      lossPct: null,
    };
  }
  const listenerFailure = await listening;
  const reason = sent.reached ? null : [sent.reason, listenerFailure].filter(Boolean).join('; ') || null;
  return {
    from: from.end.computerName,
    to: to.end.computerName,
    reached: sent.reached,
    rttMs: sent.reached ? sent.rttMs : null,
    mbps: sent.reached ? sent.mbps : null,
    lossPct: sent.reached ? sent.lossPct : null,
    reason,
  };
}

/** Measures one link both ways and judges it. */
export async function measureLink(
  primary: MeasureEnd,
  secondary: MeasureEnd,
  link: SyncLink,
  level: ProtectionLevel,
  seconds: number,
): Promise<LinkMeasurement> {
  const prefixLength =
    link.prefixLength ??
    primary.prefixOf?.(link.localAddress) ??
    secondary.prefixOf?.(link.remoteAddress) ??
    24;
  const a = { end: primary, nic: link.localNic, address: link.localAddress };
  const b = { end: secondary, nic: link.remoteNic, address: link.remoteAddress };
  const forth = await measureDirection(a, b, prefixLength, seconds);
  const back = await measureDirection(b, a, prefixLength, seconds);
  const directions: [Direction, Direction] = [forth, back];
  return { link, directions, ...judgeLink(directions, level) };
}

const RANK = { ok: 0, warning: 1, blocker: 2 } as const;

/** Measures every link of the request, one after another (so that no two share the wire at once). */
export async function measureLinks(
  primary: MeasureEnd,
  secondary: MeasureEnd,
  request: Pick<MeasureLinksRequest, 'links' | 'level' | 'seconds'>,
): Promise<LinkMeasurements> {
  const measuredAt = new Date().toISOString();
  const links: LinkMeasurement[] = [];
  for (const link of request.links)
    links.push(await measureLink(primary, secondary, link, request.level, request.seconds));
  const verdict = links.reduce<LinkMeasurement['verdict']>(
    (worst, l) => (RANK[l.verdict] > RANK[worst] ? l.verdict : worst),
    'ok',
  );
  return { level: request.level, measuredAt, links, verdict };
}
