/**
 * Drift: how a pair, as its two servers report it, differs from the configuration it should have
 * (a bundle's, with the replay's per-pair values). Pure: it compares what was read, and says for
 * each difference what applying the configuration would change. The reconcile plan (plan.ts)
 * plans exactly the changes these items name.
 */
import { DRIFT_FIELDS, WITNESS_PORT } from '../api/models';
import type { DriftItem, PairPlan, SyncLink, Witness } from '../api/models';
import type { PlanServerState } from './plan';
import { DEFAULT_LINK_PREFIX } from './plan';

/** What the pair should be: its configuration, and the agent version the bundle was made with. */
export interface DriftExpected extends PairPlan {
  /** The bundle's agent version; null: not compared. */
  agentVersion: string | null;
}

/** The fields a pairing plan corrects on an existing pair (the agent's version and the verification rules are not among them). */
export const PLAN_CORRECTS: ReadonlySet<DriftItem['field']> = new Set([
  'pair',
  'level',
  'witness',
  'links',
  'addresses',
  'vms',
]);

/** The fields the agent cannot change in place: the pair is removed and made again. */
const RECREATES: ReadonlySet<DriftItem['field']> = new Set(['pair', 'level', 'witness', 'links']);

/** True when bringing the pair back needs it removed and made again (level, witness, links, roles). */
export function needsRecreate(items: readonly DriftItem[]): boolean {
  return items.some((i) => RECREATES.has(i.field) && i.change !== null);
}

/** A witness in words: "host TL-WITNESS", "file share \\files\twinlock", "none". */
export function witnessText(w: { kind?: string; address: string } | null): string {
  if (!w) return 'none';
  const share = w.kind === 'file-share' || w.address.startsWith('\\\\');
  return `${share ? 'file share' : 'host'} ${w.address}`;
}

/** The sentence a re-creating change says (the same on every item that needs it). */
export function recreateText(expected: Pick<PairPlan, 'level' | 'witness'>): string {
  const witness = expected.witness ? `witness ${expected.witness.address}` : 'no witness';
  return `Re-create the pair at Level ${expected.level} with ${witness} (mirroring runs again)`;
}

