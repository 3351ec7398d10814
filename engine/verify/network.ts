/** Network rules: lockstep traffic needs private links between the servers, apart from the business network. */
import type { HostInventory, Nic } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel } from './rule';

function isLinkLocal(ip: string): boolean {
  return ip.startsWith('169.254.');
}

/**
 * The adapter carrying the business network: the one holding the default route; when the
 * inventory reports no gateway, the first connected adapter with a routable IPv4 address (Windows
 * lists the adapter set up first, almost always the business one, first).
 */
export function businessNic(inv: HostInventory): Nic | null {
  const withGateway = inv.nics.find((n) => n.status === 'Up' && (n.gateway ?? '') !== '');
  return (
    withGateway ?? inv.nics.find((n) => n.status === 'Up' && n.ipv4.some((ip) => !isLinkLocal(ip))) ?? null
  );
}

/** Connected adapters other than the business one: candidates for sync links. */
export function spareNics(inv: HostInventory): Nic[] {
  const business = businessNic(inv);
  return inv.nics.filter((n) => n.status === 'Up' && n !== business);
}

function speedText(mbps: number): string {
  return mbps >= 1000 ? `${mbps / 1000} Gbit/s` : `${mbps} Mbit/s`;
}

/** At least one spare connected adapter on each server; two for a redundant sync path. */
export const syncNics: RuleDef = {
  id: 'network.sync-nics',
  category: 'Network',
  title: 'Spare adapters for sync links',
  severity: atEveryLevel('blocker'),
  reason:
    'Lockstep traffic needs at least one dedicated, connected network adapter on each server, apart from the business network.',
  remedy:
    'Connect a spare network port on each server directly to the other server (or to a private switch) and make sure the link is up.',
  fixId: null,
  passReason: 'Each server has at least two spare connected adapters for redundant sync links.',
  check: (a, b, level) => {
    const [na, nb] = [spareNics(a).length, spareNics(b).length];
    const show = (n: number, inv: HostInventory) =>
      n === 0
        ? 'None'
        : `${n} (${spareNics(inv)
            .map((nic) => nic.name)
            .join(', ')})`;
    const values: [string, string] = [show(na, a), show(nb, b)];
    // A failover cluster needs no sync link: a second network only keeps its heartbeat off one path.
    if (level === 1) {
      if (na > 0 && nb > 0)
        return {
          ok: true,
          values,
          reason:
            'Each server has a spare connected adapter, which the cluster uses as a second network for its heartbeat.',
        };
      return {
        ok: false,
        values,
        severity: 'warning',
        reason:
          'With the business network as the only path between the servers, one switch failure cuts the cluster’s heartbeat, and Test-Cluster warns about that single point of failure.',
        remedy:
          'Connect a spare network port on each server to the other server (or to a second switch) so the cluster has a second network.',
      };
    }
    if (na === 0 || nb === 0) return { ok: false, values };
    if (na === 1 || nb === 1) {
      return {
        ok: false,
        values,
        severity: 'warning',
        reason:
          'With a single sync link, one cable or port failure stops the protection until it is repaired.',
        remedy:
          'Connect a second spare port on each server to the other server, so that the pair has two sync links.',
      };
    }
    return { ok: true, values };
  },
};

/** The fastest spare adapter on each side carries at least 10 Gbit/s, and both sides the same. */
export const syncLinkSpeed: RuleDef = {
  id: 'network.link-speed',
  category: 'Network',
  title: 'Sync link speed',
  severity: { 1: 'pass', 2: 'warning', 3: 'blocker' },
  reason:
    'Lockstep mirrors every memory write over the sync links, which needs 10 Gbit/s or more on both servers; a slower link stalls the VMs.',
  remedy:
    'Use 10 Gbit/s (or faster) ports for the sync links on both servers, cabled directly or through a switch of the same speed.',
  fixId: null,
  passReason: 'The sync adapters run at 10 Gbit/s or more, at the same speed on both servers.',
  check: (a, b) => {
    const best = (h: HostInventory) => Math.max(0, ...spareNics(h).map((n) => n.linkSpeedMbps));
    const [x, y] = [best(a), best(b)];
    const show = (mbps: number) => (mbps === 0 ? 'No spare adapter' : speedText(mbps));
    if (x === 0 || y === 0) return { ok: true, values: [show(x), show(y)] };
    return { ok: x === y && x >= 10_000, values: [show(x), show(y)] };
  },
};

/** Each server has a business adapter (the default gateway's). */
export const businessAdapter: RuleDef = {
  id: 'network.business',
  category: 'Network',
  title: 'Business network adapter',
  severity: atEveryLevel('warning'),
  reason:
    'Twinlock keeps the adapter with the default gateway for users and VMs; without one it cannot tell which adapter must not carry sync traffic.',
  remedy:
    'Give the adapter that carries user traffic a default gateway (adapter properties → IPv4 → Default gateway) on each server.',
  fixId: null,
  passReason: 'Each server has one adapter with a default gateway for the business network.',
  check: (a, b) => {
    const gw = (h: HostInventory) => h.nics.find((n) => n.status === 'Up' && (n.gateway ?? '') !== '');
    const show = (h: HostInventory) => {
      const n = gw(h);
      return n ? `${n.name} via ${n.gateway}` : 'No default gateway';
    };
    const known = (h: HostInventory) => h.nics.some((n) => n.gateway !== undefined);
    return {
      ok: !known(a) || !known(b) || (gw(a) !== undefined && gw(b) !== undefined),
      values: [show(a), show(b)],
    };
  },
};

/** Adapters of the same kind run the same driver version. */
export const nicDrivers: RuleDef = {
  id: 'network.drivers',
  category: 'Network',
  title: 'Network driver versions',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'Different driver versions of the same adapter handle offloads and errors differently, which shows up as sync link drops on one server only.',
  remedy:
    'Install the same network driver version on both servers (the vendor’s driver pack, or Device Manager → Update driver).',
  fixId: null,
  passReason: 'Matching adapters run the same driver version on both servers.',
  check: (a, b) => {
    const drivers = (h: HostInventory) =>
      new Map(
        h.nics
          .filter((n) => (n.driverVersion ?? '') !== '')
          .map((n) => [n.description.replace(/ #\d+$/, ''), n.driverVersion ?? '']),
      );
    const [da, db] = [drivers(a), drivers(b)];
    const differ = [...da.entries()]
      .filter(([desc, v]) => db.has(desc) && db.get(desc) !== v)
      .map(([desc]) => desc);
    const show = (d: Map<string, string>) =>
      differ.length === 0
        ? `${d.size} adapter types`
        : differ.map((desc) => `${desc} ${d.get(desc)}`).join('; ');
    return { ok: differ.length === 0, values: [show(da), show(db)] };
  },
};

/** Every network rule, in report order. */
export const networkRules: RuleDef[] = [syncNics, syncLinkSpeed, businessAdapter, nicDrivers];
