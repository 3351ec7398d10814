/**
 * Scan targets as the admin types them: addresses, names, `address:port`, IPv6 literals, CIDRs and
 * ranges, separated by commas, semicolons or spaces, with exclusions written `!10.0.0.1`.
 *
 * IPv6 networks (`fd00::/120`) are accepted up to the same address counts as IPv4 ones.
 *
 * Ranges are kept as merged intervals (numbers for IPv4, BigInts for IPv6) and walked lazily, so
 * that a /16 costs a few numbers of memory, not 65,536 objects.
 */
import ipaddr from 'ipaddr.js';
import { TwinlockError } from '../api/errors';
import type { TwinlockErrorData } from '../api/errors';
import { PORT_MAX, PORT_MIN, isPort } from '../api/rules';
import {
  type Interval6,
  bigIntToIpv6,
  contains6,
  ipv6Block,
  ipv6ToBigInt,
  mappedIpv4,
  merge6,
  size6,
  subtract6,
} from './ipv6-range';
import { formatCount } from '../api/format';

/** One host to probe. */
export interface ScanTarget {
  /** IP literal or host name. */
  address: string;
  /** A port typed with the address (`10.0.0.5:2222`), overriding the scan's ports. */
  port?: number;
  /** True when typed as one host (not expanded from a range): reported even when silent. */
  explicit: boolean;
}

/** The parsed targets: a count known up front and a lazy walk over them. */
export interface TargetPlan extends Iterable<ScanTarget> {
  /** How many targets the walk yields. */
  readonly count: number;
}

export interface ParseTargetsOptions {
  /** Accept more than {@link MAX_TARGETS} addresses (up to {@link HARD_MAX_TARGETS}). */
  allowLarge?: boolean;
}

/** A /16: beyond it a scan takes minutes and looks like an attack on the network. */
export const MAX_TARGETS = 65_536;
/** A /8, even when explicitly allowed. */
export const HARD_MAX_TARGETS = 2 ** 24;

/** What a target may be, for a token that is none of them (every other error names its own form). */
const FORMS =
  'A target is an address (10.0.0.21), a name (hv02.contoso.local), a network (10.0.0.0/24, fd00::/120) or a range (10.0.0.10-60); put ! before one to leave it out (!10.0.0.1).';

const NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?)*\.?$/;
const DOTTED = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function bad(
  token: string,
  why: string,
  example: string,
  extra: Record<string, unknown> = {},
): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `targets: “${token}” ${why}.`,
    hint: example,
    detail: { field: 'targets', token, ...extra },
  });
}

/** An IPv4 address as an unsigned 32-bit number. */
export function ipv4ToInt(ip: string): number {
  return ipaddr.IPv4.parse(ip)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
}

/** The dotted form of an unsigned 32-bit number. */
export function intToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

type Interval = [first: number, last: number];

/** A typed host; `ipv4` or `ipv6` holds its value when it is an IP literal (IPv6 without a zone id). */
type Host = { target: ScanTarget; ipv4: number | null; ipv6?: bigint };

/**
 * A token's meaning before exclusions are applied. A range probes `interval` and, after a `!`,
 * leaves out `whole` (a network with its edge addresses); `bits` is an IPv6 network's host bits.
 */
type Parsed =
  | { kind: 'range'; interval: Interval; whole: Interval }
  | { kind: 'range6'; interval: Interval6; whole: Interval6; bits: number }
  | ({ kind: 'host' } & Host);

function strictIpv4(text: string, token: string, example: string): number {
  if (!DOTTED.test(text) || !ipaddr.IPv4.isValidFourPartDecimal(text)) {
    throw bad(
      token,
      text === token ? 'is not an IPv4 address' : `holds “${text}”, which is not an IPv4 address`,
      example,
    );
  }
  return ipv4ToInt(text);
}

/** The IPv4 network `base/prefix`: the addresses worth probing, and the whole block. */
function ipv4Network(base: number, prefix: number): Parsed {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(base / size) * size;
  const whole: Interval = [first, first + size - 1];
  // The network and broadcast addresses of an ordinary subnet are never servers.
  return { kind: 'range', interval: size > 2 ? [first + 1, first + size - 2] : whole, whole };
}

function parseCidr(token: string): Parsed {
  const example = 'Write a network as address/prefix, e.g. 10.0.0.0/24.';
  const slash = token.indexOf('/');
  const host = token.slice(0, slash);
  const prefixText = token.slice(slash + 1);
  if (host.includes(':')) return parseCidr6(token, host, prefixText);
  const base = strictIpv4(host, token, example);
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32)
    throw bad(token, 'has a prefix outside /0–/32', example);
  return ipv4Network(base, Number(prefixText));
}

