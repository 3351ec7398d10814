/**
 * A lab that runs a fleet: many independent pairs, each the first two hosts of its profile under
 * names of its own (TL-P01-A, TL-P01-B, …), with addresses and MACs of its own, cabled only to
 * each other, all reaching one shared witness. And the fleet file (YAML) that lists them, as
 * `twinlock fleet apply` reads it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Document } from 'yaml';
import type { LinkProfile } from './links';
import { expandHosts } from './profile';
import type { HostProfile, LabProfile } from './profile';

/** The most pairs one lab runs. */
export const MAX_LAB_PAIRS = 50;

/** Two digits: P01 … P50. */
function pairNumber(index: number): string {
  return String(index + 1).padStart(2, '0');
}

/** The fleet's name of the pair at `index` (0-based): LAB-P01, LAB-P02, … */
export function labPairName(index: number): string {
  return `LAB-P${pairNumber(index)}`;
}

/** The computer names of the pair at `index` (0-based): TL-P01-A and TL-P01-B (NetBIOS names, 8 characters). */
export function labPairComputerNames(index: number): [string, string] {
  return [`TL-P${pairNumber(index)}-A`, `TL-P${pairNumber(index)}-B`];
}

const inTenNet = (address: string) => address.startsWith('10.');

/** 10.10.1.21 → 10.12.1.21 for `by` 2: the same host in a subnet of its own. */
function shiftSecondOctet(address: string, by: number): string {
  const parts = address.split('.').map(Number);
  parts[1] = ((parts[1] ?? 0) + by) % 256;
  return parts.join('.');
}

/**
 * An adapter's address in the pair at index `by`: in 10.0.0.0/8 (the sync links) the second octet
 * moves on by `by`, so each pair's links have subnets of their own; elsewhere (the business and
 * management networks, 192.168.50.0/24) the pair stays on the profile's subnet and the last octet
 * moves on by 2 × `by` (192.168.50.21 → .23 for the second pair), so every server has its own address.
 */
function pairAddress(address: string, by: number): string {
  if (inTenNet(address)) return shiftSecondOctet(address, by);
  const parts = address.split('.').map(Number);
  parts[3] = (((parts[3] ?? 0) - 1 + 2 * by) % 254) + 1;
  return parts.join('.');
}

/** A gateway, next hop or route in the pair at index `by`: moved with its subnet in 10.0.0.0/8, shared elsewhere. */
function pairSubnetAddress(address: string, by: number): string {
  return inTenNet(address) ? shiftSecondOctet(address, by) : address;
}

/** The MAC address with its fourth byte moved on by `by`. */
function shiftMac(mac: string, by: number): string {
  const bytes = mac.split('-');
  bytes[3] = ((parseInt(bytes[3]!, 16) + by) % 256).toString(16).toUpperCase().padStart(2, '0');
  return bytes.join('-');
}

/** One pair of a fleet lab as the lab builds it: its two hosts and its own cables. */
export interface FleetPairLayout {
  name: string;
  /** The profile it was made from. */
  profile: string;
  hosts: [HostProfile, HostProfile];
  /** The profile's cables, between this pair's servers. */
  links: LinkProfile[];
}

/**
 * The pair at `index` (0-based) made from the first two hosts of `profile` (a one-host profile's
 * host is copied as the second, as `startLab({ hosts: 2 })` does): renamed TL-Pnn-A / TL-Pnn-B,
 * its addresses moved so that no two pairs share one ({@link pairAddress}: the sync links' subnets
 * in 10.0.0.0/8 are the pair's own) and every MAC's fourth byte moved on by `index`. The first
 * pair keeps the profile's own addresses. The profile's cables are renamed with the hosts.
 */
