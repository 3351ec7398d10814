/**
 * Scan targets as the admin types them: addresses, names, `address:port`, CIDRs and ranges,
 * separated by commas or spaces.
 */
import ipaddr from 'ipaddr.js';
import { TwinlockError } from '../api/errors';

/** One host to probe. */
export interface ScanTarget {
  /** IP literal or host name. */
  address: string;
  /** A port typed with the address (`10.0.0.5:2222`), overriding the scan's ports. */
  port?: number;
  /** True when typed as one host (not expanded from a range): reported even when silent. */
  explicit: boolean;
}

/** Ranges larger than a /24 would take minutes and look like an attack on the network. */
export const MAX_EXPANDED = 256;

const NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;

function bad(token: string, why: string, hint: string): TwinlockError {
  return new TwinlockError({ code: 'invalid-input', message: `targets: “${token}” ${why}.`, hint, detail: { field: 'targets', token } });
}

function ipv4ToInt(ip: string): number {
  return ipaddr.IPv4.parse(ip).toByteArray().reduce((n, b) => n * 256 + b, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function expand(first: number, last: number, token: string): ScanTarget[] {
  const count = last - first + 1;
  if (count <= 0) throw bad(token, 'is an empty range', 'Write ranges from the lower to the higher address, e.g. 10.0.0.1-10.0.0.50.');
  if (count > MAX_EXPANDED) {
    throw bad(token, `covers ${count} addresses, more than the ${MAX_EXPANDED} Twinlock scans at once`, 'Scan a /24 or smaller at a time, e.g. 10.0.0.0/24.');
  }
  return Array.from({ length: count }, (_, i) => ({ address: intToIpv4(first + i), explicit: false }));
}

function parseOne(token: string): ScanTarget[] {
  // CIDR: 10.0.0.0/24
  if (token.includes('/')) {
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      range = ipaddr.parseCIDR(token);
    } catch {
      throw bad(token, 'is not a valid network', 'Write a network as address/prefix, e.g. 10.0.0.0/24.');
    }
    const [addr, prefix] = range;
    if (addr.kind() !== 'ipv4') throw bad(token, 'is an IPv6 network, too large to scan', 'Type the servers’ IPv6 addresses one by one.');
    const base = ipv4ToInt(ipaddr.IPv4.networkAddressFromCIDR(token).toString());
    const size = 2 ** (32 - prefix);
    // Skip the network and broadcast addresses of ordinary subnets.
    return size > 2 ? expand(base + 1, base + size - 2, token) : expand(base, base + size - 1, token);
  }
  // Range: 10.0.0.1-10.0.0.20 or 10.0.0.1-20
  const range = /^(\d{1,3}(?:\.\d{1,3}){3})-(\d{1,3}(?:\.\d{1,3}){3}|\d{1,3})$/.exec(token);
  if (range) {
    const [, from, to] = range as unknown as [string, string, string];
    if (!ipaddr.IPv4.isValidFourPartDecimal(from)) throw bad(token, 'does not start with a valid IPv4 address', 'Write a range as 10.0.0.1-10.0.0.20.');
    const end = to.includes('.') ? to : `${from.split('.').slice(0, 3).join('.')}.${to}`;
    if (!ipaddr.IPv4.isValidFourPartDecimal(end)) throw bad(token, 'does not end with a valid IPv4 address', 'Write a range as 10.0.0.1-10.0.0.20.');
    return expand(ipv4ToInt(from), ipv4ToInt(end), token);
  }
  // address:port, [v6]:port
  let host = token;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(token);
  const hostPort = /^([^:]+):(\d+)$/.exec(token);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (hostPort) {
    host = hostPort[1]!;
    port = Number(hostPort[2]);
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw bad(token, 'has a port outside 1–65535', 'Write a port after a colon, e.g. 10.0.0.21:22.');
  }
  const isIp = ipaddr.IPv4.isValidFourPartDecimal(host) || (host.includes(':') && ipaddr.IPv6.isValid(host));
  if (!isIp && !NAME.test(host)) {
    throw bad(token, 'is neither an IP address nor a host name', 'Type addresses (10.0.0.21), names (hv01.contoso.local), networks (10.0.0.0/24) or ranges (10.0.0.1-50).');
  }
  return [{ address: host, ...(port !== undefined ? { port } : {}), explicit: true }];
}

/** Parses and expands the targets; duplicates are dropped, order is kept. */
export function parseTargets(text: string): ScanTarget[] {
  const tokens = text.split(/[\s,;]+/).filter(Boolean);
  const seen = new Set<string>();
  const out: ScanTarget[] = [];
  for (const token of tokens) {
    for (const t of parseOne(token)) {
      const key = `${t.address.toLowerCase()}|${t.port ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
    }
  }
  if (out.length > MAX_EXPANDED * 4) {
    throw bad(text.slice(0, 40), `adds up to ${out.length} addresses`, 'Scan fewer ranges at a time.');
  }
  return out;
}
