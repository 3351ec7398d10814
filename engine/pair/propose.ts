/**
 * Proposes a pair configuration from two inventories: a name, the highest protection level the
 * servers are ready for (and why each other level is not), sync links over matching spare
 * adapters with an address plan for those without addresses, the witness only when one is known
 * to exist, and the VMs.
 */
import type { HostInventory, Nic, PairProposal, ProtectionLevel, SyncLink, Witness } from '../api/models';
import { TwinlockError } from '../api/errors';
import { PAIR_NAME, PAIR_NAME_MAX } from '../api/rules';
import { AdapterNameSchema, IpAddressSchema, VmNameSchema } from '../api/models';
import type { ClusterEvidence } from '../verify/cluster';
import { businessNic, spareNics } from '../verify/network';
import { DEFAULT_LINK_RANGE, DEFAULT_PREFIX_LENGTH, parseLinkRange, proposeLinkAddresses } from './addresses';
import { levelReadiness } from './levels';

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

/** The adapter's address a link can keep: its first, unless it has none or only a link-local one (APIPA). */
function linkAddress(n: Nic): string | undefined {
  const ip = n.ipv4[0];
  return ip === undefined || ip.startsWith('169.254.') ? undefined : ip;
}

/** A matched pair of adapters; the addresses are there when both ends already have one on the same /24. */
export type LinkMatch = Omit<SyncLink, 'localAddress' | 'remoteAddress'> &
  Partial<Pick<SyncLink, 'localAddress' | 'remoteAddress'>>;

/**
 * Matches spare adapters: same speed required; an adapter on the same /24 as its partner is
 * almost certainly cabled to it, and identical names come next (identical servers are cabled
 * port to port). Adapters without an IPv4 address (a direct cable nobody addressed yet) are
 * matched too: the link then takes proposed addresses ({@link proposePair}).
 */
export function matchLinks(a: Nic[], b: Nic[]): LinkMatch[] {
  const byName = (x: Nic, y: Nic) => x.name.localeCompare(y.name, 'en', { numeric: true });
  // Names are kept verbatim; an adapter whose name or address no link could carry is not proposed.
  const usable = (n: Nic) => {
    const ip = linkAddress(n);
    return (
      AdapterNameSchema.safeParse(n.name).success &&
      (ip === undefined || IpAddressSchema.safeParse(ip).success)
    );
  };
  const left = a.filter(usable).sort(byName);
  const right = b.filter(usable).sort(byName);
  const used = new Set<Nic>();
  const links: LinkMatch[] = [];
  for (const nic of left) {
    const mine = linkAddress(nic);
    const candidates = right
      .filter((r) => !used.has(r) && r.linkSpeedMbps === nic.linkSpeedMbps)
      .map((r) => {
        const theirs = linkAddress(r);
        const sameSubnet = mine !== undefined && theirs !== undefined && subnet24(mine) === subnet24(theirs);
        return { r, theirs, sameSubnet, score: (sameSubnet ? 2 : 0) + (r.name === nic.name ? 1 : 0) };
      })
      .sort((x, y) => y.score - x.score);
    const best = candidates[0];
    if (!best) continue;
    used.add(best.r);
    links.push({
      localNic: nic.name,
      remoteNic: best.r.name,
      ...(best.sameSubnet ? { localAddress: mine!, remoteAddress: best.theirs! } : {}),
    });
  }
  return links;
}

/** The prefix length of `address` on `adapter`, read from the on-link route that holds it; null when unknown. */
function prefixOf(inv: HostInventory, adapter: string, address: string): number | null {
  const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  for (const route of inv.routes ?? []) {
    if (route.interfaceAlias !== adapter || route.nextHop !== '0.0.0.0') continue;
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(route.destinationPrefix);
    if (!m) continue;
    const length = Number(m[2]);
    if (length >= 31 || length < 8) continue;
    const size = 2 ** (32 - length);
    const first = m[1]!.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    if (n >= first && n < first + size) return length;
  }
  return null;
}