export function fleetPair(profile: LabProfile, index: number): FleetPairLayout {
  const names = labPairComputerNames(index);
  const original = expandHosts(profile, 2);
  const rename = new Map(original.map((h, i) => [h.computerName.toLowerCase(), names[i]!]));
  const hosts = original.map((h, i) => ({
    ...structuredClone(h),
    computerName: names[i]!,
    nics: h.nics.map((nic) => ({
      ...structuredClone(nic),
      mac: shiftMac(nic.mac, index),
      ipv4: nic.ipv4.map((ip) => ({ ...ip, address: pairAddress(ip.address, index) })),
      ...(nic.gateway ? { gateway: pairSubnetAddress(nic.gateway, index) } : {}),
      routes: nic.routes.map((r) => {
        const [net, bits] = r.destinationPrefix.split('/');
        return {
          destinationPrefix: `${pairSubnetAddress(net!, index)}/${bits}`,
          nextHop: pairSubnetAddress(r.nextHop, index),
        };
      }),
    })),
  })) as [HostProfile, HostProfile];
  // A cable naming a host beyond the first two has no end in this pair.
  const links = profile.links
    .filter((l) => l.ends.every((e) => rename.has(e.computerName.toLowerCase())))
    .map((l) => ({
      ...l,
      ends: l.ends.map((e) => ({ ...e, computerName: rename.get(e.computerName.toLowerCase())! })) as [
        LinkProfile['ends'][0],
        LinkProfile['ends'][1],
      ],
    }));
  return { name: labPairName(index), profile: profile.name, hosts, links };
}

/** One server of a fleet lab's pair, as the fleet file names it. */
export interface LabFleetServer {
  computerName: string;
  address: string;
  port: number;
  /** `SHA256:…` of its current host key. */
  fingerprint: string;
}

/** One pair of a fleet lab. */
export interface LabPairInfo {
  /** The fleet's name for it: LAB-P01, … */
  name: string;
  /** The lab profile it was made from. */
  profile: string;
  primary: LabFleetServer;
  secondary: LabFleetServer;
  /** The VMs on the primary, as a pair of it protects them. */
  vms: string[];
}

/** What a fleet file of lab pairs says. */
export interface LabFleetFile {
  pairs: LabPairInfo[];
  /** The administrator account every server shares. */
  user: string;
  /** The bundle every pair replays, when one is named: written relative to the fleet file. */
  bundle?: string;
}

/** `address:port`, an IPv6 address in brackets. */
function endpoint(s: LabFleetServer): string {
  return s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

/**
 * The fleet file's YAML (the format `twinlock fleet apply` reads, engine/api/models/fleet.ts):
 * `bundle` (relative to `fileDir` when given), `user`, then each pair's name, servers
 * (`address:port`), pinned host-key fingerprints (no first-use trust is needed) and VMs. The
 * password is never in it.
 */
export function fleetYaml(fleet: LabFleetFile, fileDir?: string): string {
  let bundle: string | undefined;
  if (fleet.bundle !== undefined) {
    const absolute = resolve(fleet.bundle);
    const rel = fileDir ? relative(resolve(fileDir), absolute) : absolute;
    const slashed = rel.split(sep).join('/');
    // Another drive (Windows) has no relative path: the absolute one then.
    bundle = isAbsolute(rel) ? absolute : slashed.startsWith('..') ? slashed : `./${slashed}`;
  }
  const doc = new Document({
    ...(bundle !== undefined ? { bundle } : {}),
    user: fleet.user,
    pairs: fleet.pairs.map((p) => ({
      name: p.name,
      primary: endpoint(p.primary),
      secondary: endpoint(p.secondary),
      fingerprints: { primary: p.primary.fingerprint, secondary: p.secondary.fingerprint },
      vms: p.vms,
    })),
  });
  // Each pair's fingerprints and VMs on one line each, as an admin would write them.
  const pairs = doc.get('pairs', true) as { items: Array<{ get(k: string, keep: true): { flow: boolean } }> };
  for (const item of pairs.items) {
    item.get('fingerprints', true).flow = true;
    item.get('vms', true).flow = true;
  }
  doc.commentBefore =
    ' Twinlock fleet file: the lab’s pairs (twinlock lab start --pairs).\n' +
    ' The password is not here: give it with TWINLOCK_PASSWORD or --password-stdin.';
  return doc.toString({ lineWidth: 0 });
}

/** Writes the fleet file at `path` (its folder created); resolves to the absolute path. */
export function writeFleetFile(path: string, fleet: LabFleetFile): string {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, fleetYaml(fleet, dirname(file)), 'utf8');
  return file;
}
