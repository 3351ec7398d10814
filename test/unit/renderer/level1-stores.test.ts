/**
 * The wizard's stores at Level 1 against a fake engine: the cluster's name and address checked as
 * typed and sent to verify, Test-Cluster's absence explained, the Pair screen's cluster (prefilled
 * from Verify, or made from the pair's name) and Windows' witnesses, the cloud witness's key sent
 * with the apply and kept nowhere else, the draft keeping the cluster, the Done screen reading the
 * pair's level from the servers, and removing the cluster with or without the feature.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentStatus, Finding, PairProposal, Plan, VerifyReport } from '../../../engine/api';
import { WizardDraftSchema } from '../../../engine/api/models/draft';
import { ClusterConfigSchema } from '../../../engine/api/models/cluster';
import { CLUSTER_ADDRESS_MESSAGE, CLUSTER_NAME_MESSAGE, suggestClusterName } from '../../../engine/api/rules';
import { useApplyStore } from '../../../renderer/src/stores/apply';
import { useDoneStore } from '../../../renderer/src/stores/done';
import { clusterStateTag } from '../../../renderer/src/stores/done-cluster';
import { useDraftStore } from '../../../renderer/src/stores/draft';
import { drillKindsFor, drillText } from '../../../renderer/src/stores/drill';
import { usePairStore, witnessModesFor } from '../../../renderer/src/stores/pair';
import { useUnpairStore } from '../../../renderer/src/stores/unpair';
import { clusterProblems, testClusterNotRun, useVerifyStore } from '../../../renderer/src/stores/verify';
import { setApiClient } from '../../../renderer/src/api/client';
import { fakeClient } from './fake-client';
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
    level: 1,
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
    { level: 3, ready: true, reasons: [], blockers: [] },
  ],
};

function finding(over: Partial<Finding>): Finding {
  return {
    ruleId: 'os.build',
    category: 'Operating system',
    title: 'Windows build',
    severity: 'pass',
    values: ['20348', '20348'],
    reason: 'Same build.',
    remedy: '',
    explain: '',
    fixId: null,
    fixOn: [],
    ...over,
  };
}

function report(over: Partial<VerifyReport> = {}): VerifyReport {
  return {
    level: 1,
    outcome: 'ready',
    verdict: 'Ready for Level 1',
    findings: [],
    hosts: [] as never,
    ranAt: '2026-12-03T09:00:00Z',
    blockersByLevel: [0, 0, 0],
    targets: [],
    ...over,
  };
}

const clusterStatus: NonNullable<AgentStatus['cluster']> = {
  name: 'HV-PAIR-CL',
  addresses: ['10.0.0.50'],
  description: 'twinlock pair=HV-PAIR; level=1',
  domain: 'contoso.local',
  nodes: [
    { name: 'HV-A', state: 'Up' },
    { name: 'HV-B', state: 'Up' },
  ],
  quorum: {
    type: 'NodeAndFileShareMajority',
    witness: { kind: 'file-share', address: '\\\\FILES\\twinlock', state: 'Online' },
  },
  roles: [{ name: 'SQL01', vm: 'SQL01', ownerNode: 'HV-A', state: 'Online' }],
  networks: [],
};

function status(nodeId: string, withCluster: boolean): AgentStatus {
  return {
    nodeId,
    role: nodeId === 'HV-A' ? 'primary' : 'secondary',
    pair: {
      name: 'HV-PAIR',
      peer: nodeId === 'HV-A' ? 'HV-B' : 'HV-A',
      state: 'protected',
      progress: 100,
      links: [],
      witness: null,
      level: 1,
    },
    vms: [{ name: 'SQL01', state: 'Running', protected: true }],
    ...(withCluster ? { cluster: clusterStatus } : {}),
  };
}

const plan: Plan = {
  format: 'twinlock-plan/1',
  kind: 'pair',
  createdAt: '2026-12-03T09:00:00Z',
  pair: {
    name: 'HV-PAIR',
    level: 1,
    links: [link],
    witness: { kind: 'cloud', address: 'contosowitness' },
    vms: ['SQL01'],
    cluster: { name: 'HV-PAIR-CL', address: '10.0.0.50' },
  },
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
  steps: [],
  scripts: {},
  totals: { changes: { primary: 0, secondary: 0 }, restarts: [] },
  hash: 'a'.repeat(64),
};

const doneJob = (id: string) => () => ({
  id,
  kind: 'pair',
  state: 'done',
  percent: 100,
  message: 'Done',
  hosts: {},
  result: null,
  error: null,
  startedAt: '',
  endedAt: '',
});

beforeEach(() => setActivePinia(createPinia()));

describe('the cluster’s name and address, as typed', () => {
  it('says what is wrong in the contract’s own words, and nothing when both are left empty on Verify', () => {
    expect(clusterProblems('', '', false)).toEqual({});
    expect(clusterProblems('HV-PAIR-CL', '10.0.0.50', true)).toEqual({});
    expect(clusterProblems('HV_PAIR', '10.0.0.50', false).name).toBe(CLUSTER_NAME_MESSAGE);
    expect(clusterProblems('A-NAME-THAT-IS-TOO-LONG', '10.0.0.50', false).name).toBe(CLUSTER_NAME_MESSAGE);
    expect(clusterProblems('12345', '10.0.0.50', false).name).toBe(CLUSTER_NAME_MESSAGE);
    expect(clusterProblems('-CL', '10.0.0.50', false).name).toBe(CLUSTER_NAME_MESSAGE);
    expect(clusterProblems('HV-PAIR-CL', '10.0.0.500', false).address).toBe(CLUSTER_ADDRESS_MESSAGE);
    expect(clusterProblems('HV-PAIR-CL', '10.0.0.050', false).address).toBe(CLUSTER_ADDRESS_MESSAGE);
    // Half typed: the other field asks for its value.
    expect(clusterProblems('HV-PAIR-CL', '', false).address).toMatch(/Enter the cluster’s static address/);
    expect(clusterProblems('', '10.0.0.50', false).name).toMatch(/^Enter the cluster’s name\./);
    // The Pair screen needs both.
    expect(Object.keys(clusterProblems('', '', true)).sort()).toEqual(['address', 'name']);
  });

  it('agrees with ClusterConfigSchema on what it accepts', () => {
    for (const [name, address] of [
      ['HV-PAIR-CL', '10.0.0.50'],
      ['HV_PAIR', '10.0.0.50'],
      ['1234', '10.0.0.5'],
      ['CLUSTER-01', '256.1.1.1'],
      ['C', '0.0.0.0'],
      ['ABCDEFGHIJKLMNOP', '10.0.0.1'],
    ] as const) {
      const schemaOk = ClusterConfigSchema.safeParse({ name, address }).success;
      expect(Object.keys(clusterProblems(name, address, true)).length === 0, `${name} ${address}`).toBe(
        schemaOk,
      );
    }
  });

  it('suggests a NetBIOS name from the pair’s name', () => {
    expect(suggestClusterName('HV-PAIR')).toBe('HV-PAIR-CL');
    expect(suggestClusterName('Finance pair 2026 east')).toBe('FINANCE-PAIR-CL');
    expect(suggestClusterName('site.b_01')).toBe('SITE-B-01-CL');
    expect(suggestClusterName('2026')).toBe('2026-CL');
    expect(suggestClusterName('...')).toBe('TWINLOCK-CL');
    for (const name of ['HV-PAIR', 'Finance pair 2026 east', 'a-b-c-d-e-f-g-h-i', '-x-']) {
      expect(ClusterConfigSchema.shape.name.safeParse(suggestClusterName(name)).success).toBe(true);
    }
  });
});

describe('Verify at Level 1', () => {
  it('sends the cluster typed with the level, waits while it is half typed, and holds a report for another cluster stale', async () => {
    const client = await withTwoSessions({ verify: () => report() });
    const verify = useVerifyStore();
    verify.level = 1;
    await verify.run();
    expect(client.callsOf('verify')).toEqual([{ sessions: ['sA', 'sB'], level: 1 }]);
    expect(verify.current).toBe(true);

    verify.clusterName = 'HV-PAIR-CL';
    await verify.run();
    // Half typed: said beside the field, nothing sent.
    expect(client.callsOf('verify')).toHaveLength(1);
    expect(verify.clusterErrors.address).toMatch(/Enter the cluster’s static address/);

    verify.clusterAddress = '10.0.0.50';
    expect(verify.current).toBe(false);
    await verify.run();
    expect(client.callsOf('verify')[1]).toEqual({
      sessions: ['sA', 'sB'],
      level: 1,
      cluster: { name: 'HV-PAIR-CL', address: '10.0.0.50' },
    });
    expect(verify.current).toBe(true);
    verify.clusterAddress = '10.0.0.51';
    expect(verify.current).toBe(false);
  });

  it('sends no cluster at another level', async () => {
    const client = await withTwoSessions({ verify: () => report({ level: 3 }) });
    const verify = useVerifyStore();
    verify.clusterName = 'HV-PAIR-CL';
    verify.clusterAddress = '10.0.0.50';
    await verify.run();
    expect(client.callsOf('verify')).toEqual([{ sessions: ['sA', 'sB'], level: 3 }]);
  });

  it('says why Test-Cluster did not run: the blocker that stopped it first', () => {
    const validation = {
      nodes: ['HV-A', 'HV-B'],
      reportPath: 'C:\\Windows\\Cluster\\Reports\\Validation Report.htm',
      ranAt: '2026-12-03T09:00:00Z',
      result: 'passed' as const,
      categories: [],
    };
    expect(testClusterNotRun(report({ clusterValidation: validation }))).toBeNull();
    expect(testClusterNotRun(report({ level: 3 }))).toBeNull();
    const blocked = report({
      outcome: 'blocked',
      clusterValidation: null,
      findings: [
        finding({ ruleId: 'cpu.model', category: 'Processor', title: 'Processor', severity: 'blocker' }),
        finding({
          ruleId: 'cluster.logon',
          category: 'Cluster',
          title: 'Logon kind',
          severity: 'blocker',
          reason: 'A key logon has no network credentials.',
          remedy: 'Connect with the account’s password.',
        }),
      ],
    });
    expect(testClusterNotRun(blocked)).toBe(
      'Windows’ Test-Cluster did not run: “Logon kind” blocks it. Connect with the account’s password.',
    );
    expect(testClusterNotRun(report({ clusterValidation: null }))).toMatch(/press Verify again/);
    // The engine's own finding about the validation says it best.
    const notRun = finding({
      ruleId: 'cluster.validation',
      category: 'Cluster',
      title: 'Windows cluster validation (Test-Cluster)',
      severity: 'warning',
      reason: 'Test-Cluster could not run from HV-A (the FailoverClusters module is not installed yet).',
      remedy: 'Clear what stops it, then verify again at Level 1.',
    });
    expect(testClusterNotRun({ ...blocked, findings: [...blocked.findings, notRun] })).toBe(
      'Test-Cluster could not run from HV-A (the FailoverClusters module is not installed yet). Clear what stops it, then verify again at Level 1.',
    );
  });
});

describe('Pair at Level 1', () => {
  async function ready() {
    const client = await withTwoSessions({
      proposePair: () => proposal,
      plan: () => plan,
      applyPlan: () => ({ jobId: 'p1' }),
      job: () => ({
        id: 'p1',
        kind: 'pair',
        state: 'done',
        percent: 100,
        message: 'Protected',
        hosts: {},
        result: {
          pairId: 'x',
          state: 'protected',
          elapsedMs: 1,
          status: [status('HV-A', true), status('HV-B', true)],
        },
        error: null,
        startedAt: '',
        endedAt: '',
      }),
    });
    return client;
  }

  it('takes the cluster Verify checked', async () => {
    await ready();
    const verify = useVerifyStore();
    verify.clusterName = 'SQL-CLUSTER';
    verify.clusterAddress = '10.0.0.60';
    const pair = usePairStore();
    await pair.propose();
    expect([pair.clusterName, pair.clusterAddress]).toEqual(['SQL-CLUSTER', '10.0.0.60']);
  });

  it('suggests a name from the pair’s, follows the pair’s name until the admin types one, and needs both fields', async () => {
    await ready();
    const pair = usePairStore();
    await pair.propose();
    pair.level = 1;
    expect(pair.clusterName).toBe('HV-PAIR-CL');
    expect(pair.clusterAddress).toBe('');
    expect(pair.problems).toContain(
      'Enter the cluster’s static address on the business network, for example 10.0.0.50.',
    );
    pair.name = 'SITE-B';
    expect(pair.clusterName).toBe('SITE-B-CL');
    pair.clusterName = 'OWN-NAME';
    pair.name = 'SITE-C';
    expect(pair.clusterName).toBe('OWN-NAME');
    pair.clusterName = 'bad name';
    expect(pair.clusterErrors.name).toBe(CLUSTER_NAME_MESSAGE);
    expect(pair.config).toBeNull();
  });

  it('offers Windows’ witnesses at Level 1 and the agent’s witness server only at Levels 2 and 3', async () => {
    expect(witnessModesFor(1)).toEqual(['file-share', 'disk', 'cloud', 'none']);
    expect(witnessModesFor(3)).toEqual(['file-share', 'host', 'none']);
    await ready();
    const pair = usePairStore();
    await pair.propose();
    pair.level = 1;
    pair.clusterAddress = '10.0.0.50';
    pair.witnessMode = 'host';
    pair.witnessAddress = 'witness01';
    expect(pair.problems.some((p) => p.startsWith('A witness server is the agent’s'))).toBe(true);
    expect(pair.config).toBeNull();
    pair.witnessMode = 'disk';
    expect(pair.witnessErrors.address).toBe('Enter the cluster disk’s name, for example Cluster Disk 1.');
    pair.witnessAddress = 'Cluster Disk 1';
    expect(pair.config).toMatchObject({
      level: 1,
      witness: { kind: 'disk', address: 'Cluster Disk 1' },
      cluster: { name: 'HV-PAIR-CL', address: '10.0.0.50' },
    });
    pair.level = 2;
    expect(pair.config).toBeNull();
    expect(pair.problems.some((p) => p.startsWith('A cluster disk or a cloud witness serves'))).toBe(true);
  });

  it('sends a cloud witness’s key with the apply only: never in the configuration, the plan request or the draft', async () => {
    const client = await ready();
    const pair = usePairStore();
    await pair.propose();
    pair.level = 1;
    pair.clusterAddress = '10.0.0.50';
    pair.witnessMode = 'cloud';
    pair.witnessAddress = 'Contoso';
    expect(pair.witnessErrors.address).toMatch(/3 to 24 lowercase letters and digits/);
    pair.witnessAddress = 'contosowitness';
    expect(pair.witnessErrors.key).toBe('Enter the storage account’s access key.');
    expect(pair.config).toBeNull();
    const key = 'c2VjcmV0LWtleS1mb3ItdGVzdHM=';
    pair.cloudWitnessKey = key;
    const config = pair.config;
    expect(config?.witness).toEqual({ kind: 'cloud', address: 'contosowitness' });
    expect(JSON.stringify(config)).not.toContain(key);

    const draft = useDraftStore().snapshot();
    expect(JSON.stringify(draft)).not.toContain(key);
    expect(draft.pair?.cluster).toEqual({ name: 'HV-PAIR-CL', address: '10.0.0.50' });
    expect(WizardDraftSchema.safeParse(draft).success).toBe(true);

    const apply = useApplyStore();
    await apply.start(plan, config!, pair.cloudWitnessKey);
    expect(client.callsOf('applyPlan')).toEqual([{ plan, sessions: ['sA', 'sB'], cloudWitnessKey: key }]);
    expect(JSON.stringify(client.callsOf('saveWizardDraft'))).not.toContain(key);
  });

  it('sends no key for another witness, even one typed before', async () => {
    const client = await ready();
    const pair = usePairStore();
    await pair.propose();
    pair.level = 1;
    pair.clusterAddress = '10.0.0.50';
    pair.cloudWitnessKey = 'left-over';
    pair.witnessMode = 'file-share';
    await useApplyStore().start(plan, pair.config!, pair.cloudWitnessKey);
    expect(client.callsOf('applyPlan')).toEqual([{ plan, sessions: ['sA', 'sB'] }]);
  });
});

describe('the draft at Level 1', () => {
  it('loads a draft saved before the cluster was asked for, and puts a saved cluster back', async () => {
    const old = {
      step: 'pair',
      servers: ['10.0.0.21:22', '10.0.0.22:22'],
      savedAt: '2026-12-01T00:00:00Z',
      pair: {
        name: 'HV-PAIR',
        level: 3,
        links: [link],
        witnessMode: 'file-share',
        witnessAddresses: { host: '', 'file-share': '\\\\FILES\\twinlock' },
        witnessPort: '',
        noWitnessAccepted: false,
        vms: ['SQL01'],
      },
    };
    expect(WizardDraftSchema.safeParse(old).success).toBe(true);
    // A key can never ride along: the schema is strict.
    const withKey = { ...old, pair: { ...old.pair, cloudWitnessKey: 'x' } };
    expect(WizardDraftSchema.safeParse(withKey).success).toBe(false);

    const kept = WizardDraftSchema.parse({
      ...old,
      pair: { ...old.pair, name: 'SITE-B', level: 1, cluster: { name: 'SITE-B-SQL', address: '10.0.0.70' } },
    });
    const session = (id: string, address: string, name: string) => ({
      sessionId: id,
      address,
      port: 22,
      username: 'Administrator',
      fingerprint: `SHA256:${id.repeat(43).slice(0, 43)}`,
      newlyPinned: false,
      computerName: name,
      osCaption: 'Windows Server 2022',
      isAdmin: true,
    });
    setApiClient(
      fakeClient({
        wizardDraft: (() => kept) as never,
        saveWizardDraft: (() => ({})) as never,
        sessions: (() => [session('sA', '10.0.0.21', 'HV-A'), session('sB', '10.0.0.22', 'HV-B')]) as never,
        status: (() => ({ nodeId: 'n', role: 'none', pair: null, vms: [] })) as never,
        proposePair: (() => proposal) as never,
      }),
    );
    await useDraftStore().resume();
    const pair = usePairStore();
    // The name is put back first: its suggestion does not win over the cluster name kept.
    expect([pair.name, pair.level, pair.clusterName, pair.clusterAddress]).toEqual([
      'SITE-B',
      1,
      'SITE-B-SQL',
      '10.0.0.70',
    ]);
  });
});

describe('the Done screen at Level 1', () => {
  it('reads the pair’s level from the servers (a clustered pair is Level 1), whatever the Pair screen says', async () => {
    await withTwoSessions({
      status: (input: { sessionId: string }) => status(input.sessionId === 'sA' ? 'HV-A' : 'HV-B', true),
    });
    const done = useDoneStore();
    expect(usePairStore().level).toBe(3);
    await done.loadStatus();
    expect(done.pairLevel).toBe(1);
    expect(done.cluster?.name).toBe('HV-PAIR-CL');
    expect(drillKindsFor(done.pairLevel)).toEqual(['primary-loss', 'drain', 'live-migration']);
    expect(drillText('primary-loss', 1).does).toMatch(/Stop-ClusterNode/);
    expect(drillText('primary-loss', 3).does).not.toMatch(/cluster/);
  });

  it('names node and role states with Windows’ words and a tag that follows them', () => {
    expect(clusterStateTag('Up')).toBe('success');
    expect(clusterStateTag('Online')).toBe('success');
    expect(clusterStateTag('Paused')).toBe('warning');
    expect(clusterStateTag('Failed')).toBe('error');
    expect(clusterStateTag('Unknown')).toBe('default');
  });

  it('removes the cluster keeping the feature unless asked, planning again when the choice changes', async () => {
    const unpairPlan = { ...plan, kind: 'unpair' as const };
    const client = await withTwoSessions({
      status: (input: { sessionId: string }) => status(input.sessionId === 'sA' ? 'HV-A' : 'HV-B', true),
      plan: () => unpairPlan,
      applyPlan: () => ({ jobId: 'u1' }),
      job: doneJob('u1'),
    });
    await useDoneStore().loadStatus();
    const unpair = useUnpairStore();
    expect(unpair.clustered).toBe(true);
    expect(unpair.clusterName).toBe('HV-PAIR-CL');
    await unpair.makePlan();
    expect(client.callsOf('plan')).toEqual([
      { kind: 'unpair', sessions: ['sA', 'sB'], removeFeature: false },
    ]);
    unpair.removeFeature = true;
    // The plan on screen was made without removing the feature: applying waits for the new one.
    expect(unpair.planMatches).toBe(false);
    await unpair.apply();
    expect(client.callsOf('applyPlan')).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(client.callsOf('plan')[1]).toEqual({
      kind: 'unpair',
      sessions: ['sA', 'sB'],
      removeFeature: true,
    });
    expect(unpair.planMatches).toBe(true);
    await unpair.apply();
    expect(client.callsOf('applyPlan')).toEqual([{ plan: unpairPlan, sessions: ['sA', 'sB'] }]);
    expect(unpair.removed).toBe(true);
    expect(unpair.removedCluster).toBe('HV-PAIR-CL');
  });
});
