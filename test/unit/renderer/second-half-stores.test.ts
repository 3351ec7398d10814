/**
 * The second half of the wizard's stores against a fake engine: the Pair screen's gates (links
 * measured, witness chosen and checked, levels verification passed, addresses checked as typed),
 * the plan Review shows and applies exactly, a stale plan's differences, the drill and removing
 * protection.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LinkMeasurements, PairProposal, Plan } from '../../../engine/api';
import { useApplyStore } from '../../../renderer/src/stores/apply';
import { useDrillStore } from '../../../renderer/src/stores/drill';
import { useLinksStore } from '../../../renderer/src/stores/links';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { planFileName, planText, useReviewStore } from '../../../renderer/src/stores/review';
import { useUnpairStore } from '../../../renderer/src/stores/unpair';
import { useWitnessStore } from '../../../renderer/src/stores/witness';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { linkProblems } from '../../../renderer/src/link-address';
import { withTwoSessions } from './two-sessions';

const link = {
  localNic: 'SYNC1',
  remoteNic: 'SYNC1',
  localAddress: '172.30.0.1',
  remoteAddress: '172.30.0.2',
  prefixLength: 30,
};

const proposal: PairProposal = {
  config: {
    name: 'HV-PAIR',
    level: 3,
    primary: 'sA',
    secondary: 'sB',
    links: [link],
    witness: { kind: 'file-share', address: '\\\\FILES\\twinlock' },
    vms: ['SQL01'],
  },
  nics: [[], []],
  vms: [{ name: 'SQL01', state: 'Running', memoryBytes: 1 }],
  witnessChosen: false,
  levels: [
    { level: 1, ready: true, reasons: [], blockers: [] },
    { level: 2, ready: true, reasons: [], blockers: [] },
    {
      level: 3,
      ready: false,
      reasons: ['CPU stepping differs (HV-A: 6; HV-B: 7): lockstep needs identical processors'],
      blockers: ['cpu.signature'],
    },
  ],
};

function measured(verdict: 'ok' | 'warning' | 'blocker', level: 1 | 2 | 3 = 2): LinkMeasurements {
  const dir = (from: string, to: string) => ({
    from,
    to,
    reached: verdict !== 'blocker',
    rttMs: verdict === 'blocker' ? null : 0.2,
    mbps: verdict === 'blocker' ? null : 9400,
    lossPct: verdict === 'blocker' ? null : 0,
  });
  return {
    level,
    measuredAt: '2026-12-02T12:00:00Z',
    verdict,
    links: [
      {
        link,
        directions: [dir('HV-A', 'HV-B'), dir('HV-B', 'HV-A')],
        verdict,
        reasons:
          verdict === 'blocker'
            ? ['Nothing came back from 172.30.0.2 in either direction: check the cable.']
            : [],
      },
    ],
  };
}

const plan: Plan = {
  format: 'twinlock-plan/1',
  kind: 'pair',
  createdAt: '2026-12-02T12:00:00Z',
  pair: { name: 'HV-PAIR', level: 2, links: [link], witness: null, vms: ['SQL01'] },
  servers: [
    {
      role: 'primary',
      computerName: 'HV-A',
      address: '10.0.0.21',
      port: 22,
      fingerprint: 'f',
      basis: {},
      basisHash: 'a',
    },
    {
      role: 'secondary',
      computerName: 'HV-B',
      address: '10.0.0.22',
      port: 22,
      fingerprint: 'f',
      basis: {},
      basisHash: 'b',
    },
  ],
  steps: [
    {
      id: 'primary/address/0',
      server: 'primary',
      title: 'Give SYNC1 172.30.0.1/30',
      script: { name: 'set-link-address', version: '1' },
      params: { adapter: 'SYNC1' },
      changes: true,
      restarts: false,
      undo: { title: 'Remove 172.30.0.1', script: { name: 'remove-link-address', version: '1' }, params: {} },
    },
    {
      id: 'secondary/address/0',
      server: 'secondary',
      title: 'Give SYNC1 172.30.0.2/30',
      script: { name: 'set-link-address', version: '1' },
      params: { adapter: 'SYNC1' },
      changes: true,
      restarts: false,
      undo: null,
    },
    {
      id: 'primary/create',
      server: 'primary',
      title: 'Create pair HV-PAIR',
      script: { name: 'invoke-twinlockctl', version: '2' },
      params: {},
      changes: true,
      restarts: false,
      undo: null,
    },
  ],
  scripts: {},
  totals: { changes: { primary: 2, secondary: 1 }, restarts: [] },
  hash: 'a'.repeat(64),
};

async function ready(handlers: Parameters<typeof withTwoSessions>[0] = {}) {
  const client = await withTwoSessions({ proposePair: () => proposal, ...handlers });
  const pair = usePairStore();
  await pair.propose();
  return { client, pair };
}

beforeEach(() => setActivePinia(createPinia()));

describe('the Pair screen’s gates', () => {
  it('guesses no witness: the admin must choose one, and a chosen share is offered from the proposal', async () => {
    const { pair } = await ready();
    expect(pair.witnessMode).toBeNull();
    expect(pair.problems).toContain('Choose the witness: a file share, a witness server, or no witness.');
    pair.witnessMode = 'file-share';
    expect(pair.witness).toEqual({ kind: 'file-share', address: '\\\\FILES\\twinlock' });
    pair.witnessMode = 'host';
    pair.witnessAddress = 'witness01';
    pair.witnessPort = '70000';
    expect(pair.witnessErrors.port).toMatch(/1 to 65535/);
    pair.witnessPort = '7443';
    expect(pair.witness).toEqual({ kind: 'host', address: 'witness01', port: 7443 });
  });

  it('offers only the levels verification passed, each other one with why', async () => {
    const { pair } = await ready();
    expect(pair.levelBlocked[3]).toMatch(/1 blocker: CPU stepping differs/);
    expect(pair.levelBlocked[2]).toBeNull();
    pair.level = 3;
    expect(pair.problems.some((p) => p.startsWith('Level 3 · Lockstep cannot be chosen.'))).toBe(true);
  });

  it('checks link addresses as typed, beside their fields', () => {
    expect(linkProblems({ ...link, remoteAddress: '172.30.0.1' }).remoteAddress).toMatch(/same address/);
    expect(linkProblems({ ...link, remoteAddress: '172.30.0.9' }).remoteAddress).toMatch(/same \/30 subnet/);
    expect(linkProblems({ ...link, localAddress: '172.30.0.0' }).localAddress).toMatch(
      /subnet’s own address/,
    );
    expect(
      linkProblems({ ...link, localAddress: '172.30.0.3', remoteAddress: '172.30.0.2' }).localAddress,
    ).toMatch(/broadcast/);
    expect(linkProblems({ ...link, prefixLength: 33 }).prefixLength).toMatch(/1 to 32/);
    expect(linkProblems({ ...link, localAddress: '172.30.0.01' }).localAddress).toMatch(/Use an IP address/);
    expect(linkProblems(link)).toEqual({});
  });

  it('adds a link on the next /30 after the last one', async () => {
    const { pair } = await ready();
    pair.addLink();
    expect(pair.links[1]).toMatchObject({
      localAddress: '172.30.0.5',
      remoteAddress: '172.30.0.6',
      prefixLength: 30,
    });
  });

  it('holds Next until the links are measured for this level, and while a link is dead', async () => {
    let verdict: 'ok' | 'blocker' = 'blocker';
    const { client, pair } = await ready({
      measureLinks: (input: { level: 1 | 2 | 3 }) => measured(verdict, input.level),
    });
    const wizard = useWizardStore();
    const links = useLinksStore();
    wizard.resumeAt('pair');
    pair.level = 2;
    pair.witnessMode = 'none';
    pair.noWitnessAccepted = true;
    expect(wizard.blockedBecause).toBe('Measure the sync links to go on.');
    await links.measure();
    expect(client.callsOf('measureLinks')[0]).toMatchObject({
      primary: 'sA',
      secondary: 'sB',
      level: 2,
      links: [link],
    });
    expect(wizard.blockedBecause).toMatch(/^Sync link 1 cannot carry the pair: nothing came back/);
    verdict = 'ok';
    await links.measure();
    expect(wizard.blockedBecause).toBeNull();
    // Another level wants other figures: the measurement no longer counts (Level 1 also names its cluster).
    pair.clusterAddress = '10.0.0.50';
    pair.level = 1;
    expect(links.current).toBe(false);
    expect(wizard.blockedBecause).toBe('Measure the sync links to go on.');
  });

  it('puts the engine’s refusal of an address beside its field while the links are unchanged', async () => {
    const { pair } = await ready({
      measureLinks: () => {
        throw {
          code: 'invalid-input',
          message: 'The link addresses collide.',
          detail: {
            issues: [
              { field: 'links.0.localAddress', message: '172.30.0.1 is already on HV-A’s adapter MGMT.' },
            ],
          },
        };
      },
    });
    await useLinksStore().measure();
    expect(pair.fieldErrors['links.0.localAddress']).toBe('172.30.0.1 is already on HV-A’s adapter MGMT.');
    pair.links[0]!.localAddress = '172.30.0.5';
    pair.links[0]!.remoteAddress = '172.30.0.6';
    expect(pair.fieldErrors['links.0.localAddress']).toBeUndefined();
  });

  it('holds Next when the witness was checked and a server could not reach it', async () => {
    const { client, pair } = await ready({
      measureLinks: () => measured('ok'),
      checkWitness: (input: { witness: unknown }) => ({
        witness: input.witness,
        ok: false,
        from: [
          { computerName: 'HV-A', ok: true, message: 'Wrote 39 bytes…', rttMs: 1 },
          { computerName: 'HV-B', ok: false, message: 'The share was not found from HV-B.', rttMs: null },
        ],
      }),
    });
    const wizard = useWizardStore();
    wizard.resumeAt('pair');
    pair.level = 2;
    pair.witnessMode = 'file-share';
    await useLinksStore().measure();
    expect(wizard.blockedBecause).toBeNull();
    await useWitnessStore().check();
    expect(client.callsOf('checkWitness')[0]).toEqual({
      sessions: ['sA', 'sB'],
      witness: { kind: 'file-share', address: '\\\\FILES\\twinlock' },
    });
    expect(wizard.blockedBecause).toMatch(/^HV-B could not reach the witness/);
  });
});

describe('Review and apply', () => {
  async function planned(handlers: Parameters<typeof withTwoSessions>[0] = {}) {
    const ctx = await ready({ plan: () => plan, measureLinks: () => measured('ok'), ...handlers });
    ctx.pair.level = 2;
    ctx.pair.witnessMode = 'none';
    ctx.pair.noWitnessAccepted = true;
    const review = useReviewStore();
    await review.ensure();
    return { ...ctx, review };
  }

  it('plans the configuration on the Pair screen and groups the steps by server, in order', async () => {
    const { client, review, pair } = await planned();
    expect(client.callsOf('plan')).toEqual([{ kind: 'pair', config: pair.config }]);
    expect(review.groups.map((g) => [g.computerName, g.steps.map((s) => s.id)])).toEqual([
      ['HV-A', ['primary/address/0', 'primary/create']],
      ['HV-B', ['secondary/address/0']],
    ]);
    await review.ensure();
    expect(client.callsOf('plan')).toHaveLength(1);
    pair.name = 'HV-PAIR-2';
    expect(review.current).toBe(false);
    expect(planFileName(plan)).toBe('HV-PAIR.plan.json');
    expect(JSON.parse(planText(plan))).toEqual(plan);
  });

  it('applies exactly the plan shown, with the sessions', async () => {
    const { client, review, pair } = await planned({
      applyPlan: () => ({ jobId: 'j1' }),
      job: () => ({
        id: 'j1',
        kind: 'pair',
        state: 'cancelled',
        percent: 0,
        message: '',
        hosts: {},
        result: null,
        error: null,
        startedAt: '',
        endedAt: '',
      }),
    });
    await useApplyStore().start(review.plan!, pair.config!);
    expect(client.callsOf('applyPlan')).toEqual([{ plan, sessions: ['sA', 'sB'] }]);
    expect(useApplyStore().appliedPlan).toEqual(plan);
  });

  it('shows a stale plan’s differences', async () => {
    const drift = [
      { server: 'HV-A', what: 'adapter SYNC1', planned: 'status Up', now: 'status Disconnected' },
    ];
    const { review, pair } = await planned({
      applyPlan: () => {
        throw {
          code: 'plan-stale',
          message: 'HV-A changed since the plan was made.',
          hint: 'Plan again.',
          detail: { drift },
        };
      },
    });
    const apply = useApplyStore();
    await apply.start(review.plan!, pair.config!);
    expect(apply.error?.code).toBe('plan-stale');
    expect(apply.drift).toEqual(drift);
    expect(apply.appliedPlan).toBeNull();
  });
});

describe('the last screen', () => {
  it('runs the drill chosen and keeps its result, a failed one with its reason', async () => {
    const result = {
      kind: 'link-loss',
      level: 2,
      result: 'failed',
      reason: 'HV-B could not take over.',
      measuredDowntimeMs: 4200,
      agentDowntimeMs: 4000,
      sampleIntervalMs: 50,
      serverTimeScale: 1,
      vms: [],
      timeline: [],
      startedAt: '2026-12-02T12:00:00Z',
      elapsedMs: 9000,
      finalState: 'degraded',
    };
    const client = await withTwoSessions({
      drill: () => ({ jobId: 'd1' }),
      job: () => ({
        id: 'd1',
        kind: 'drill',
        state: 'failed',
        percent: 100,
        message: 'Failed',
        hosts: {},
        result,
        error: null,
        startedAt: '',
        endedAt: '',
      }),
    });
    const drill = useDrillStore();
    drill.kind = 'link-loss';
    await drill.run();
    expect(client.callsOf('drill')).toEqual([{ sessions: ['sA', 'sB'], kind: 'link-loss' }]);
    expect(drill.state).toBe('done');
    expect(drill.result?.reason).toBe('HV-B could not take over.');
  });

  it('removes protection by planning an unpairing and applying exactly that plan', async () => {
    const unpairPlan = { ...plan, kind: 'unpair' as const };
    const client = await withTwoSessions({
      plan: () => unpairPlan,
      applyPlan: () => ({ jobId: 'u1' }),
      job: () => ({
        id: 'u1',
        kind: 'pair',
        state: 'done',
        percent: 100,
        message: 'Done',
        hosts: {},
        result: null,
        error: null,
        startedAt: '',
        endedAt: '',
      }),
    });
    const unpair = useUnpairStore();
    await unpair.makePlan();
    expect(client.callsOf('plan')).toEqual([{ kind: 'unpair', sessions: ['sA', 'sB'] }]);
    expect(unpair.groups).toHaveLength(2);
    await unpair.apply();
    expect(client.callsOf('applyPlan')).toEqual([{ plan: unpairPlan, sessions: ['sA', 'sB'] }]);
    expect(unpair.removed).toBe(true);
  });
});
