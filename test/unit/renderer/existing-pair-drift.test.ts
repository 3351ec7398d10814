/**
 * Two servers that already hold a pair, against a fake engine: found from both agents' status,
 * said in one sentence, shown as the protected pair (Next from Connect goes to it, Back returns),
 * never walked through the steps again; checked against a bundle (drift), and brought back to it
 * through Review.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentStatus, Bundle, DriftReport, PairProposal } from '../../../engine/api';
import { useDriftStore } from '../../../renderer/src/stores/drift';
import { describeExisting, pairOf, useExistingPairStore } from '../../../renderer/src/stores/existing-pair';
import { useHostsStore } from '../../../renderer/src/stores/hosts';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { withTwoSessions } from './two-sessions';

function status(role: 'primary' | 'secondary' | 'none', name: string | null, peer = 'X'): AgentStatus {
  return {
    nodeId: `node-${role}`,
    role,
    pair:
      name === null
        ? null
        : {
            name,
            peer,
            state: 'protected',
            progress: 100,
            links: [{ local: 'SYNC1', remote: 'SYNC1', up: true, rttMs: 0.1, mbps: 9400 }],
            witness: { address: 'TL-WITNESS', reachable: true },
            level: 3,
          },
    vms: [
      { name: 'SQL01', state: 'Running', protected: true },
      { name: 'APP01', state: 'Running', protected: true },
      { name: 'TEST01', state: 'Off', protected: false },
    ],
  };
}

const report: DriftReport = {
  bundle: { name: 'PAIR-01', level: 3, createdAt: '2026-12-01T10:00:00.000Z' },
  pair: 'PAIR-01',
  servers: ['HV-B', 'HV-A'],
  checkedAt: '2026-12-02T10:00:00.000Z',
  matches: false,
  differences: [
    {
      field: 'vms',
      what: 'VM APP01',
      expected: 'protected',
      actual: 'not protected',
      change: 'Protect APP01',
    },
  ],
};

const bundle = {
  format: 'twinlock-bundle',
  createdAt: '2026-12-01T10:00:00.000Z',
  pair: {
    name: 'PAIR-01',
    level: 3,
    links: [{ localNic: 'SYNC1', remoteNic: 'SYNC1' }],
    witness: { kind: 'host', address: 'TL-WITNESS' },
    vms: ['SQL01', 'APP01'],
  },
} as unknown as Bundle;

const proposal = (primary: string, secondary: string): PairProposal => ({
  config: {
    name: 'HV-PAIR',
    level: 3,
    primary,
    secondary,
    links: [
      {
        localNic: 'SYNC1',
        remoteNic: 'SYNC1',
        localAddress: '172.30.0.1',
        remoteAddress: '172.30.0.2',
        prefixLength: 30,
      },
    ],
    witness: null,
    vms: ['SQL01'],
  },
  nics: [[], []],
  vms: [
    { name: 'SQL01', state: 'Running', memoryBytes: 1 },
    { name: 'APP01', state: 'Running', memoryBytes: 1 },
  ],
  witnessChosen: false,
  levels: [],
});

beforeEach(() => setActivePinia(createPinia()));

/** Two different machines: each with its own host key (the shared helper gives both the same). */
function distinctKeys(): void {
  const hosts = useHostsStore();
  for (const [i, c] of Object.values(hosts.connections).entries())
    if (c.session) c.session = { ...c.session, fingerprint: `SHA256:${String(i).repeat(43)}` };
}

