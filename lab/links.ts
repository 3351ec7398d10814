/**
 * The lab's cables: which adapter of which server is wired to which adapter of another, and what
 * the cable gives (speed, one-way latency, loss). A profile's `links` list states cables; every
 * adapter it does not name is wired port to port (same adapter name) to each other server, as
 * two servers cabled back to back are. Both the `measure-link` script's handler and the agent's
 * own link figures (`status`, `links test`) follow this model.
 *
 * IP traffic over a cable also needs both ends to hold addresses on one subnet: those are read
 * from the servers' adapters (`host.profile.nics[].ipv4`) each time, since scripts change them.
 */
import { z } from 'zod';
import type { NicProfile } from './profile';
import type { LabHost } from './host';
import type { LabWorld } from './world';

export const LinkEndSchema = z.object({
  /** Computer name of the server. */
  computerName: z.string().min(1),
  /** Adapter name as Get-NetAdapter shows it. */
  adapter: z.string().min(1),
});

export const LinkProfileSchema = z.object({
  /** The two ends of the cable. */
  ends: z.tuple([LinkEndSchema, LinkEndSchema]),
  /** What the cable carries, Mbit/s (default: the slower adapter's link speed). */
  speedMbps: z.number().positive().optional(),
  /** One-way latency in milliseconds (a round trip is twice this); default by speed. */
  latencyMs: z.number().min(0).optional(),
  /** Packets lost, percent, each way. */
  lossPct: z.number().min(0).max(100).default(0),
  /** False: no cable between these ports (the adapters may still say Up, wired elsewhere). */
  cabled: z.boolean().default(true),
});
export type LinkProfile = z.infer<typeof LinkProfileSchema>;

/** One-way latency of a direct cable, by speed (10 GbE back to back: 40 µs each way). */
export function defaultLatencyMs(speedMbps: number): number {
  return speedMbps >= 10_000 ? 0.04 : 0.1;
}

