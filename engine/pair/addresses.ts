/**
 * The sync links' address plan. Direct cables between two servers usually come without
 * addresses: Twinlock proposes one subnet per link, carved as /30s out of a private range the
 * admin can change (172.30.0.0/24 by default: 64 links' worth), each checked not to overlap any
 * address or route on either server. Addresses the admin types go through the same checks.
 *
 * A /30 holds exactly the two ends of a point-to-point cable (network, primary `.1`, secondary
 * `.2`, broadcast), so one link's subnet never reaches anything else and a range of a few /24s
 * serves many pairs. An inventory read before Twinlock read the routing table (get-inventory
 * version 2) has no routes: each address on another adapter then counts as its whole /24.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { HostInventory, SyncLink } from '../api/models';
import { TwinlockError } from '../api/errors';

/** The range link subnets are proposed from when the admin names none. */
export const DEFAULT_LINK_RANGE = '172.30.0.0/24';
/** Each proposed link gets a /30: its two ends and nothing else. */
export const LINK_PREFIX_LENGTH = 30;
/** The prefix length of a link that names none (SyncLink.prefixLength). */
export const DEFAULT_PREFIX_LENGTH = 24;

/** The private IPv4 blocks of RFC 1918. */
const PRIVATE_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** An IPv4 block as the first and last address, as numbers. */
interface Block {
  first: number;
  last: number;
}

/** Something already on a server that a link's subnet must not overlap. */
interface Occupied extends Block {
  /** In words, e.g. `route 10.10.0.0/16 via "SLOT 3 Port 1"` or `address 192.168.50.21 on "Embedded NIC 1"`. */
  what: string;
}

const quote = (s: string) => JSON.stringify(s);

function toNumber(address: string): number {
  return ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function blockOf(address: string, prefixLength: number): Block {
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(toNumber(address) / size) * size;
  return { first, last: first + size - 1 };
}

const overlaps = (a: Block, b: Block) => a.first <= b.last && b.first <= a.last;
const within = (inner: Block, outer: Block) => inner.first >= outer.first && inner.last <= outer.last;
const cidrText = (b: Block) => `${toDotted(b.first)}/${32 - Math.log2(b.last - b.first + 1)}`;

function isIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** `10.10.1.0/24` as a block; null when not an IPv4 CIDR. */
function parseCidr(text: string): Block | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32) return null;
  return blockOf(m[1]!, Number(m[2]));
}

function isPrivate(block: Block): boolean {
  return PRIVATE_BLOCKS.some((p) => within(block, parseCidr(p)!));
}

/** Routes that say nothing about which subnets are in use: default, loopback, multicast, broadcast. */
function routeIgnored(block: Block): boolean {
  const special = ['0.0.0.0/0', '127.0.0.0/8', '224.0.0.0/4', '255.255.255.255/32'].map((c) => parseCidr(c)!);
  return (block.first === 0 && block.last === 2 ** 32 - 1) || special.slice(1).some((s) => within(block, s));
}

/** Addresses and routes on `inv`, apart from those of `ownAdapter` (the link's own adapter there). */
function occupiedOn(inv: HostInventory, ownAdapter?: string): Occupied[] {
  const out: Occupied[] = [];
  for (const route of inv.routes ?? []) {
    if (route.interfaceAlias === ownAdapter) continue;
    const block = parseCidr(route.destinationPrefix);
    if (!block || routeIgnored(block)) continue;
    out.push({ ...block, what: `route ${route.destinationPrefix} via ${quote(route.interfaceAlias)}` });
  }
  for (const nic of inv.nics) {
    if (nic.name === ownAdapter) continue;
    for (const ip of nic.ipv4.filter(isIpv4)) {
      out.push({ ...blockOf(ip, 32), what: `address ${ip} on ${quote(nic.name)}` });
      if (inv.routes === undefined)
        out.push({ ...blockOf(ip, 24), what: `the subnet of ${ip} on ${quote(nic.name)}` });
    }
  }
  return out;
}

