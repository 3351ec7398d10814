/**
 * Proposes a pair configuration from two inventories: a name, the highest protection level the
 * servers are ready for, sync links over matching spare adapters, a witness, and the VMs.
 */
import type { HostInventory, Nic, PairProposal, ProtectionLevel, SyncLink, Witness } from '../api/models';
import { TwinlockError } from '../api/errors';
import { PAIR_NAME, PAIR_NAME_MAX } from '../api/rules';
import { AdapterNameSchema, IpAddressSchema, VmNameSchema } from '../api/models';
import { businessNic, spareNics } from '../verify/network';
import { highestReadyLevel } from '../verify/verify-pair';

/** Sessions of the two servers; the first inventory is the primary's. */
export interface PairSessions {
  primary: string;
  secondary: string;
}

/** `TL-NODE-A` + `TL-NODE-B` → `TL-NODE-PAIR`, `HV01` + `HV02` → `HV-PAIR`; unrelated names → `PAIR-01`. */
export function proposeName(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.toUpperCase() === b[i]!.toUpperCase()) i++;
  // HV01 / HV02 differ inside a number: the shared part of the number is not a name.
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  if (digit(a[i]) || digit(b[i])) while (i > 0 && digit(a[i - 1])) i--;
  const prefix = a.slice(0, i).replace(/[^A-Za-z0-9]+$/, '');
  if (prefix.length >= 2 && PAIR_NAME.test(prefix))
    return `${prefix.toUpperCase()}-PAIR`.slice(0, PAIR_NAME_MAX);
  return 'PAIR-01';
}

function subnet24(ip: string | undefined): string | null {
  return ip ? ip.split('.').slice(0, 3).join('.') : null;
}

/**
 * Matches spare adapters: same speed required; an adapter on the same /24 as its partner is
 * almost certainly cabled to it, and identical names come next (identical servers are cabled
 * port to port). Adapters without an IPv4 address cannot carry a link yet and are left out.
 */
export function matchLinks(a: Nic[], b: Nic[]): SyncLink[] {
  const byName = (x: Nic, y: Nic) => x.name.localeCompare(y.name, 'en', { numeric: true });
  // Names are kept verbatim; an adapter whose name or address no link could carry is not proposed.
  const usable = (n: Nic) =>
    n.ipv4.length > 0 &&
    AdapterNameSchema.safeParse(n.name).success &&
    IpAddressSchema.safeParse(n.ipv4[0]).success;
  const left = a.filter(usable).sort(byName);
  const right = b.filter(usable).sort(byName);
  const used = new Set<Nic>();
  const links: SyncLink[] = [];
  for (const nic of left) {
    const candidates = right
      .filter((r) => !used.has(r) && r.linkSpeedMbps === nic.linkSpeedMbps)
      .map((r) => ({
        r,
        score: (subnet24(r.ipv4[0]) === subnet24(nic.ipv4[0]) ? 2 : 0) + (r.name === nic.name ? 1 : 0),
      }))
      .sort((x, y) => y.score - x.score);
    const best = candidates[0];
    if (!best) continue;
    used.add(best.r);
    links.push({
      localNic: nic.name,
      remoteNic: best.r.name,
      localAddress: nic.ipv4[0]!,
      remoteAddress: best.r.ipv4[0]!,
    });
  }
  return links;
}

/**
 * A file-share witness on the servers' domain. A suggestion: the admin confirms or edits the
 * share before applying, but running without a witness is never the default.
 */
export function proposeWitness(inv: HostInventory): Witness {
  const domain = inv.domain.trim();
  const host = domain && domain.toUpperCase() !== 'WORKGROUP' ? domain : 'WITNESS';
  return { kind: 'file-share', address: `\\\\${host}\\twinlock-witness` };
}

function block16(ip: string | undefined): string | null {
  return ip ? ip.split('.').slice(0, 2).join('.') : null;
}

/**
 * Spare adapters on the business adapter's address block (same /16) are usually other site
 * networks — storage, live migration, management VLANs — rather than cables between the two
 * servers. They stay available to the admin but are proposed only when nothing else matches.
 */
export function preferPrivate(inv: HostInventory, nics: Nic[]): Nic[] {
  const site = block16(businessNic(inv)?.ipv4[0]);
  return nics.filter((n) => n.ipv4.length > 0 && block16(n.ipv4[0]) !== site);
}

/** Builds the proposal; throws `incompatible` when no sync link can be formed. */
export function proposePair(
  primary: HostInventory,
  secondary: HostInventory,
  sessions: PairSessions,
): PairProposal {
  const nicsA = spareNics(primary);
  const nicsB = spareNics(secondary);
  const privateLinks = matchLinks(preferPrivate(primary, nicsA), preferPrivate(secondary, nicsB));
  const links = privateLinks.length > 0 ? privateLinks : matchLinks(nicsA, nicsB);
  if (links.length === 0) {
    throw new TwinlockError({
      code: 'incompatible',
      message: `${primary.computerName} and ${secondary.computerName} have no matching spare network adapters for a sync link.`,
      hint: 'Connect a spare port of the same speed on each server to the other server, give each an IPv4 address on a private subnet, and verify again.',
      detail: { primaryNics: nicsA.map((n) => n.name), secondaryNics: nicsB.map((n) => n.name) },
    });
  }
  const level: ProtectionLevel = highestReadyLevel(primary, secondary) ?? 1;
  return {
    config: {
      name: proposeName(primary.computerName, secondary.computerName),
      level,
      primary: sessions.primary,
      secondary: sessions.secondary,
      links,
      witness: proposeWitness(primary),
      // Exactly as Hyper-V reports them (a VM named " x " is proposed as " x ").
      vms: primary.vms.map((v) => v.name).filter((name) => VmNameSchema.safeParse(name).success),
    },
    nics: [nicsA, nicsB],
    vms: primary.vms,
  };
}