/** A cable as the model resolves it between two adapters. */
export interface Cable {
  speedMbps: number;
  latencyMs: number;
  lossPct: number;
  /** Where the cable came from: `profile` (stated) or `port-to-port` (the default). */
  source: 'profile' | 'port-to-port';
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function endIs(end: z.infer<typeof LinkEndSchema>, host: LabHost, nic: NicProfile): boolean {
  return same(end.computerName, host.name) && same(end.adapter, nic.name);
}

/** The cable between two adapters, or null when none is plugged in between them. */
export function cableBetween(
  world: LabWorld,
  a: LabHost,
  nicA: NicProfile,
  b: LabHost,
  nicB: NicProfile,
): Cable | null {
  if (a === b) return null;
  const stated = world.links ?? [];
  const link = stated.find(
    (l) =>
      (endIs(l.ends[0], a, nicA) && endIs(l.ends[1], b, nicB)) ||
      (endIs(l.ends[0], b, nicB) && endIs(l.ends[1], a, nicA)),
  );
  const slower = Math.min(nicA.speedMbps, nicB.speedMbps);
  if (link) {
    if (!link.cabled) return null;
    const speed = Math.min(link.speedMbps ?? slower, slower);
    return {
      speedMbps: speed,
      latencyMs: link.latencyMs ?? defaultLatencyMs(speed),
      lossPct: link.lossPct,
      source: 'profile',
    };
  }
  // A port the profile wires elsewhere (or leaves unplugged) has no default cable.
  const named = (h: LabHost, n: NicProfile) => stated.some((l) => l.ends.some((e) => endIs(e, h, n)));
  if (named(a, nicA) || named(b, nicB) || !same(nicA.name, nicB.name)) return null;
  return { speedMbps: slower, latencyMs: defaultLatencyMs(slower), lossPct: 0, source: 'port-to-port' };
}

function toInt(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** True when both addresses fall in the same subnet of `prefixLength` bits. */
export function sameSubnet(a: string, b: string, prefixLength: number): boolean {
  const x = toInt(a);
  const y = toInt(b);
  if (x === null || y === null) return false;
  const bits = Math.max(0, Math.min(32, prefixLength));
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(x / 2 ** shift) === Math.floor(y / 2 ** shift);
}

function addressOn(host: LabHost, address: string): { nic: NicProfile; prefixLength: number } | null {
  for (const nic of host.profile.nics) {
    const ip = nic.ipv4.find((i) => i.address === address);
    if (ip) return { nic, prefixLength: ip.prefixLength };
  }
  return null;
}

export type LinkPath =
  { up: true; cable: Cable; a: NicProfile; b: NicProfile } | { up: false; reason: string };

/** Whether IP traffic from `aAddress` on `a` reaches `bAddress` on `b`, and over which cable. */
export function linkPath(
  world: LabWorld,
  a: LabHost,
  aAddress: string,
  b: LabHost,
  bAddress: string,
): LinkPath {
  for (const h of [a, b]) if (h.isDown()) return { up: false, reason: `${h.name} is not running` };
  const ea = addressOn(a, aAddress);
  const eb = addressOn(b, bAddress);
  if (!ea) return { up: false, reason: `${aAddress} is not an address of ${a.name}` };
  if (!eb) return { up: false, reason: `no server answers at ${bAddress}` };
  for (const [h, e] of [
    [a, ea],
    [b, eb],
  ] as const) {
    if (e.nic.status !== 'Up')
      return { up: false, reason: `${h.name}'s adapter ${e.nic.name} is ${e.nic.status}` };
    // The sync-link fault takes down every adapter but the first (management) one.
    if (h.faults.syncLinkDown && e.nic !== h.profile.nics[0])
      return { up: false, reason: `${h.name}'s adapter ${e.nic.name} has lost its link` };
    if (h.faults.cutLinks.some((n) => same(n, e.nic.name)))
      return { up: false, reason: `the cable at ${h.name}'s adapter ${e.nic.name} is cut` };
  }
  const cable = cableBetween(world, a, ea.nic, b, eb.nic);
  if (!cable)
    return { up: false, reason: `no cable joins ${a.name}'s ${ea.nic.name} to ${b.name}'s ${eb.nic.name}` };
  if (!sameSubnet(aAddress, bAddress, ea.prefixLength) || !sameSubnet(aAddress, bAddress, eb.prefixLength))
    return {
      up: false,
      reason: `${aAddress}/${ea.prefixLength} and ${bAddress}/${eb.prefixLength} are not on one subnet`,
    };
  return { up: true, cable, a: ea.nic, b: eb.nic };
}

/** A number in [0, 1) from text (FNV-1a), so the same measurement gives the same figures. */
function unit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/** What one direction of a measurement over a cable gives. */
export interface LinkFigures {
  /** Median round trip, ms. */
  rttMs: number;
  /** TCP throughput, Mbit/s. */
  mbps: number;
  probesSent: number;
  probesReceived: number;
  lossPct: number;
}

/** TCP's window in flight on Windows Server with receive autotuning, bytes (what bounds a long link). */
const TCP_WINDOW_BYTES = 4 * 1024 * 1024;
const MSS_BYTES = 1460;
/** What Ethernet, IP and TCP headers leave of the line rate. */
const EFFICIENCY = 0.94;

/**
 * The figures a measurement over `cable` gives: throughput is the speed less framing, bounded by
 * the TCP window over the round trip and, with loss, by TCP's loss response (Mathis et al.);
 * the round trip is twice the latency plus the stacks' own time; probes are lost as the cable
 * loses them. `seed` names the measurement (servers, adapters, direction), and with the cable's
 * figures gives each a small variation of its own, the same every time.
 */
export function linkFigures(cable: Cable, seed: string, probes = 200): LinkFigures {
  const key = `${seed}|${cable.speedMbps}|${cable.latencyMs}|${cable.lossPct}`;
  const [u1, u2, u3] = [unit(`${key}|rtt`), unit(`${key}|loss`), unit(`${key}|tcp`)];
  const rttMs = (2 * cable.latencyMs + 0.015) * (0.97 + 0.06 * u1);
  const expectedLost = (probes * cable.lossPct) / 100;
  const lost =
    cable.lossPct > 0 ? Math.min(probes, Math.max(1, Math.round(expectedLost * (0.8 + 0.4 * u2)))) : 0;
  const rttS = rttMs / 1000;
  let mbps = cable.speedMbps * EFFICIENCY;
  mbps = Math.min(mbps, (TCP_WINDOW_BYTES * 8) / rttS / 1e6);
  const p = cable.lossPct / 100;
  if (p > 0) mbps = Math.min(mbps, (((MSS_BYTES * 8) / rttS) * (1.22 / Math.sqrt(p))) / 1e6);
  mbps *= 0.985 + 0.03 * u3;
  const probesReceived = probes - lost;
  return {
    rttMs: Math.round(rttMs * 1000) / 1000,
    mbps: Math.round(mbps * 10) / 10,
    probesSent: probes,
    probesReceived,
    lossPct: Math.round((lost / probes) * 100 * 100) / 100,
  };
}