/**
 * No witness is guessed: only one known to exist (the lab's, a previous choice) is suggested,
 * and the proposal says nobody chose yet (`witnessChosen: false`).
 */
export function proposeWitness(suggestion: Witness | null | undefined): Witness | null {
  return suggestion ?? null;
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
  // An adapter with no address (or only APIPA) is on no site network: a direct cable, most likely.
  return nics.filter((n) => linkAddress(n) === undefined || block16(n.ipv4[0]) !== site);
}

/** What a proposal may take besides the inventories. */
export interface ProposeOptions {
  /** Range unaddressed links take their /30s from (DEFAULT_LINK_RANGE when absent). */
  linkRange?: string;
  /** A witness known to exist, offered first (never a guess). */
  witnessSuggestion?: Witness | null;
  /** Level 1's prerequisites as the last verification at Level 1 read them (their blockers stop Level 1). */
  cluster?: ClusterEvidence | null;
}

/**
 * Builds the proposal; throws `incompatible` when no sync link can be formed and `invalid-input`
 * (field `linkRange`) when the range is unusable.
 */
export function proposePair(
  primary: HostInventory,
  secondary: HostInventory,
  sessions: PairSessions,
  options: ProposeOptions = {},
): PairProposal {
  const linkRange = options.linkRange ?? DEFAULT_LINK_RANGE;
  const range = parseLinkRange(linkRange);
  if ('error' in range) proposeLinkAddresses(0, linkRange, [primary, secondary]);
  const nicsA = spareNics(primary);
  const nicsB = spareNics(secondary);
  const privateLinks = matchLinks(preferPrivate(primary, nicsA), preferPrivate(secondary, nicsB));
  const matches = privateLinks.length > 0 ? privateLinks : matchLinks(nicsA, nicsB);
  if (matches.length === 0) {
    throw new TwinlockError({
      code: 'incompatible',
      message: `${primary.computerName} and ${secondary.computerName} have no matching spare network adapters for a sync link.`,
      hint: 'Connect a spare port of the same speed on each server to the other server, and verify again.',
      detail: { primaryNics: nicsA.map((n) => n.name), secondaryNics: nicsB.map((n) => n.name) },
    });
  }
  const unaddressed = matches.filter((m) => m.localAddress === undefined || m.remoteAddress === undefined);
  const proposed = proposeLinkAddresses(unaddressed.length, linkRange, [primary, secondary]);
  const links: SyncLink[] = matches.map((m) => {
    if (m.localAddress !== undefined && m.remoteAddress !== undefined) {
      const prefixLength =
        prefixOf(primary, m.localNic, m.localAddress) ??
        prefixOf(secondary, m.remoteNic, m.remoteAddress) ??
        DEFAULT_PREFIX_LENGTH;
      return { ...m, localAddress: m.localAddress, remoteAddress: m.remoteAddress, prefixLength };
    }
    return { localNic: m.localNic, remoteNic: m.remoteNic, ...proposed[unaddressed.indexOf(m)]! };
  });
  const levels = levelReadiness(primary, secondary, options.cluster);
  const level: ProtectionLevel = ([...levels].reverse().find((l) => l.ready)?.level ?? 1) as ProtectionLevel;
  const witnessSuggestion = proposeWitness(options.witnessSuggestion);
  return {
    config: {
      name: proposeName(primary.computerName, secondary.computerName),
      level,
      primary: sessions.primary,
      secondary: sessions.secondary,
      links,
      witness: witnessSuggestion,
      // Exactly as Hyper-V reports them (a VM named " x " is proposed as " x ").
      vms: primary.vms.map((v) => v.name).filter((name) => VmNameSchema.safeParse(name).success),
    },
    nics: [nicsA, nicsB],
    vms: primary.vms,
    witnessChosen: false,
    witnessSuggestion,
    linkRange,
    levels,
  };
}
