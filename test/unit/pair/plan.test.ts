import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentStatus, HostInventory, PairConfig, Plan } from '../../../engine/api/models';
import { PlanSchema } from '../../../engine/api/models';
import { SCRIPT_NAMES } from '../../../engine/remote/scripts';
import { readScript } from '../../../engine/remote/session';
import type { PlanServerState } from '../../../engine/pair/plan';
import { TOKEN_PLACEHOLDER, basisOf, makePlan, makeUnpairPlan, planHash } from '../../../engine/pair/plan';
import { basisDrift, checkPlanHash } from '../../../engine/pair/plan-basis';
import { checkPlanNow } from '../../../engine/pair/apply-plan';
import type { TwinlockError } from '../../../engine/api/errors';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const resources = join(__dirname, '../../../resources');
const scripts = (name: Parameters<typeof readScript>[1]) => readScript(resources, name);
const now = new Date('2026-12-02T12:00:00.000Z');

const none = (inv: HostInventory): AgentStatus => ({
  nodeId: `node-${inv.computerName}`,
  role: 'none',
  pair: null,
  vms: inv.vms.map((v) => ({ name: v.name, state: v.state, protected: false })),
});
const server = (inv: HostInventory, port: number): PlanServerState => ({
  session: {
    computerName: inv.computerName,
    address: '127.0.0.1',
    port,
    fingerprint: `SHA256:${inv.computerName}`,
  },
  inventory: inv,
  status: none(inv),
});
const installed = { agentVersion: '3.2.1' };
// Ethernet 4 has no address on either side: its link's addresses are set by the plan.
const a = server(inventory(installed), 2201);
const b = server(peerInventory(installed), 2202);
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
    {
      localNic: 'Ethernet 3',
      remoteNic: 'Ethernet 3',
      localAddress: '172.30.0.1',
      remoteAddress: '172.30.0.2',
      prefixLength: 30,
    },
  ],
  witness: { kind: 'host', address: 'witness01' },
  vms: ['SQL01', 'APP01'],
};

