/**
 * IPv6 address arithmetic for scan targets: addresses as 128-bit BigInts, and the merged intervals
 * that IPv6 networks are walked from. The IPv4 intervals in `targets.ts` follow the same rules over
 * plain numbers (which cannot hold 128 bits).
 */
import ipaddr from 'ipaddr.js';

/** First and last address of a run of IPv6 addresses, both included. */
export type Interval6 = [first: bigint, last: bigint];

/** ::ffff:0:0/96, the IPv4-mapped addresses (the IPv4 address is in the low 32 bits). */
const MAPPED_PREFIX = 0xffffn;

/** An IPv6 address (without zone id) as an unsigned 128-bit BigInt. */
export function ipv6ToBigInt(ip: string): bigint {
  return ipaddr.IPv6.parse(ip)
    .toByteArray()
    .reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

/** The canonical (RFC 5952, compressed, lower-case) form of an unsigned 128-bit BigInt. */
export function bigIntToIpv6(n: bigint): string {
  const parts = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

/** The whole network `base/prefix` (host bits of `base` ignored), before any address is skipped. */
export function ipv6Block(base: bigint, prefix: number): Interval6 {
  const size = 1n << BigInt(128 - prefix);
  const first = base - (base % size);
  return [first, first + size - 1n];
}

/**
 * The IPv4 address (as a number) that a network's first address maps, when the network lies inside
 * ::ffff:0:0/96; else null. Any network of /96 or longer lies wholly inside or wholly outside it.
 */
export function mappedIpv4(first: bigint, prefix: number): number | null {
  return prefix >= 96 && first >> 32n === MAPPED_PREFIX ? Number(first & 0xffffffffn) : null;
}

/** Sorts and merges overlapping or adjacent intervals. */
export function merge6(intervals: Interval6[]): Interval6[] {
  const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Interval6[] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1n) last[1] = last[1] > b ? last[1] : b;
    else out.push([a, b]);
  }
  return out;
}

/** `include` minus `exclude`, both merged. */
export function subtract6(include: Interval6[], exclude: Interval6[]): Interval6[] {
  const out: Interval6[] = [];
  let j = 0;
  for (const [a0, b] of include) {
    let a = a0;
    while (j < exclude.length && exclude[j]![1] < a) j++;
    let k = j;
    while (a <= b && k < exclude.length && exclude[k]![0] <= b) {
      const [ea, eb] = exclude[k]!;
      if (ea > a) out.push([a, ea - 1n]);
      if (eb + 1n > a) a = eb + 1n;
      k++;
    }
    if (a <= b) out.push([a, b]);
  }
  return out;
}

/** How many addresses the intervals hold. */
export function size6(intervals: Interval6[]): bigint {
  return intervals.reduce((n, [a, b]) => n + (b - a + 1n), 0n);
}

/** Whether `n` lies in one of the (merged) intervals. */
export function contains6(intervals: Interval6[], n: bigint): boolean {
  return intervals.some(([a, b]) => n >= a && n <= b);
}