/** A link range as typed, checked: its block, or what is wrong with it (a sentence with the fix). */
export function parseLinkRange(text: string): { block: Block } | { error: string } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32)
    return {
      error: `${quote(text)} is not an IPv4 range: write it as CIDR, for example ${DEFAULT_LINK_RANGE}.`,
    };
  const prefixLength = Number(m[2]);
  if (prefixLength > LINK_PREFIX_LENGTH || prefixLength < 8)
    return {
      error: `${text} is ${prefixLength < 8 ? 'too large' : 'too small'}: a link range takes a prefix from /8 to /${LINK_PREFIX_LENGTH} (each link needs a /${LINK_PREFIX_LENGTH}), for example ${DEFAULT_LINK_RANGE}.`,
    };
  const block = blockOf(m[1]!, prefixLength);
  if (toDotted(block.first) !== m[1])
    return {
      error: `${text} does not start its range: did you mean ${toDotted(block.first)}/${prefixLength}?`,
    };
  if (!isPrivate(block))
    return {
      error: `${text} is not a private range: sync links take addresses from 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, for example ${DEFAULT_LINK_RANGE}.`,
    };
  return { block };
}

/** The addresses proposed for one link. */
export interface ProposedAddresses {
  localAddress: string;
  remoteAddress: string;
  prefixLength: number;
}

/**
 * One /30 per link from `range`, the first ones that overlap no address or route on either
 * server; the primary takes `.1` of each, the secondary `.2`. Throws `invalid-input` naming
 * `linkRange` when the range is malformed or has too little room left.
 */
export function proposeLinkAddresses(
  count: number,
  range: string,
  inventories: readonly [HostInventory, HostInventory],
): ProposedAddresses[] {
  const parsed = parseLinkRange(range);
  if ('error' in parsed) throw rangeError(parsed.error);
  const taken = [...occupiedOn(inventories[0]), ...occupiedOn(inventories[1])];
  const size = 2 ** (32 - LINK_PREFIX_LENGTH);
  const out: ProposedAddresses[] = [];
  for (let first = parsed.block.first; first <= parsed.block.last && out.length < count; first += size) {
    const subnet = { first, last: first + size - 1 };
    if (taken.some((t) => overlaps(t, subnet))) continue;
    out.push({
      localAddress: toDotted(first + 1),
      remoteAddress: toDotted(first + 2),
      prefixLength: LINK_PREFIX_LENGTH,
    });
  }
  if (out.length < count)
    throw rangeError(
      `${range} has room for ${out.length} link subnet${out.length === 1 ? '' : 's'} clear of both servers' addresses and routes, and ${count} link${count === 1 ? '' : 's'} need${count === 1 ? 's' : ''} one each: choose a larger range or another one.`,
    );
  return out;
}

function rangeError(message: string): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `linkRange: ${message}`,
    hint: `Give a private IPv4 range in CIDR form that neither server uses, for example ${DEFAULT_LINK_RANGE} or 10.254.0.0/24.`,
    detail: { field: 'linkRange', issues: [{ field: 'linkRange', message }] },
  });
}

/** One problem with a link's addresses, on one field. */
export interface AddressIssue {
  /** Dotted path, e.g. `links.0.localAddress`. */
  field: string;
  message: string;
  /** `error` refuses the configuration; `warning` (an address outside private ranges) is said and allowed. */
  severity: 'error' | 'warning';
}

/**
 * Every problem with the link addresses of `config` on the two servers: not an address, the same
 * on both ends, the ends in different subnets at the link's prefix, the subnet's own network or
 * broadcast address, an address or a subnet already in use (an address on another adapter of
 * either server, a route on either), two links sharing a subnet; an address outside the private
 * ranges is a warning.
 */