describe('makePlan', () => {
  it('lists every step in run order, each with its script, exact parameters and undo', async () => {
    const plan = await makePlan(config, a, b, { scripts, now });
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'primary/address/0',
      'secondary/address/0',
      'primary/links',
      'primary/create',
      'secondary/join',
      'primary/protect/0',
      'primary/protect/1',
      'primary/wait',
    ]);
    const [setA, setB] = plan.steps;
    expect(setA).toMatchObject({
      server: 'primary',
      title: 'Give Ethernet 3 on HV-A the address 172.30.0.1/30',
      script: { name: 'set-link-address', version: '2' },
      params: { adapter: 'Ethernet 3', address: '172.30.0.1', prefixLength: 30 },
      changes: true,
      restarts: false,
      undo: {
        script: { name: 'remove-link-address' },
        params: { adapter: 'Ethernet 3', address: '172.30.0.1' },
      },
    });
    expect(setB?.params).toEqual({ adapter: 'Ethernet 3', address: '172.30.0.2', prefixLength: 30 });
    const create = plan.steps.find((s) => s.id === 'primary/create')!;
    expect(create.params).toMatchObject({
      verb: ['pair', 'create'],
      input: { name: 'HV-PAIR', token: TOKEN_PLACEHOLDER },
    });
    expect(create.undo).toMatchObject({ params: { verb: ['pair', 'remove'], input: {} } });
    expect(plan.steps.find((s) => s.id === 'secondary/join')!.params).toMatchObject({
      input: { token: TOKEN_PLACEHOLDER },
    });
    expect(plan.steps.find((s) => s.id === 'primary/protect/1')!.undo).toMatchObject({
      params: { verb: ['unprotect'], input: { vm: 'APP01' } },
    });
    expect(plan.steps.filter((s) => !s.changes).map((s) => s.id)).toEqual(['primary/links', 'primary/wait']);
    expect(plan.totals).toEqual({ changes: { primary: 4, secondary: 2 }, restarts: [] });
    // Every step and undo names a script of the catalogue whose text and version the plan carries.
    for (const s of plan.steps) {
      for (const ref of [s.script, ...(s.undo ? [s.undo.script] : [])]) {
        expect(SCRIPT_NAMES).toContain(ref.name);
        expect(plan.scripts[ref.name]).toMatchObject({ version: ref.version });
        expect(plan.scripts[ref.name]!.text).toContain(`# Twinlock remote script: ${ref.name}`);
      }
      expect(s.title).not.toBe('');
    }
    expect(JSON.stringify(plan)).not.toMatch(/token":"(?!<)/);
  });

  it('sets no address an adapter already holds', async () => {
    const plan = await makePlan({ ...config, links: [config.links[0]!] }, a, b, { scripts, now });
    expect(plan.steps.some((s) => s.script.name === 'set-link-address')).toBe(false);
    expect(plan.totals.changes).toEqual({ primary: 3, secondary: 1 });
  });

  it('has a stable hash of its content, and a hand edit is refused', async () => {
    const one = await makePlan(config, a, b, { scripts, now });
    const two = await makePlan(config, a, b, { scripts, now });
    expect(one.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(two.hash).toBe(one.hash);
    expect(planHash(JSON.parse(JSON.stringify(one, null, 2)) as Plan)).toBe(one.hash);
    expect(() => checkPlanHash(one)).not.toThrow();
    const edited = structuredClone(one);
    (edited.steps[0]!.params as { address: string }).address = '172.30.0.9';
    expect(() => checkPlanHash(edited)).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    const other = await makePlan({ ...config, name: 'HV-PAIR-2' }, a, b, { scripts, now });
    expect(other.hash).not.toBe(one.hash);
    expect(one.servers[0].basisHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('stale plans', () => {
  it('names each difference: an adapter status, an address, a VM, the agent', () => {
    const before = basisOf(a);
    const inv = structuredClone(a.inventory);
    inv.nics[1]!.status = 'Disconnected';
    inv.nics[3]!.ipv4 = ['172.30.0.5'];
    inv.vms.push({ name: 'WEB01', state: 'Off', memoryBytes: 1 });
    inv.agentVersion = '3.3.0';
    expect(basisDrift('HV-A', before, basisOf({ inventory: inv, status: a.status }))).toEqual([
      { server: 'HV-A', what: 'adapter Ethernet 2', planned: 'status Up', now: 'status Disconnected' },
      { server: 'HV-A', what: 'adapter Ethernet 4', planned: 'no address', now: '172.30.0.5' },
      { server: 'HV-A', what: 'VM WEB01', planned: 'absent', now: 'present' },
      { server: 'HV-A', what: 'agent', planned: '3.2.1', now: '3.3.0' },
    ]);
  });

  it('refuses a plan whose server changed with plan-stale, and passes one whose servers did not', async () => {
    const plan = await makePlan(config, a, b, { scripts, now });
    await expect(checkPlanNow(plan, [a, b], scripts)).resolves.toBeUndefined();
    const changed = structuredClone(b);
    changed.inventory.nics[2]!.status = 'Disconnected';
    const err = (await checkPlanNow(plan, [a, changed], scripts).catch((e: unknown) => e)) as TwinlockError;
    expect(err.code).toBe('plan-stale');
    expect(err.message).toContain('HV-B adapter Ethernet 3: status Up → Disconnected');
    expect(err.hint).toMatch(/Plan again/);
    expect(err.detail?.drift).toEqual([
      { server: 'HV-B', what: 'adapter Ethernet 3', planned: 'status Up', now: 'status Disconnected' },
    ]);
  });

  it('refuses steps that are not the configuration’s even with a recomputed hash', async () => {
    const plan = await makePlan(config, a, b, { scripts, now });
    const forged = structuredClone(plan);
    forged.steps = forged.steps.filter((s) => s.id !== 'primary/links');
    forged.hash = planHash(forged);
    await expect(checkPlanNow(forged, [a, b], scripts)).rejects.toMatchObject({ code: 'invalid-input' });
  });
});

describe('makeUnpairPlan', () => {
  const paired = (
    s: PlanServerState,
    role: 'primary' | 'secondary',
    linkAddresses?: PlanServerState['linkAddresses'],
  ): PlanServerState => ({
    ...s,
    status: {
      nodeId: 'n',
      role,
      pair: {
        name: 'HV-PAIR',
        peer: 'x',
        state: 'protected',
        progress: 100,
        level: 3,
        witness: null,
        links: [
          role === 'primary'
            ? { local: '192.168.100.1', remote: '192.168.100.2', up: true, rttMs: 0.1, mbps: 1 }
            : { local: '192.168.100.2', remote: '192.168.100.1', up: true, rttMs: 0.1, mbps: 1 },
        ],
      },
      vms:
        role === 'primary'
          ? [
              { name: 'SQL01', state: 'Running', protected: true },
              { name: 'APP01', state: 'Running', protected: false },
            ]
          : [],
    },
    ...(linkAddresses ? { linkAddresses } : {}),
  });
  const added = (adapter: string, address: string, prefixLength = 24) => [
    { adapter, address, prefixLength, addedAt: '2026-12-01T09:00:00.000Z' },
  ];

  it('unprotects, removes the pair on both and removes the link addresses Twinlock added', async () => {
    // Given in either order, the agent's primary is planned as the primary.
    const plan = await makeUnpairPlan(
      paired(b, 'secondary', added('Ethernet 2', '192.168.100.2', 30)),
      // The record names the adapter as the admin typed it: Windows compares adapter names without case.
      paired(a, 'primary', added('ethernet 2', '192.168.100.1', 30)),
      { scripts, now },
    );
    expect(plan.kind).toBe('unpair');
    expect(plan.servers.map((s) => s.computerName)).toEqual(['HV-A', 'HV-B']);
    expect(plan.steps.map((s) => [s.id, s.script.name, s.params])).toEqual([
      [
        'primary/unprotect/0',
        'invoke-twinlockctl',
        expect.objectContaining({ verb: ['unprotect'], input: { vm: 'SQL01' } }),
      ],
      ['primary/remove', 'invoke-twinlockctl', expect.objectContaining({ verb: ['pair', 'remove'] })],
      ['secondary/remove', 'invoke-twinlockctl', expect.objectContaining({ verb: ['pair', 'remove'] })],
      [
        'primary/address/0',
        'remove-link-address',
        { adapter: 'Ethernet 2', address: '192.168.100.1', onlyIfRecorded: true },
      ],
      [
        'secondary/address/0',
        'remove-link-address',
        { adapter: 'Ethernet 2', address: '192.168.100.2', onlyIfRecorded: true },
      ],
    ]);
    // Undone with the prefix length it was added with.
    expect(plan.steps[3]!.undo).toMatchObject({
      script: { name: 'set-link-address' },
      params: { adapter: 'Ethernet 2', address: '192.168.100.1', prefixLength: 30 },
    });
    expect(plan.notes).toBeUndefined();
    expect(plan.pair).toMatchObject({
      name: 'HV-PAIR',
      vms: ['SQL01'],
      links: [{ localNic: 'Ethernet 2', remoteNic: 'Ethernet 2' }],
    });
    expect(plan.totals.changes).toEqual({ primary: 3, secondary: 2 });
    // The record is part of each server's basis.
    expect(plan.servers[0].basis).toMatchObject({ linkAddresses: ['ethernet 2 192.168.100.1/30'] });
  });

  it('leaves the link addresses the admin set (none recorded), and says so', async () => {
    const plan = await makeUnpairPlan(paired(a, 'primary', []), paired(b, 'secondary', []), { scripts, now });
    expect(plan.steps.map((s) => s.id)).toEqual([
      'primary/unprotect/0',
      'primary/remove',
      'secondary/remove',
    ]);
    expect(plan.steps.some((s) => s.script.name === 'remove-link-address')).toBe(false);
    expect(plan.notes).toEqual([
      'Ethernet 2 on HV-A keeps 192.168.100.1: it was there before Twinlock (only the link addresses Twinlock added are removed)',
      'Ethernet 2 on HV-B keeps 192.168.100.2: it was there before Twinlock (only the link addresses Twinlock added are removed)',
    ]);
    expect(plan.totals.changes).toEqual({ primary: 2, secondary: 1 });
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(planHash(plan)).toBe(plan.hash);
    // Not read at all: nothing is taken as Twinlock's.
    const unread = await makeUnpairPlan(paired(a, 'primary'), paired(b, 'secondary'), { scripts, now });
    expect(unread.steps.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
  });

  it('removes only the recorded end when one server added its address and the other had one', async () => {
    const plan = await makeUnpairPlan(
      paired(a, 'primary', added('Ethernet 2', '192.168.100.1')),
      // A record of another address on the other server does not count for this one.
      paired(b, 'secondary', added('Ethernet 3', '192.168.100.2')),
      { scripts, now },
    );
    expect(plan.steps.filter((s) => s.script.name === 'remove-link-address').map((s) => s.params)).toEqual([
      { adapter: 'Ethernet 2', address: '192.168.100.1', onlyIfRecorded: true },
    ]);
    expect(plan.notes).toEqual([
      expect.stringMatching(/^Ethernet 2 on HV-B keeps 192\.168\.100\.2: it was there before Twinlock/),
    ]);
  });

  it('is stale when the record changed since the plan was made', async () => {
    const planned = [
      paired(a, 'primary', added('Ethernet 2', '192.168.100.1')),
      paired(b, 'secondary', []),
    ] as const;
    const plan = await makeUnpairPlan(planned[0], planned[1], { scripts, now });
    const err = await checkPlanNow(plan, [paired(a, 'primary', []), planned[1]], scripts).then(
      () => null,
      (e: TwinlockError) => e,
    );
    expect(err?.code).toBe('plan-stale');
    expect(JSON.stringify(err?.detail)).toContain('link addresses Twinlock added');
  });
});
