/** Network rules: lockstep traffic needs private links between the servers, apart from the business network. */
import type { HostInventory, Nic } from '../api/models';
import type { Rule } from './rule';
import { finding } from './rule';

function isLinkLocal(ip: string): boolean {
  return ip.startsWith('169.254.');
}

/**
 * The adapter carrying the business network: the first connected adapter with a routable IPv4
 * address. The inventory does not report default gateways, and Windows lists the adapter that
 * was set up first (almost always the business one) first.
 */
export function businessNic(inv: HostInventory): Nic | null {
  return inv.nics.find((n) => n.status === 'Up' && n.ipv4.some((ip) => !isLinkLocal(ip))) ?? null;
}

/** Connected adapters other than the business one: candidates for sync links. */
export function spareNics(inv: HostInventory): Nic[] {
  const business = businessNic(inv);
  return inv.nics.filter((n) => n.status === 'Up' && n !== business);
}

/** At least one spare connected adapter on each server; two for a redundant sync path. */
export const syncNics: Rule = (a, b) => {
  const info = { ruleId: 'network.sync-nics', category: 'Network', title: 'Spare adapters for sync links' };
  const na = spareNics(a).length;
  const nb = spareNics(b).length;
  const show = (n: number, inv: HostInventory) =>
    n === 0 ? 'None' : `${n} (${spareNics(inv).map((nic) => nic.name).join(', ')})`;
  const values: [string, string] = [show(na, a), show(nb, b)];
  if (na === 0 || nb === 0) {
    return finding(
      info,
      'blocker',
      values,
      'Lockstep traffic needs at least one dedicated, connected network adapter on each server, apart from the business network.',
      'Connect a spare network port on each server directly to the other server (or to a private switch) and make sure the link is up.',
    );
  }
  if (na === 1 || nb === 1) {
    return finding(
      info,
      'warning',
      values,
      'With a single sync link, one cable or port failure stops the protection until it is repaired.',
      'Connect a second spare port on each server to the other server, so that the pair has two sync links.',
    );
  }
  return finding(info, 'pass', values, 'Each server has at least two spare connected adapters for redundant sync links.', '');
};

/** Every network rule, in report order. */
export const networkRules: Rule[] = [syncNics];
