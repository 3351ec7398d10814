/**
 * Drift: the comparison of a pair as its servers report it with the configuration it should have,
 * and the plan that brings an existing pair back (in place for VMs and addresses; removed and made
 * again for the level, the witness and the links, which the agent cannot change in place).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentStatus, HostInventory, PairConfig } from '../../../engine/api/models';
import { DRIFT_FIELDS, DriftItemSchema, PlanSchema } from '../../../engine/api/models';
import { readScript } from '../../../engine/remote/session';
import type { DriftExpected } from '../../../engine/pair/drift';
import { compareDrift, needsRecreate, reportedPrefixLength } from '../../../engine/pair/drift';
import type { PlanServerState } from '../../../engine/pair/plan';
import { makePlan } from '../../../engine/pair/plan';
import { checkPlanNow } from '../../../engine/pair/apply-plan';
import type { TwinlockError } from '../../../engine/api/errors';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const resources = join(__dirname, '../../../resources');
const scripts = (name: Parameters<typeof readScript>[1]) => readScript(resources, name);
const now = new Date('2026-12-02T12:00:00.000Z');

const config: PairConfig = {
  name: 'HV-PAIR',
  level: 3,
  primary: 's1',
  secondary: 's2',
  links: [
    {
      localNic: 'Ethernet 2',
      remoteNic: 'Ethernet 2',
      localAddress: '192.168.100.1',
      remoteAddress: '192.168.100.2',
    },
  ],
  witness: { kind: 'host', address: 'witness01' },
  vms: ['SQL01', 'APP01'],
};
const expected: DriftExpected = { ...config, agentVersion: '3.2.1' };

interface PairShape {
  level?: 1 | 2 | 3;
  witness?: string | null;
  /** The witness host's port as the agent reports it (absent: not reported). */
  witnessPort?: number;
  links?: { local: string; remote: string }[];
  protected?: string[];
  name?: string;
}

/** Both servers holding a pair shaped by `shape` (by default exactly `config`). */
function paired(
  shape: PairShape = {},
  inv: [HostInventory, HostInventory] = [
    inventory({ agentVersion: '3.2.1' }),
    peerInventory({ agentVersion: '3.2.1' }),
  ],
): [PlanServerState, PlanServerState] {
  const links = (shape.links ?? [{ local: '192.168.100.1', remote: '192.168.100.2' }]).map((l) => ({
    ...l,
    up: true,
    rttMs: 0.2,
    mbps: 24000,
  }));
  const pair = (peer: string, swap: boolean): AgentStatus['pair'] => ({
    name: shape.name ?? 'HV-PAIR',
    peer,
    state: 'protected',
    progress: 100,
    links: swap ? links.map((l) => ({ ...l, local: l.remote, remote: l.local })) : links,
    witness:
      shape.witness === null
        ? null
        : {
            address: shape.witness ?? 'witness01',
            reachable: true,
            ...(shape.witnessPort !== undefined ? { port: shape.witnessPort } : {}),
          },
    level: shape.level ?? 3,
  });
  const prot = new Set(shape.protected ?? ['SQL01', 'APP01']);
  const state = (i: number, status: AgentStatus): PlanServerState => ({
    session: {
      computerName: inv[i]!.computerName,
      address: '127.0.0.1',
      port: 2201 + i,
      fingerprint: `SHA256:${inv[i]!.computerName}`,
    },
    inventory: inv[i]!,
    status,
  });
  return [
    state(0, {
      nodeId: 'a',
      role: 'primary',
      pair: pair('HV-B', false),
      vms: inv[0]!.vms.map((v) => ({ name: v.name, state: v.state, protected: prot.has(v.name) })),
    }),
    state(1, {
      nodeId: 'b',
      role: 'secondary',
      pair: pair('HV-A', true),
      vms: [],
    }),
  ];
}

const fields = (items: { field: string }[]) => items.map((i) => i.field);