describe('an existing pair', () => {
  it('is two statuses with the same pair name, primary first whatever order they were picked in', () => {
    const found = pairOf(
      [status('secondary', 'PAIR-01'), status('primary', 'PAIR-01')],
      ['sA', 'sB'],
      ['HV-A', 'HV-B'],
    );
    expect(found).toMatchObject({ name: 'PAIR-01', sessions: ['sB', 'sA'], servers: ['HV-B', 'HV-A'] });
    expect(describeExisting(found!)).toBe('PAIR-01 — Level 3, witness TL-WITNESS, 2 VMs');
    expect(
      pairOf([status('primary', 'PAIR-01'), status('primary', 'OTHER')], ['sA', 'sB'], ['A', 'B']),
    ).toBeNull();
    expect(pairOf([status('none', null), status('none', null)], ['sA', 'sB'], ['A', 'B'])).toBeNull();
  });

  it('is said plainly on Connect, and Next leads to the protected pair, Back returns to Connect', async () => {
    const client = await withTwoSessions({
      status: ((input: { sessionId: string }) =>
        input.sessionId === 'sA' ? status('secondary', 'PAIR-01') : status('primary', 'PAIR-01')) as never,
    });
    distinctKeys();
    const wizard = useWizardStore();
    wizard.resumeAt('connect');
    const existing = useExistingPairStore();
    await existing.check();
    expect(existing.sentence).toBe(
      'These servers are already protected as PAIR-01 — Level 3, witness TL-WITNESS, 2 VMs.',
    );
    expect(wizard.showsExisting).toBe(true);
    expect(wizard.nextTitle).toBe('The protected pair');
    wizard.next();
    expect(wizard.step.id).toBe('done');
    wizard.back();
    expect(wizard.step.id).toBe('connect');
    // Nothing was planned or applied on the way.
    expect(client.calls.map((c) => c.method)).not.toContain('plan');
    expect(client.calls.map((c) => c.method)).not.toContain('applyPlan');
  });

  it('a pair found degraded is said to be paired, in its state, not protected', async () => {
    const degraded = (role: 'primary' | 'secondary') => {
      const st = status(role, 'PAIR-01');
      return { ...st, pair: { ...st.pair!, state: 'degraded' as const } };
    };
    await withTwoSessions({
      status: ((input: { sessionId: string }) =>
        input.sessionId === 'sA' ? degraded('primary') : degraded('secondary')) as never,
    });
    const existing = useExistingPairStore();
    await existing.check();
    expect(existing.sentence).toBe(
      'These servers are already paired as PAIR-01 — Level 3, witness TL-WITNESS, 2 VMs, degraded now.',
    );
  });

  it('servers without a pair (or without the agent) go on to Verify as before', async () => {
    await withTwoSessions({
      status: (() => {
        throw { code: 'agent-missing', message: 'No agent.' };
      }) as never,
    });
    distinctKeys();
    const wizard = useWizardStore();
    wizard.resumeAt('connect');
    expect(await useExistingPairStore().check()).toBeNull();
    wizard.next();
    expect(wizard.step.id).toBe('verify');
  });
});