function parseCidr6(token: string, host: string, prefixText: string): Parsed {
  const example = 'Write an IPv6 network as address/prefix, e.g. fd00::/120.';
  const zone = /%[^/]*/.exec(token);
  if (zone)
    throw bad(
      token,
      `has a zone id (“${zone[0]}”), which a network cannot have`,
      'Write the network without it, e.g. fe80::/120.',
    );
  if (!ipaddr.IPv6.isValid(host)) {
    throw bad(
      token,
      `holds “${host}”, which is not an IPv6 address`,
      host.startsWith('[') ? 'Write an IPv6 network without brackets, e.g. fd00::/120.' : example,
    );
  }
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128)
    throw bad(token, 'has a prefix outside /0–/128', example);
  const prefix = Number(prefixText);
  const [first, last] = ipv6Block(ipv6ToBigInt(host), prefix);
  // ::ffff:10.0.0.0/120 is 10.0.0.0/24, as ::ffff:10.0.0.5 is 10.0.0.5.
  const mapped = mappedIpv4(first, prefix);
  if (mapped !== null) return ipv4Network(mapped, prefix - 96);
  // IPv6 has no broadcast address, so the last address is probed. The all-zeros address is the
  // Subnet-Router anycast address (RFC 4291 §2.6.1), answered by the nearest router and never a
  // server: left out, as IPv4 leaves out the network address, except in a /127 (both addresses are
  // hosts on a point-to-point link, RFC 6164) and a /128.
  return {
    kind: 'range6',
    interval: prefix < 127 ? [first + 1n, last] : [first, last],
    whole: [first, last],
    bits: 128 - prefix,
  };
}

function parseRange(token: string, from: string, to: string): Interval {
  const example = 'Write a range as 10.0.0.10-60 or 10.0.0.10-10.0.1.20.';
  const first = strictIpv4(from, token, example);
  let last: number;
  if (/^\d{1,3}$/.test(to)) {
    if (Number(to) > 255) throw bad(token, `ends at ${to}, past 255`, example);
    last = first - (first % 256) + Number(to);
  } else {
    last = strictIpv4(to, token, example);
  }
  if (last < first) throw bad(token, 'is an empty range (it ends before it starts)', example);
  return [first, last];
}

function parseHost(token: string): Parsed {
  let host = token;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(token);
  const hostPort = /^([^:[\]]+):(\d{1,5})$/.exec(token);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (hostPort) {
    host = hostPort[1]!;
    port = Number(hostPort[2]);
  } else if (/:\d*$/.test(token) && !token.includes('::') && token.split(':').length === 2) {
    throw bad(
      token,
      `has a port that is not a number from ${PORT_MIN} to ${PORT_MAX}`,
      'Write a port after a colon, e.g. 10.0.0.21:22.',
    );
  }
  if (port !== undefined && !isPort(port)) {
    throw bad(
      token,
      `has a port outside ${PORT_MIN}–${PORT_MAX}`,
      'Write a port after a colon, e.g. 10.0.0.21:22.',
    );
  }
  const withPort = port !== undefined ? { port } : {};
  if (/^[\d.]+$/.test(host)) {
    const n = strictIpv4(host, token, 'Write an IPv4 address as four numbers from 0 to 255, e.g. 10.0.0.21.');
    return { kind: 'host', target: { address: intToIpv4(n), ...withPort, explicit: true }, ipv4: n };
  }
  if (host.includes(':')) {
    const zone = host.indexOf('%');
    const bare = zone >= 0 ? host.slice(0, zone) : host;
    if (!ipaddr.IPv6.isValid(bare) || (zone >= 0 && !/^%[A-Za-z0-9_.-]+$/.test(host.slice(zone)))) {
      throw bad(
        token,
        'is not a valid IPv6 address',
        'Write an IPv6 address as fd00::21, or [fd00::21]:22 with a port.',
      );
    }
    const v6 = ipaddr.IPv6.parse(bare);
    if (v6.isIPv4MappedAddress()) {
      const n = ipv4ToInt(v6.toIPv4Address().toString());
      return { kind: 'host', target: { address: intToIpv4(n), ...withPort, explicit: true }, ipv4: n };
    }
    if (zone >= 0)
      return {
        kind: 'host',
        target: { address: v6.toString() + host.slice(zone), ...withPort, explicit: true },
        ipv4: null,
      };
    return {
      kind: 'host',
      target: { address: v6.toString(), ...withPort, explicit: true },
      ipv4: null,
      ipv6: ipv6ToBigInt(bare),
    };
  }
  if (!NAME.test(host)) {
    throw bad(
      token,
      'is neither an IP address nor a host name',
      `A host name uses letters, digits, dots and dashes, e.g. hv01.contoso.local. ${FORMS}`,
    );
  }
  return {
    kind: 'host',
    target: { address: host.replace(/\.$/, '').toLowerCase(), ...withPort, explicit: true },
    ipv4: null,
  };
}

