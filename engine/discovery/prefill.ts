/**
 * What the Discover screen offers before the admin types anything: the workstation's own IPv4
 * networks (servers usually sit next to the admin's console), or the lab's hosts when it runs.
 */
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import ipaddr from 'ipaddr.js';
import { intToIpv4, ipv4ToInt } from './targets';

/**
 * The workstation's IPv4 networks as CIDRs, skipping loopback and link-local (169.254/16, which
 * only ever holds unconfigured machines). A network wider than a /24 is cut to the /24 around the
 * workstation's address: a corporate /16 would take minutes to sweep and alarm its owners.
 */
export function workstationTargets(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  const out: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || !ipaddr.IPv4.isValidFourPartDecimal(info.address))
        continue;
      const range = ipaddr.IPv4.parse(info.address).range();
      if (
        range === 'loopback' ||
        range === 'linkLocal' ||
        range === 'unspecified' ||
        range === 'broadcast' ||
        range === 'multicast'
      )
        continue;
      let prefix = 24;
      try {
        prefix = Math.max(24, ipaddr.IPv4.parse(info.netmask).prefixLengthFromSubnetMask() ?? 24);
      } catch {
        // An odd netmask: the /24 is a safe guess.
      }
      const block = 2 ** (32 - prefix);
      const base = Math.floor(ipv4ToInt(info.address) / block) * block;
      const cidr = `${intToIpv4(base)}/${prefix}`;
      if (!out.includes(cidr)) out.push(cidr);
    }
  }
  return out;
}

/**
 * The lab's hosts as targets: one range when they sit on consecutive loopback addresses on the
 * default SSH port (so the admin sees a range scan at work), else each `address:port`.
 */
export function labTargets(hosts: ReadonlyArray<{ address: string; port: number }>): string {
  if (hosts.length === 0) return '';
  const addresses = hosts.map((h) => h.address);
  const distinct = new Set(addresses).size === addresses.length;
  if (
    distinct &&
    hosts.length > 1 &&
    hosts.every((h) => h.port === 22 && ipaddr.IPv4.isValidFourPartDecimal(h.address))
  ) {
    const ints = addresses.map(ipv4ToInt).sort((a, b) => a - b);
    const consecutive = ints.every((n, i) => i === 0 || n === ints[i - 1]! + 1);
    if (consecutive && Math.floor(ints[0]! / 256) === Math.floor(ints.at(-1)! / 256)) {
      return `${intToIpv4(ints[0]!)}-${ints.at(-1)! % 256}`;
    }
  }
  return hosts.map((h) => (h.port === 22 ? h.address : `${h.address}:${h.port}`)).join(', ');
}