describe('drift: the pair against a bundle', () => {
  it('asks the engine with the bundle text and the sessions primary first, and shows each difference', async () => {
    const client = await withTwoSessions({
      status: ((input: { sessionId: string }) =>
        input.sessionId === 'sA' ? status('secondary', 'PAIR-01') : status('primary', 'PAIR-01')) as never,
      drift: (() => report) as never,
    });
    await useExistingPairStore().check();
    const drift = useDriftStore();
    await drift.check('PAIR-01.twinlock.json', '{"bundle":1}');
    expect(client.callsOf('drift')).toEqual([
      { bundle: { text: '{"bundle":1}', name: 'PAIR-01.twinlock.json' }, sessions: ['sB', 'sA'] },
    ]);
    expect(drift.report?.differences[0]?.change).toBe('Protect APP01');
    expect(drift.correctable).toHaveLength(1);
  });

  it('a bundle of an untrusted signer waits for the admin, then is compared once trusted', async () => {
    let trusted = false;
    const client = await withTwoSessions({
      drift: (() => {
        if (!trusted)
          throw {
            code: 'bundle-untrusted',
            message: 'Untrusted signer.',
            detail: { fingerprint: `SHA256:${'K'.repeat(43)}` },
          };
        return { ...report, matches: true, differences: [] };
      }) as never,
      trustKey: (() => {
        trusted = true;
        return {};
      }) as never,
    });
    const drift = useDriftStore();
    await drift.check('b.twinlock.json', 'text');
    expect(drift.pending?.fingerprint).toBe(`SHA256:${'K'.repeat(43)}`);
    expect(drift.report).toBeNull();
    await drift.trust();
    expect(client.callsOf('trustKey')).toHaveLength(1);
    expect(drift.report?.matches).toBe(true);
  });

  it('“Bring it back” takes the bundle’s configuration for the pair’s sessions and opens Review', async () => {
    const client = await withTwoSessions({
      status: ((input: { sessionId: string }) =>
        input.sessionId === 'sA' ? status('secondary', 'PAIR-01') : status('primary', 'PAIR-01')) as never,
      drift: (() => report) as never,
      readBundle: (() => bundle) as never,
      proposePair: ((input: { primary: string; secondary: string }) =>
        proposal(input.primary, input.secondary)) as never,
    });
    const wizard = useWizardStore();
    wizard.resumeAt('done');
    await useExistingPairStore().check();
    const drift = useDriftStore();
    await drift.check('PAIR-01.twinlock.json', 'text');
    await drift.bringBack();
    // Proposed with the existing pair's primary first, not the order the servers were picked in.
    expect(client.callsOf('proposePair')).toEqual([{ primary: 'sB', secondary: 'sA' }]);
    const pair = usePairStore();
    expect(pair.config).toMatchObject({
      name: 'PAIR-01',
      primary: 'sB',
      secondary: 'sA',
      witness: { kind: 'host', address: 'TL-WITNESS' },
      vms: ['SQL01', 'APP01'],
    });
    expect(wizard.step.id).toBe('apply');
  });
});

describe('a bundle opened with Twinlock against a protected pair', () => {
  it('is compared with the pair (drift) on the last screen, never read into the Pair step', async () => {
    const client = await withTwoSessions({
      status: ((input: { sessionId: string }) =>
        input.sessionId === 'sA' ? status('secondary', 'PAIR-01') : status('primary', 'PAIR-01')) as never,
      drift: (() => ({ ...report, matches: true, differences: [] })) as never,
    });
    const opened = [{ name: 'PAIR-01.twinlock.json', text: '{"x":1}' }];
    (client as { takeOpenedBundle?: () => Promise<{ name: string; text: string } | null> }).takeOpenedBundle =
      async () => opened.shift() ?? null;
    distinctKeys();
    const wizard = useWizardStore();
    wizard.resumeAt('connect');
    await useExistingPairStore().check();
    const { useBundleStore } = await import('../../../renderer/src/stores/bundle');
    await useBundleStore().takeOpened();
    expect(wizard.step.id).toBe('done');
    expect(client.callsOf('drift')).toEqual([
      { bundle: { text: '{"x":1}', name: 'PAIR-01.twinlock.json' }, sessions: ['sB', 'sA'] },
    ]);
    expect(client.callsOf('readBundle')).toEqual([]);
    expect(useDriftStore().report?.matches).toBe(true);
  });

  it('removing protection forgets the pair found, so Connect no longer says it is there', async () => {
    const plan = { kind: 'unpair', pair: { name: 'PAIR-01' }, steps: [], servers: [] };
    await withTwoSessions({
      status: ((input: { sessionId: string }) =>
        input.sessionId === 'sA' ? status('secondary', 'PAIR-01') : status('primary', 'PAIR-01')) as never,
      plan: (() => plan) as never,
      applyPlan: (() => ({ jobId: 'j-unpair' })) as never,
      job: (() => ({
        id: 'j-unpair',
        kind: 'pair',
        state: 'done',
        hosts: {},
        result: null,
        error: null,
      })) as never,
    });
    const existing = useExistingPairStore();
    await existing.check();
    expect(existing.sentence).toMatch(/already protected as PAIR-01/);
    const { useUnpairStore } = await import('../../../renderer/src/stores/unpair');
    const unpair = useUnpairStore();
    await unpair.makePlan();
    await unpair.apply();
    expect(unpair.removed).toBe(true);
    expect(unpair.removedPair).toBe('PAIR-01');
    expect([existing.found, existing.sentence]).toEqual([null, null]);
  });
});