function parseToken(token: string): Parsed {
  if (token.includes('/')) return parseCidr(token);
  const range = /^([^-]+)-([^-]+)$/.exec(token);
  if (range && /^[\d.]+$/.test(range[1]!) && /^[\d.]+$/.test(range[2]!)) {
    const interval = parseRange(token, range[1]!, range[2]!);
    return { kind: 'range', interval, whole: interval };
  }
  if (/^[\d.]*-[\d.-]*$/.test(token)) {
    throw bad(token, 'is not a valid range', 'Write a range as 10.0.0.10-60 or 10.0.0.10-10.0.1.20.');
  }
  return parseHost(token);
}

/** Sorts and merges overlapping or adjacent intervals. */
function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `include` minus `exclude`, both merged. */
function subtract(include: Interval[], exclude: Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const [a0, b] of include) {
    let a = a0;
    while (j < exclude.length && exclude[j]![1] < a) j++;
    let k = j;
    while (a <= b && k < exclude.length && exclude[k]![0] <= b) {
      const [ea, eb] = exclude[k]!;
      if (ea > a) out.push([a, ea - 1]);
      a = Math.max(a, eb + 1);
      k++;
    }
    if (a <= b) out.push([a, b]);
  }
  return out;
}

function size(intervals: Interval[]): number {
  return intervals.reduce((n, [a, b]) => n + (b - a + 1), 0);
}

function keyOf(t: ScanTarget): string {
  return `${t.address.toLowerCase()}|${t.port ?? ''}`;
}

/** Refuses an IPv6 network of more than `limit` addresses; a /64 holds 2^64, so the power is said. */
function checkNetworkSize6(token: string, [first, last]: Interval6, bits: number, limit: number): void {
  const n = last - first + 1n;
  if (n <= BigInt(limit)) return;
  const amount = bits > 32 ? `2^${bits}` : n.toLocaleString('en-US');
  const widest = `/${128 - Math.log2(limit)}`;
  throw bad(
    token,
    `is an IPv6 network covering ${amount} addresses, more than the ${formatCount(limit)} a scan may cover`,
    `Type the servers’ addresses, e.g. fd00::21 fd00::22, or scan a ${widest} or smaller, e.g. fd00::${widest}.`,
    // The option to allow more only helps up to HARD_MAX_TARGETS.
    { tooLarge: n <= BigInt(HARD_MAX_TARGETS), addresses: Number(n) },
  );
}

/** Splits the text into tokens (commas, semicolons, whitespace). */
export function tokenize(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean);
}

/**
 * Parses the targets into a lazy plan: hosts typed one by one first (in the order typed, without
 * duplicates), then every address of the IPv4 ranges, then of the IPv6 networks, in ascending order.
 * Throws `invalid-input` naming the first bad token, with a valid example in the hint.
 */
