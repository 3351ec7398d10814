/** Everything the lab's servers share: the clock, the script catalogue and each other (for pairing). */
import type { LabClock } from './clock';
import type { ScriptCatalogue } from './catalogue';
import type { LabClustering } from './cluster';
import type { LabHost } from './host';
import type { LinkProfile } from './links';

/**
 * The quorum witness the lab's servers can reach (a profile's `witness`): a host answering on a
 * TCP port, and a file share that is a real folder, written and read for real.
 */
export interface LabWitness {
  /** Witness hosts: a name (case-insensitive, also with the servers' domain) or address, and the port they answer on. */
  hosts: Array<{ address: string; port: number }>;
  /** File shares by UNC path (compared case-insensitively), each standing on a real folder. */
  shares: Array<{ path: string; dir: string }>;
  /**
   * Every name answers as a witness host on every port, and every share exists (a folder per
   * share under this one): for tests that send any value verbatim to the agent.
   */
  everywhere?: string;
}

export interface LabWorld {
  readonly clock: LabClock;
  readonly catalogue: ScriptCatalogue;
  readonly hosts: LabHost[];
  /** The address every server listens on (the first server's, when each has its own). */
  readonly address: string;
  /** False when each server listens on its own loopback address (127.0.0.11, 127.0.0.12, …). */
  readonly sharedAddress?: boolean;
  /** Real milliseconds added to every exec. */
  readonly latencyMs: number;
  /** The cables the profile states (lab/links.ts); adapters it does not name are wired port to port. */
  readonly links?: readonly LinkProfile[];
  /** The witness reachable from the servers; none when absent. */
  readonly witness?: LabWitness;
  /** Failover Clustering (Level 1): the directory every world of the lab shares, and this world's clusters. */
  readonly clustering: LabClustering;
}

/**
 * The servers an address names: a computer name, an adapter's IPv4 address, `address:port` of an
 * SSH endpoint, the server's own listening address, or the shared listening address itself (every
 * server then matches).
 */
export function hostsAt(world: LabWorld, address: string): LabHost[] {
  // Names resolve case-insensitively, as DNS does; nothing is trimmed: " 10.0.0.1" names no server.
  const a = address.toLowerCase();
  return world.hosts.filter((h) => {
    if (h.name.toLowerCase() === a || `${h.name}.${h.profile.domain}`.toLowerCase() === a) return true;
    if (h.profile.nics.some((nic) => nic.ipv4.some((ip) => ip.address === a))) return true;
    if (a === `${h.address}:${h.port}`) return true;
    if (world.sharedAddress === false) return a === h.address;
    return a === world.address || a === 'localhost';
  });
}
