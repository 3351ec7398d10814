/** Everything the lab's servers share: the clock, the script catalogue and each other (for pairing). */
import type { LabClock } from './clock';
import type { ScriptCatalogue } from './catalogue';
import type { LabHost } from './host';

export interface LabWorld {
  readonly clock: LabClock;
  readonly catalogue: ScriptCatalogue;
  readonly hosts: LabHost[];
  /** The address every server listens on. */
  readonly address: string;
  /** Real milliseconds added to every exec. */
  readonly latencyMs: number;
}

/**
 * The servers an address names: a computer name, an adapter's IPv4 address, `address:port` of an
 * SSH endpoint, or the shared listening address itself (every server then matches).
 */
export function hostsAt(world: LabWorld, address: string): LabHost[] {
  const a = address.trim().toLowerCase();
  return world.hosts.filter((h) => {
    if (h.name.toLowerCase() === a || `${h.name}.${h.profile.domain}`.toLowerCase() === a) return true;
    if (h.profile.nics.some((nic) => nic.ipv4.some((ip) => ip.address === a))) return true;
    if (a === `${world.address}:${h.port}`) return true;
    return a === world.address || a === 'localhost';
  });
}