export function planTargets(text: string, options: ParseTargetsOptions = {}): TargetPlan {
  const tokens = tokenize(text);
  if (tokens.length === 0) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'targets: enter at least one address, name or range to scan.',
      hint: FORMS,
      detail: { field: 'targets' },
    });
  }
  const limit = options.allowLarge ? HARD_MAX_TARGETS : MAX_TARGETS;
  const ranges: Interval[] = [];
  const excluded: Interval[] = [];
  const ranges6: Interval6[] = [];
  const excluded6: Interval6[] = [];
  const excludedHosts = new Set<string>();
  const hosts: Host[] = [];
  for (const token of tokens) {
    const negated = token.startsWith('!');
    const body = negated ? token.slice(1) : token;
    if (body === '')
      throw bad(token, 'excludes nothing', 'Put the address to leave out right after the !, e.g. !10.0.0.1.');
    let parsed: Parsed;
    try {
      parsed = parseToken(body);
    } catch (err) {
      // Name the whole token as typed, exclamation mark included.
      if (negated && err instanceof TwinlockError) {
        throw new TwinlockError({
          code: err.code,
          message: err.message.replace(`“${body}”`, `“${token}”`),
          ...(err.hint ? { hint: err.hint } : {}),
          detail: { field: 'targets', token },
        } as TwinlockErrorData);
      }
      throw err;
    }
    if (parsed.kind === 'range') {
      if (negated) excluded.push(parsed.whole);
      else ranges.push(parsed.interval);
      const n = parsed.interval[1] - parsed.interval[0] + 1;
      if (!negated && n > limit) {
        throw bad(
          token,
          `covers ${formatCount(n)} addresses, more than the ${formatCount(limit)} a scan may cover`,
          'Scan a /16 or smaller at a time, e.g. 10.0.0.0/16.',
          { tooLarge: true, addresses: n },
        );
      }
    } else if (parsed.kind === 'range6') {
      if (negated) {
        excluded6.push(parsed.whole);
      } else {
        checkNetworkSize6(token, parsed.interval, parsed.bits, limit);
        ranges6.push(parsed.interval);
      }
    } else if (negated) {
      if (parsed.target.port !== undefined)
        throw bad(token, 'excludes an address with a port', 'Exclude whole addresses, e.g. !10.0.0.1.');
      if (parsed.ipv4 !== null) excluded.push([parsed.ipv4, parsed.ipv4]);
      else if (parsed.ipv6 !== undefined) excluded6.push([parsed.ipv6, parsed.ipv6]);
      else excludedHosts.add(parsed.target.address.toLowerCase());
    } else {
      hosts.push(parsed);
    }
  }
  const exclusions = merge(excluded);
  const exclusions6 = merge6(excluded6);
  const isExcluded = (h: Host) =>
    h.ipv4 !== null
      ? exclusions.some(([a, b]) => h.ipv4! >= a && h.ipv4! <= b)
      : h.ipv6 !== undefined
        ? contains6(exclusions6, h.ipv6)
        : excludedHosts.has(h.target.address.toLowerCase());
  const seen = new Set<string>();
  const singles: ScanTarget[] = [];
  const singleInts: Interval[] = [];
  const singleInts6: Interval6[] = [];
  for (const h of hosts) {
    const key = keyOf(h.target);
    if (seen.has(key) || isExcluded(h)) continue;
    seen.add(key);
    singles.push(h.target);
    // An address typed alone is probed as typed; the range walk skips it.
    if (h.ipv4 !== null && h.target.port === undefined) singleInts.push([h.ipv4, h.ipv4]);
    if (h.ipv6 !== undefined && h.target.port === undefined) singleInts6.push([h.ipv6, h.ipv6]);
  }
  const walk = subtract(subtract(merge(ranges), exclusions), merge(singleInts));
  const walk6 = subtract6(subtract6(merge6(ranges6), exclusions6), merge6(singleInts6));
  // Each IPv6 network was checked against the limit, so the sum is a small, exact number.
  const count = singles.length + size(walk) + Number(size6(walk6));
  if (count > limit) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `targets: the list adds up to ${formatCount(count)} addresses, more than the ${formatCount(limit)} a scan may cover.`,
      hint: 'Scan a /16 or smaller at a time, e.g. 10.0.0.0/16, or leave parts out with !, e.g. !10.0.128.0/17.',
      detail: { field: 'targets', count },
    });
  }
  if (count === 0) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'targets: the exclusions leave nothing to scan.',
      hint: 'Exclude fewer addresses, e.g. 10.0.0.0/24 !10.0.0.1.',
      detail: { field: 'targets' },
    });
  }
  return {
    count,
    *[Symbol.iterator](): Iterator<ScanTarget> {
      yield* singles.map((t) => ({ ...t }));
      for (const [a, b] of walk) {
        for (let n = a; n <= b; n++) yield { address: intToIpv4(n), explicit: false };
      }
      for (const [a, b] of walk6) {
        for (let n = a; n <= b; n++) yield { address: bigIntToIpv6(n), explicit: false };
      }
    },
  };
}

/** Parses and expands the targets into an array (small lists; scans walk {@link planTargets} lazily). */
export function parseTargets(text: string, options: ParseTargetsOptions = {}): ScanTarget[] {
  return [...planTargets(text, options)];
}

/** Checks targets without expanding them: their count when valid, else the error (for inline validation). */
export function checkTargets(
  text: string,
  options: ParseTargetsOptions = {},
): { count: number } | TwinlockError {
  try {
    return { count: planTargets(text, options).count };
  } catch (err) {
    if (err instanceof TwinlockError) return err;
    throw err;
  }
}