/** An IPv4 address as a number, or null when it is not one. */
function ipv4Number(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/**
 * The prefix length `address` has on `adapter`, as the server reports it: its record of the link
 * addresses Twinlock added, else the adapter's on-link subnet route that holds the address (its
 * inventory's routing table). Null when neither tells: never guessed.
 */
export function reportedPrefixLength(
  state: Pick<PlanServerState, 'inventory' | 'linkAddresses'>,
  adapter: string,
  address: string,
): number | null {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const recorded = state.linkAddresses?.find((e) => same(e.adapter, adapter) && same(e.address, address));
  if (recorded) return recorded.prefixLength;
  const ip = ipv4Number(address);
  if (ip === null || !state.inventory.routes) return null;
  let best: number | null = null;
  for (const r of state.inventory.routes) {
    if (!same(r.interfaceAlias, adapter) || r.nextHop !== '0.0.0.0') continue;
    const [net, bits] = r.destinationPrefix.split('/');
    const length = Number(bits);
    const network = ipv4Number(net ?? '');
    // The /32 host route of the address itself says nothing of its subnet.
    if (network === null || !Number.isInteger(length) || length < 1 || length >= 32) continue;
    const size = 2 ** (32 - length);
    if (Math.floor(ip / size) !== Math.floor(network / size)) continue;
    if (best === null || length > best) best = length;
  }
  return best;
}

const linkText = (l: SyncLink) => `${l.localNic} ${l.localAddress} to ${l.remoteNic} ${l.remoteAddress}`;

const order = (items: DriftItem[]) =>
  items
    .map((item, i) => ({ item, i }))
    .sort((x, y) => DRIFT_FIELDS.indexOf(x.item.field) - DRIFT_FIELDS.indexOf(y.item.field) || x.i - y.i)
    .map((x) => x.item);

/**
 * Every difference between the pair the two servers hold and `expected`, in {@link DRIFT_FIELDS}
 * order (the verification rules excepted: the engine adds those). `primary` is the server that
 * should be the primary.
 */
export function compareDrift(
  expected: DriftExpected,
  primary: PlanServerState,
  secondary: PlanServerState,
): DriftItem[] {
  const items: DriftItem[] = [];
  const servers = [primary, secondary] as const;
  const names = servers.map((s) => s.session.computerName) as [string, string];
  const recreate = recreateText(expected);

  // The agent's version, on each server.
  const agentItems: DriftItem[] = [];
  if (expected.agentVersion !== null) {
    for (const s of servers) {
      const actual = s.inventory.agentVersion;
      if (actual === expected.agentVersion) continue;
      agentItems.push({
        field: 'agent',
        what: 'Agent version',
        server: s.session.computerName,
        expected: expected.agentVersion,
        actual: actual ?? 'not installed',
        change: `Install agent ${expected.agentVersion} on ${s.session.computerName}`,
      });
    }
  }

  // The pair itself: both servers must hold it, in their roles.
  const held = servers.map((s) => s.status.pair?.name === expected.name);
  for (const [i, s] of servers.entries()) {
    const other = s.status.pair;
    if (other && other.name !== expected.name) {
      items.push({
        field: 'pair',
        what: 'Pair',
        server: names[i]!,
        expected: `in pair ${expected.name}`,
        actual: `in another pair, ${other.name}`,
        change: null,
        hint: `Take ${names[i]} out of ${other.name} first (twinlock unpair), then apply the bundle.`,
      });
    }
  }
  if (items.length > 0) return order([...items, ...agentItems]);
  if (!held[0] && !held[1]) {
    const witness = expected.witness ? `witness ${expected.witness.address}` : 'no witness';
    items.push({
      field: 'pair',
      what: 'Pair',
      expected: `${expected.name} on ${names[0]} (primary) and ${names[1]} (secondary)`,
      actual: 'in no pair',
      change: `Create pair ${expected.name} at Level ${expected.level} with ${witness}${expected.vms.length > 0 ? `, protecting ${expected.vms.join(', ')}` : ''}`,
    });
    return order([...items, ...agentItems]);
  }
  if (held[0] !== held[1]) {
    const [has, lacks] = held[0] ? [0, 1] : [1, 0];
    items.push({
      field: 'pair',
      what: 'Pair',
      server: names[lacks]!,
      expected: `in pair ${expected.name}`,
      actual: `in no pair (${names[has]} holds ${expected.name}: the pairing was left half made)`,
      change: null,
      hint: `Resume the interrupted pairing (twinlock pair --resume), or remove what is left (twinlock unpair ${names[0]} ${names[1]} --yes), then apply the bundle.`,
    });
    return order([...items, ...agentItems]);
  }

  const roles = servers.map((s) => s.status.role);
  if (roles[0] !== 'primary' || roles[1] !== 'secondary') {
    items.push({
      field: 'pair',
      what: 'Roles',
      expected: `${names[0]} primary, ${names[1]} secondary`,
      actual: `${names[0]} ${roles[0]}, ${names[1]} ${roles[1]}`,
      change: `Re-create the pair with ${names[0]} as primary (mirroring runs again)`,
    });
  }
  // The server the agent calls primary reports the pair's level, witness, links and VMs.
  const lead = roles[1] === 'primary' && roles[0] !== 'primary' ? secondary : primary;
  const pair = lead.status.pair!;

  if (pair.level !== expected.level) {
    items.push({
      field: 'level',
      what: 'Protection level',
      expected: `Level ${expected.level}`,
      actual: `Level ${pair.level}`,
      change: recreate,
    });
  }

  const witnessOf = (w: Witness | null) => (w ? w.address : null);
  if (witnessOf(expected.witness) !== (pair.witness?.address ?? null)) {
    items.push({
      field: 'witness',
      what: 'Witness',
      expected: witnessText(expected.witness),
      actual: witnessText(pair.witness),
      change: recreate,
    });
  } else if (expected.witness?.kind === 'host' && pair.witness?.port !== undefined) {
    // The witness host's TCP port, when the agent reports it (the bundle's, else the agent's default).
    const port = expected.witness.port ?? WITNESS_PORT;
    if (pair.witness.port !== port) {
      items.push({
        field: 'witness',
        what: 'Witness port',
        expected: `${witnessText(expected.witness)} on TCP ${port}`,
        actual: `${witnessText(pair.witness)} on TCP ${pair.witness.port}`,
        change: recreate,
      });
    }
  }

  // Sync links: the addresses the pair uses (the agent reports them) and the adapters holding them.
  const swapped = lead === secondary;
  const holder = (s: PlanServerState, address: string) =>
    s.inventory.nics.find((n) => n.ipv4.includes(address))?.name ?? null;
  // Level 1: the status's links are the cluster's networks (Get-ClusterNetwork: subnets, not address
  // pairs), so each link is checked by its addresses on their adapters below, not against them.
  const compareLinks = expected.level !== 1;
  const actualLinks = (compareLinks ? pair.links : []).map((l) => {
    const local = swapped ? l.remote : l.local;
    const remote = swapped ? l.local : l.remote;
    return {
      localAddress: local,
      remoteAddress: remote,
      localNic: holder(primary, local),
      remoteNic: holder(secondary, remote),
    };
  });
  const sameLink = (e: SyncLink, a: (typeof actualLinks)[number]) =>
    e.localAddress === a.localAddress &&
    e.remoteAddress === a.remoteAddress &&
    (a.localNic === null || a.localNic === e.localNic) &&
    (a.remoteNic === null || a.remoteNic === e.remoteNic);
  const matched = new Set<number>();
  (compareLinks ? expected.links : []).forEach((link, i) => {
    const at = actualLinks.findIndex((a, j) => !matched.has(j) && sameLink(link, a));
    if (at >= 0) {
      matched.add(at);
      return;
    }
    const byNic = actualLinks.findIndex(
      (a, j) => !matched.has(j) && a.localNic === link.localNic && a.remoteNic === link.remoteNic,
    );
    if (byNic >= 0) matched.add(byNic);
    const a = byNic >= 0 ? actualLinks[byNic]! : null;
    items.push({
      field: 'links',
      what: `Sync link ${i + 1} (${link.localNic})`,
      expected: linkText(link),
      actual: a
        ? `${a.localNic ?? '?'} ${a.localAddress} to ${a.remoteNic ?? '?'} ${a.remoteAddress}`
        : 'not used by the pair',
      change: recreate,
    });
  });
  actualLinks.forEach((a, j) => {
    if (matched.has(j)) return;
    items.push({
      field: 'links',
      what: `Sync link ${a.localAddress} to ${a.remoteAddress}`,
      expected: 'not used by the pair',
      actual: `${a.localNic ?? '?'} ${a.localAddress} to ${a.remoteNic ?? '?'} ${a.remoteAddress}`,
      change: recreate,
    });
  });

  // Each expected link address on its adapter.
  for (const link of expected.links) {
    const ends = [
      { s: primary, adapter: link.localNic, address: link.localAddress },
      { s: secondary, adapter: link.remoteNic, address: link.remoteAddress },
    ];
    for (const end of ends) {
      const nic = end.s.inventory.nics.find((n) => n.name === end.adapter);
      const computer = end.s.session.computerName;
      if (nic?.ipv4.includes(end.address)) {
        // The address is there: its prefix length too, when the bundle gives one (else the adapter's own is kept).
        if (link.prefixLength === undefined) continue;
        const actual = reportedPrefixLength(end.s, end.adapter, end.address);
        if (actual === link.prefixLength) continue;
        items.push({
          field: 'addresses',
          what: `Prefix length of ${end.address} on ${end.adapter}`,
          server: computer,
          expected: `${end.address}/${link.prefixLength}`,
          actual: actual === null ? `${end.address}, prefix length not reported` : `${end.address}/${actual}`,
          change: null,
          hint:
            actual === null
              ? `${computer} reports the prefix length of ${end.address} neither in Twinlock's record of the link addresses it added nor in its routing table: compare it yourself (Get-NetIPAddress -IPAddress ${end.address} on ${computer}).`
              : `Twinlock does not change the prefix of an address already on an adapter: remove ${end.address} from ${end.adapter} on ${computer} (or give the link addresses with --link-address ${link.localAddress}-${link.remoteAddress}/${actual}), then apply the bundle again.`,
        });
        continue;
      }
      const prefix = link.prefixLength ?? DEFAULT_LINK_PREFIX;
      items.push({
        field: 'addresses',
        what: `Address of ${end.adapter}`,
        server: computer,
        expected: `${end.address}/${prefix}`,
        actual: !nic
          ? `no adapter named ${end.adapter}`
          : nic.ipv4.length === 0
            ? 'no address'
            : nic.ipv4.join(', '),
        change: nic ? `Give ${end.adapter} on ${computer} the address ${end.address}/${prefix}` : null,
        ...(nic
          ? {}
          : { hint: `Check ${computer}'s adapters, or give the link addresses with --link-address.` }),
      });
    }
  }

  // VMs: those the configuration protects, and no other.
  const protectedNow = new Set(lead.status.vms.filter((v) => v.protected).map((v) => v.name));
  const known = new Set(lead.status.vms.map((v) => v.name));
  for (const vm of expected.vms) {
    if (protectedNow.has(vm)) continue;
    items.push({
      field: 'vms',
      what: `VM ${vm}`,
      expected: 'protected',
      actual: known.has(vm) ? 'not protected' : `not on ${lead.session.computerName}`,
      change: known.has(vm) ? `Protect ${vm}` : null,
      ...(known.has(vm)
        ? {}
        : { hint: `Restore ${vm} on ${lead.session.computerName}, or leave it out with --vm.` }),
    });
  }
  for (const vm of [...protectedNow].sort()) {
    if (expected.vms.includes(vm)) continue;
    items.push({
      field: 'vms',
      what: `VM ${vm}`,
      expected: 'not protected (not in the configuration)',
      actual: 'protected',
      change: `Unprotect ${vm}`,
    });
  }
  return order([...items, ...agentItems]);
}