export function checkLinkAddresses(
  config: { links: readonly SyncLink[] },
  inventories: readonly [HostInventory, HostInventory],
  base = 'links',
): AddressIssue[] {
  const [primary, secondary] = inventories;
  const issues: AddressIssue[] = [];
  const error = (field: string, message: string) => issues.push({ field, message, severity: 'error' });
  const warn = (field: string, message: string) => issues.push({ field, message, severity: 'warning' });
  const seen = new Map<string, string>();
  const subnets: Array<{ block: Block; link: number }> = [];
  const links = Array.isArray(config.links) ? config.links : [];

  for (const [i, link] of links.entries()) {
    const sides = [
      { inv: primary, other: secondary, nic: link.localNic, key: 'localAddress' as const },
      { inv: secondary, other: primary, nic: link.remoteNic, key: 'remoteAddress' as const },
    ];
    const ok = [false, false];
    for (const [s, side] of sides.entries()) {
      const address: unknown = link[side.key];
      const field = `${base}.${i}.${side.key}`;
      if (typeof address !== 'string' || isIP(address) === 0) {
        error(field, `${quote(String(address))} is not an IP address; enter one such as 10.10.1.21.`);
        continue;
      }
      const holder = seen.get(address);
      if (holder !== undefined) {
        error(
          field,
          holder === `${base}.${i}.localAddress`
            ? `${address} is already used by ${holder}, the primary's end of this link: the two ends need different addresses in one subnet.`
            : `${address} is already used by ${holder} in this configuration; every end of every link needs its own address.`,
        );
        continue;
      }
      seen.set(address, field);
      const elsewhere = side.inv.nics.find((n) => n.name !== side.nic && n.ipv4.includes(address));
      const onPeer = side.other.nics.find((n) => n.ipv4.includes(address));
      if (elsewhere) {
        error(
          field,
          `${address} is already in use on ${side.inv.computerName} by ${quote(elsewhere.name)}; choose a free address.`,
        );
        continue;
      }
      if (onPeer) {
        error(
          field,
          `${address} is already in use on ${side.other.computerName} by ${quote(onPeer.name)}; choose a free address.`,
        );
        continue;
      }
      ok[s] = true;
    }

    const local = link.localAddress;
    const remote = link.remoteAddress;
    // An end already refused says enough; the subnet checks need both ends usable.
    if (!ok[0] || !ok[1] || !isIpv4(local) || !isIpv4(remote)) continue;
    const prefixField = `${base}.${i}.prefixLength`;
    const prefixLength = link.prefixLength ?? DEFAULT_PREFIX_LENGTH;
    if (prefixLength < 8 || prefixLength > LINK_PREFIX_LENGTH) {
      error(
        prefixField,
        `/${prefixLength} does not suit a sync link: use a prefix from /8 to /${LINK_PREFIX_LENGTH} (a /${LINK_PREFIX_LENGTH} holds exactly the two ends).`,
      );
      continue;
    }
    const block = blockOf(local, prefixLength);
    const remoteBlock = blockOf(remote, prefixLength);
    if (block.first !== remoteBlock.first) {
      error(
        `${base}.${i}.remoteAddress`,
        `${remote} is not in the subnet of the primary's end ${local} (${cidrText(block)}): both ends of a link need addresses in one /${prefixLength}, e.g. ${toDotted(block.first + 1)} and ${toDotted(block.first + 2)}.`,
      );
      continue;
    }
    for (const [s, side] of sides.entries()) {
      if (!ok[s]) continue;
      const n = toNumber(link[side.key]);
      const field = `${base}.${i}.${side.key}`;
      if (n === block.first || n === block.last) {
        error(
          field,
          `${link[side.key]} is the ${n === block.first ? 'network' : 'broadcast'} address of ${cidrText(block)}; choose an address inside it, e.g. ${toDotted(block.first + 1 + s)}.`,
        );
        ok[s] = false;
        continue;
      }
      // The server's own link adapter is left out: the link's subnet is meant to be there.
      const clash = occupiedOn(side.inv, side.nic).find((o) => overlaps(o, block));
      if (clash) {
        error(
          field,
          `${cidrText(block)}, the subnet of ${link[side.key]}, overlaps ${clash.what} on ${side.inv.computerName}: traffic for this link would go the wrong way; choose addresses in a subnet neither server uses, e.g. from ${DEFAULT_LINK_RANGE}.`,
        );
        ok[s] = false;
      }
    }
    const earlier = subnets.find((x) => overlaps(x.block, block));
    if (earlier) {
      error(
        `${base}.${i}.localAddress`,
        `${cidrText(block)} overlaps the subnet of sync link ${earlier.link + 1}; each link needs its own subnet.`,
      );
      continue;
    }
    subnets.push({ block, link: i });
    if (ok[0] && ok[1] && !isPrivate(block)) {
      const linkLocal = within(block, parseCidr('169.254.0.0/16')!);
      warn(
        `${base}.${i}.localAddress`,
        linkLocal
          ? `${cidrText(block)} is link-local (what Windows assigns itself when nothing is configured); a fixed private subnet such as ${DEFAULT_LINK_RANGE} is clearer.`
          : `${cidrText(block)} is outside the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); a direct cable usually takes private addresses.`,
      );
    }
  }
  return issues;
}