describe('compareDrift', () => {
  it('finds nothing when the pair is as configured', () => {
    const [a, b] = paired();
    expect(compareDrift(expected, a, b)).toEqual([]);
  });

  it('names the level, the witness and an unprotected VM, each with expected, actual and the change', () => {
    const [a, b] = paired({ level: 1, witness: null, protected: ['SQL01'] });
    const items = compareDrift(expected, a, b);
    for (const i of items) expect(DriftItemSchema.parse(i)).toEqual(i);
    expect(items.map((i) => [i.field, i.what, i.expected, i.actual, i.change])).toEqual([
      [
        'level',
        'Protection level',
        'Level 3',
        'Level 1',
        'Re-create the pair at Level 3 with witness witness01 (mirroring runs again)',
      ],
      [
        'witness',
        'Witness',
        'host witness01',
        'none',
        'Re-create the pair at Level 3 with witness witness01 (mirroring runs again)',
      ],
      ['vms', 'VM APP01', 'protected', 'not protected', 'Protect APP01'],
    ]);
    expect(needsRecreate(items)).toBe(true);
  });

  it('reports a VM protected beyond the configuration, another witness, and VMs alone need no re-creating', () => {
    const [a, b] = paired({ protected: ['SQL01'] });
    const onlyVms = compareDrift({ ...expected, vms: ['APP01'] }, a, b);
    expect(onlyVms.map((i) => [i.what, i.expected, i.actual, i.change])).toEqual([
      ['VM APP01', 'protected', 'not protected', 'Protect APP01'],
      ['VM SQL01', 'not protected (not in the configuration)', 'protected', 'Unprotect SQL01'],
    ]);
    expect(needsRecreate(onlyVms)).toBe(false);
    const [c, d] = paired({ witness: 'witness02' });
    expect(compareDrift(expected, c, d).map((i) => [i.field, i.expected, i.actual])).toEqual([
      ['witness', 'host witness01', 'host witness02'],
    ]);
  });

  it('reports a link on other addresses, and a link address missing from its adapter', () => {
    const [a, b] = paired({ links: [{ local: '192.168.101.1', remote: '192.168.101.2' }] });
    const items = compareDrift(expected, a, b);
    expect(items.map((i) => [i.field, i.what, i.expected, i.actual])).toEqual([
      [
        'links',
        'Sync link 1 (Ethernet 2)',
        'Ethernet 2 192.168.100.1 to Ethernet 2 192.168.100.2',
        'not used by the pair',
      ],
      [
        'links',
        'Sync link 192.168.101.1 to 192.168.101.2',
        'not used by the pair',
        'Ethernet 3 192.168.101.1 to Ethernet 3 192.168.101.2',
      ],
    ]);
    const bare = peerInventory({ agentVersion: '3.2.1' });
    bare.nics = bare.nics.map((n) => (n.name === 'Ethernet 2' ? { ...n, ipv4: [] } : n));
    const [c, d] = paired({}, [inventory({ agentVersion: '3.2.1' }), bare]);
    const missing = compareDrift(expected, c, d).filter((i) => i.field === 'addresses');
    expect(missing).toEqual([
      {
        field: 'addresses',
        what: 'Address of Ethernet 2',
        server: 'HV-B',
        expected: '192.168.100.2/24',
        actual: 'no address',
        change: 'Give Ethernet 2 on HV-B the address 192.168.100.2/24',
      },
    ]);
  });

  it('compares the witness host’s port when the agent reports it: the bundle’s, else 7443', () => {
    const recreate = 'Re-create the pair at Level 3 with witness witness01 (mirroring runs again)';
    const named: DriftExpected = { ...expected, witness: { kind: 'host', address: 'witness01', port: 7500 } };
    const [a, b] = paired({ witnessPort: 7443 });
    expect(compareDrift(named, a, b).map((i) => [i.field, i.what, i.expected, i.actual, i.change])).toEqual([
      ['witness', 'Witness port', 'host witness01 on TCP 7500', 'host witness01 on TCP 7443', recreate],
    ]);
    expect(needsRecreate(compareDrift(named, a, b))).toBe(true);
    const [c, d] = paired({ witnessPort: 7500 });
    expect(compareDrift(named, c, d)).toEqual([]);
    // A bundle that names no port expects the agent's default.
    expect(compareDrift(expected, a, b)).toEqual([]);
    const [e, f] = paired({ witnessPort: 7501 });
    expect(compareDrift(expected, e, f).map((i) => [i.what, i.expected, i.actual])).toEqual([
      ['Witness port', 'host witness01 on TCP 7443', 'host witness01 on TCP 7501'],
    ]);
    // An agent that does not report the port: nothing to compare, no guess.
    const [g, h] = paired();
    expect(compareDrift(named, g, h)).toEqual([]);
  });

  it('compares a link’s prefix length where the server reports it, and says when it does not', () => {
    const slash = (prefixLength: number): DriftExpected => ({
      ...expected,
      links: [{ ...expected.links[0]!, prefixLength }],
    });
    // The inventory's routing table: the on-link subnet of each address, and its /32 host route.
    const routed = (inv: HostInventory, address: string, length: number): HostInventory => ({
      ...inv,
      routes: [
        { destinationPrefix: '0.0.0.0/0', nextHop: '10.0.0.1', interfaceAlias: 'Ethernet' },
        {
          destinationPrefix: `${address.replace(/\.\d+$/, '.0')}/${length}`,
          nextHop: '0.0.0.0',
          interfaceAlias: 'Ethernet 2',
        },
        { destinationPrefix: `${address}/32`, nextHop: '0.0.0.0', interfaceAlias: 'Ethernet 2' },
      ],
    });
    const inv: [HostInventory, HostInventory] = [
      routed(inventory({ agentVersion: '3.2.1' }), '192.168.100.1', 24),
      routed(peerInventory({ agentVersion: '3.2.1' }), '192.168.100.2', 24),
    ];
    const [a, b] = paired({}, inv);
    expect(reportedPrefixLength(a, 'Ethernet 2', '192.168.100.1')).toBe(24);
    expect(compareDrift(slash(24), a, b)).toEqual([]);
    const items = compareDrift(slash(30), a, b);
    expect(items.map((i) => [i.field, i.what, i.server, i.expected, i.actual, i.change])).toEqual([
      [
        'addresses',
        'Prefix length of 192.168.100.1 on Ethernet 2',
        'HV-A',
        '192.168.100.1/30',
        '192.168.100.1/24',
        null,
      ],
      [
        'addresses',
        'Prefix length of 192.168.100.2 on Ethernet 2',
        'HV-B',
        '192.168.100.2/30',
        '192.168.100.2/24',
        null,
      ],
    ]);
    expect(items[0]!.hint).toMatch(/does not change the prefix of an address already on an adapter/);
    for (const i of items) expect(DriftItemSchema.parse(i)).toEqual(i);

    // The record of the link addresses Twinlock added wins over the routes.
    const recorded: PlanServerState = {
      ...a,
      linkAddresses: [
        { adapter: 'ethernet 2', address: '192.168.100.1', prefixLength: 30, addedAt: now.toISOString() },
      ],
    };
    expect(reportedPrefixLength(recorded, 'Ethernet 2', '192.168.100.1')).toBe(30);
    expect(compareDrift(slash(30), recorded, b).map((i) => i.server)).toEqual(['HV-B']);

    // Neither tells (no record, no routing table): the item says so instead of guessing.
    const [c, d] = paired({}, [
      { ...inventory({ agentVersion: '3.2.1' }), routes: undefined },
      peerInventory({ agentVersion: '3.2.1' }),
    ]);
    expect(reportedPrefixLength(c, 'Ethernet 2', '192.168.100.1')).toBeNull();
    const unknown = compareDrift(slash(30), c, d).find((i) => i.server === 'HV-A')!;
    expect(unknown).toMatchObject({
      field: 'addresses',
      expected: '192.168.100.1/30',
      actual: '192.168.100.1, prefix length not reported',
      change: null,
    });
    expect(unknown.hint).toMatch(/neither in Twinlock's record .* nor in its routing table/);
    // A link whose bundle gives no prefix keeps the adapter's own: not compared.
    expect(compareDrift(expected, c, d)).toEqual([]);
  });

  it('reports a server in no pair, in another pair, or half of a pair; and the agent version of each server', () => {
    const [a, b] = paired();
    const none = (s: PlanServerState): PlanServerState => ({
      ...s,
      status: { ...s.status, role: 'none', pair: null },
    });
    expect(compareDrift(expected, none(a), none(b))).toEqual([
      expect.objectContaining({
        field: 'pair',
        actual: 'in no pair',
        change: expect.stringContaining('Create pair HV-PAIR at Level 3'),
      }),
    ]);
    const half = compareDrift(expected, a, none(b));
    expect(half).toEqual([
      expect.objectContaining({
        field: 'pair',
        server: 'HV-B',
        change: null,
        hint: expect.stringContaining('twinlock pair --resume'),
      }),
    ]);
    const [c, d] = paired({ name: 'OTHER' });
    const other = compareDrift(expected, c, d);
    expect(other.map((i) => [i.field, i.server, i.actual, i.change])).toEqual([
      ['pair', 'HV-A', 'in another pair, OTHER', null],
      ['pair', 'HV-B', 'in another pair, OTHER', null],
    ]);
    const older = compareDrift({ ...expected, agentVersion: '3.3.0' }, a, b);
    expect(older.map((i) => [i.field, i.server, i.expected, i.actual])).toEqual([
      ['agent', 'HV-A', '3.3.0', '3.2.1'],
      ['agent', 'HV-B', '3.3.0', '3.2.1'],
    ]);
  });

  it('keeps the DRIFT_FIELDS order', () => {
    const [a, b] = paired({
      level: 2,
      witness: null,
      protected: [],
      links: [{ local: '192.168.101.1', remote: '192.168.101.2' }],
    });
    const order = fields(compareDrift({ ...expected, agentVersion: '9.9.9' }, a, b)).map((f) =>
      DRIFT_FIELDS.indexOf(f as (typeof DRIFT_FIELDS)[number]),
    );
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });
});

describe('makePlan on a pair both servers hold', () => {
  it('plans nothing that changes when the pair matches (corrects: [])', async () => {
    const [a, b] = paired();
    const plan = await makePlan(config, a, b, { scripts, now });
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(plan.corrects).toEqual([]);
    expect(plan.steps.filter((s) => s.changes)).toEqual([]);
    expect(plan.totals.changes).toEqual({ primary: 0, secondary: 0 });
    expect(plan.steps.map((s) => s.id)).toEqual(['primary/wait']);
  });

  it('protects the missing and unprotects the extra VMs in place, then waits', async () => {
    const [a, b] = paired({ protected: ['SQL01'] });
    const plan = await makePlan({ ...config, vms: ['APP01'] }, a, b, { scripts, now });
    expect(fields(plan.corrects!)).toEqual(['vms', 'vms']);
    expect(plan.steps.map((s) => [s.id, s.title, s.params.verb])).toEqual([
      [
        'primary/unprotect/0',
        'Unprotect SQL01: the configuration does not protect it (it keeps running on HV-A, without a standby copy)',
        ['unprotect'],
      ],
      ['primary/protect/0', 'Protect APP01', ['protect']],
      [
        'primary/wait',
        expect.stringContaining('Wait until both servers report HV-PAIR protected'),
        ['status'],
      ],
    ]);
  });

  it('removes the pair on both servers and makes it again when the level or witness differ, honestly titled', async () => {
    const [a, b] = paired({ level: 1, witness: null, protected: ['SQL01'] });
    const plan = await makePlan(config, a, b, { scripts, now });
    expect(fields(plan.corrects!)).toEqual(['level', 'witness', 'vms']);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'primary/unprotect/0',
      'primary/remove',
      'secondary/remove',
      'primary/links',
      'primary/create',
      'secondary/join',
      'primary/protect/0',
      'primary/protect/1',
      'primary/wait',
    ]);
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('primary/unprotect/0')!.title).toContain('unprotected until the pair is protected again');
    const remove = byId.get('primary/remove')!;
    expect(remove.undo).toBeNull();
    expect(remove.title).toContain('undone only by pairing again');
    expect(remove.params).toMatchObject({ verb: ['pair', 'remove'], input: {} });
    expect(byId.get('primary/create')!.title).toContain('mirroring runs again');
    expect(byId.get('primary/create')!.params).toMatchObject({
      input: { level: 3, witness: { address: 'witness01' } },
    });
  });

  it('sets a missing link address before the pair is made again', async () => {
    const bare = peerInventory({ agentVersion: '3.2.1' });
    bare.nics = bare.nics.map((n) => (n.name === 'Ethernet 2' ? { ...n, ipv4: [] } : n));
    const [a, b] = paired({ level: 2 }, [inventory({ agentVersion: '3.2.1' }), bare]);
    const plan = await makePlan(config, a, b, { scripts, now });
    expect(plan.steps.map((s) => s.id).slice(0, 5)).toEqual([
      'primary/unprotect/0',
      'primary/unprotect/1',
      'primary/remove',
      'secondary/remove',
      'secondary/address/0',
    ]);
    // Addresses alone are set in place.
    const [c, d] = paired({}, [inventory({ agentVersion: '3.2.1' }), bare]);
    const inPlace = await makePlan(config, c, d, { scripts, now });
    expect(inPlace.steps.map((s) => s.id)).toEqual(['secondary/address/0', 'primary/wait']);
  });

  it('is stale when the pair changed since it was planned (the level is not in the basis)', async () => {
    const [a, b] = paired({ protected: ['SQL01'] });
    const plan = await makePlan(config, a, b, { scripts, now });
    await expect(checkPlanNow(plan, [a, b], scripts)).resolves.toBeUndefined();
    const lowered = paired({ protected: ['SQL01'], level: 1 });
    const err = (await checkPlanNow(plan, lowered, scripts).catch((e: unknown) => e)) as TwinlockError;
    expect(err.code).toBe('plan-stale');
    expect(err.message).toContain('Protection level: Level 1');
  });
});
