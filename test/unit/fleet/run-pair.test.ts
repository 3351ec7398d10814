/**
 * One pair of a fleet run, against a fake contract: Twinlock's steps in order, steps an earlier
 * run finished skipped, interrupted installs and pairings resumed from their journals, new host
 * keys accepted only when pinned or trusted, and the pair's sessions always closed. And the run of
 * many: one pair's failure leaves the others alone, cancelling stops them all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import type { JobSnapshot } from '../../../engine/api/jobs';
import type { Fleet, FleetOutcome, FleetPair } from '../../../engine/api/models';
import { createJobRunner } from '../../../engine/jobs/job-runner';
import type { FleetApi, PairRunOptions } from '../../../engine/fleet/run-pair';
import { runFleetPair } from '../../../engine/fleet/run-pair';
import { createFleetService } from '../../../engine/service/fleets';

const FP = (c: string) => `SHA256:${c.repeat(43)}`;
const pairOf = (name: string, n: number, extra: Partial<FleetPair> = {}): FleetPair => ({
  name,
  primary: { address: `10.0.${n}.21`, port: 22 },
  secondary: { address: `10.0.${n}.22`, port: 22 },
  ...extra,
});

interface FakeOptions {
  /** Addresses whose host key is not pinned yet (their key: FP('K')). */
  unknownKeys?: string[];
  blocked?: boolean;
  corrects?: unknown[] | undefined;
  resumable?: Array<{
    jobId: string;
    kind: 'install' | 'pair';
    hosts: Array<{ address: string; port: number }>;
  }>;
  failInstall?: string[];
  /** Resolves when a pair's install may finish (to hold it mid-way). */
  installGate?: Promise<void>;
  /** Told of each install as it starts. */
  onInstall?: (count: number) => void;
  /** Primaries whose connection drops while their pair is planned. */
  dropOnPlan?: string[];
  drift?: boolean;
  /** The bundle's level (3 when absent); at Level 1 the bundle names a cluster. */
  level?: 1 | 2 | 3;
  /** The bundle's witness is a cloud witness. */
  cloud?: boolean;
}

/** A fake contract that records every call. */
function fakeApi(o: FakeOptions = {}) {
  const calls: Array<[string, unknown]> = [];
  const open = new Set<string>();
  const jobs = new Map<string, JobSnapshot>();
  let n = 0;
  const job = (kind: string, state: string, error: unknown = null, result: unknown = null) => {
    const id = `job-${++n}`;
    jobs.set(id, {
      id,
      kind,
      state,
      percent: 100,
      message: '',
      hosts: {},
      error,
      result,
    } as unknown as JobSnapshot);
    return { jobId: id };
  };
  const rec = (m: string, input: unknown) => calls.push([m, input]);
  const api = {
    async connect(input: { address: string; port: number; acceptFingerprint?: string; password?: string }) {
      rec('connect', input);
      if (o.unknownKeys?.includes(input.address) && input.acceptFingerprint === undefined)
        throw new TwinlockError({
          code: 'unknown-host-key',
          message: 'new key',
          detail: { fingerprint: FP('K') },
        });
      const sessionId = `s-${input.address}`;
      open.add(sessionId);
      return {
        sessionId,
        address: input.address,
        port: input.port,
        username: 'Administrator',
        fingerprint: o.unknownKeys?.includes(input.address) ? FP('K') : FP('P'),
        newlyPinned: false,
        computerName: `NODE-${input.address}`,
        osCaption: '',
        isAdmin: true,
      };
    },
    async disconnect({ sessionId }: { sessionId: string }) {
      rec('disconnect', sessionId);
      open.delete(sessionId);
      return {};
    },
    async readBundle(input: unknown) {
      rec('readBundle', input);
      return {
        pair: {
          name: 'PAIR-01',
          level: o.level ?? 3,
          ...(o.level === 1 ? { cluster: { name: 'PAIR01-CL', address: '10.0.0.50' } } : {}),
          witness: o.cloud ? { kind: 'cloud', address: 'contosowitness' } : null,
        },
        hosts: [
          { role: 'primary', address: '10.0.1.21', port: 22, fingerprint: FP('P'), computerName: 'HV-A' },
          { role: 'secondary', address: '10.0.1.22', port: 22, fingerprint: FP('P'), computerName: 'HV-B' },
        ],
        agent: { version: '3.2.1' },
      };
    },
    async preflightBundle(input: {
      name: string;
      sessions: string[];
      clusterName?: string;
      clusterAddress?: string;
    }) {
      rec('preflightBundle', input);
      return {
        config: {
          name: input.name,
          level: o.level ?? 3,
          ...(o.level === 1
            ? {
                cluster: {
                  name: input.clusterName ?? 'PAIR01-CL',
                  address: input.clusterAddress ?? '10.0.0.50',
                },
              }
            : {}),
          primary: input.sessions[0],
          secondary: input.sessions[1],
          links: [],
          witness: null,
          vms: [],
        },
      };
    },
    async verify(input: unknown) {
      rec('verify', input);
      return o.blocked
        ? {
            outcome: 'blocked',
            verdict: 'blocked',
            findings: [
              {
                ruleId: 'cpu',
                severity: 'blocker',
                title: 'CPU model',
                reason: 'The CPUs differ.',
                remedy: 'Use two servers of the same model.',
              },
            ],
          }
        : { outcome: 'ready', verdict: 'ready', findings: [] };
    },
    async install(input: { sessions: string[] }) {
      rec('install', input);
      o.onInstall?.(calls.filter((c) => c[0] === 'install').length);
      await o.installGate;
      if (o.failInstall?.some((a) => input.sessions.includes(`s-${a}`)))
        return job('install', 'failed', {
          code: 'install-failed',
          message: 'msiexec 1603 on NODE',
          hint: 'Read the log.',
        });
      // A pair that already matches its bundle has the agent already.
      const action = o.corrects?.length === 0 ? 'already-installed' : 'installed';
      return job('install', 'done', null, [{ action }, { action }]);
    },
    async waitJob({ jobId }: { jobId: string }) {
      return jobs.get(jobId)!;
    },
    async cancelJob(input: unknown) {
      rec('cancelJob', input);
      return {};
    },
    async resumableJobs() {
      return (o.resumable ?? []).map((j) => ({
        ...j,
        hosts: j.hosts.map((h) => ({ ...h, computerName: 'X', username: 'Administrator', completed: [] })),
      }));
    },
    async resumeJob(input: { jobId: string }) {
      rec('resumeJob', input);
      return job(o.resumable?.find((j) => j.jobId === input.jobId)?.kind ?? 'install', 'done', null, []);
    },
    async plan(input: { config: { primary: string } }) {
      rec('plan', input);
      if (o.dropOnPlan?.some((a) => input.config.primary === `s-${a}`))
        throw new TwinlockError({
          code: 'connection-lost',
          message: 'The connection to NODE was lost.',
          hint: 'Check the network.',
        });
      return {
        pair: { level: 3 },
        steps: [{ changes: true }],
        ...(o.corrects !== undefined ? { corrects: o.corrects } : {}),
      };
    },
    async applyPlan(input: unknown) {
      rec('applyPlan', input);
      return job('pair', 'done', null, {});
    },
    async drift(input: unknown) {
      rec('drift', input);
      const matches = o.drift !== true;
      return {
        matches,
        differences: matches
          ? []
          : [
              {
                field: 'level',
                what: 'Protection level',
                expected: 'Level 3',
                actual: 'Level 1',
                change: 'Re-create',
              },
            ],
      };
    },
    async inventory(input: unknown) {
      rec('inventory', input);
      return { agentVersion: '3.2.1' };
    },
  };
  return { api: api as unknown as FleetApi, calls, open, methods: () => calls.map((c) => c[0]) };
}

const options: PairRunOptions = {
  mode: 'apply',
  check: false,
  bundle: '/b.json',
  credentials: { username: 'Administrator', password: 'secret-Passw0rd' },
  trustNew: false,
};

function hooks(api: FleetApi, finished: string[] = []) {
  const steps: string[] = [];
  const progress: unknown[] = [];
  return {
    steps,
    progress,
    hooks: {
      api,
      signal: new AbortController().signal,
      finished: finished as never,
      progress: (p: unknown) => progress.push(p),
      stepDone: async (s: string) => void steps.push(s),
      reached: async () => undefined,
      watchJob: () => () => undefined,
    },
  };
}

describe('one pair of a fleet', () => {
  it('runs connect, check, verify, install, plan, pair and drift, then closes its sessions', async () => {
    const fake = fakeApi();
    const h = hooks(fake.api);
    const pair = pairOf('P1', 1, {
      vms: ['SQL01'],
      linkAddresses: [{ localAddress: '172.30.0.1', remoteAddress: '172.30.0.2' }],
    });
    const outcome = await runFleetPair(pair, options, h.hooks);
    expect(outcome).toMatchObject({
      name: 'P1',
      result: 'protected',
      changed: true,
      resumed: [],
      servers: ['NODE-10.0.1.21', 'NODE-10.0.1.22'],
    });
    expect(fake.methods().filter((m) => m !== 'connect' && m !== 'disconnect')).toEqual([
      'readBundle',
      'preflightBundle',
      'verify',
      'install',
      'plan',
      'applyPlan',
      'drift',
    ]);
    expect(fake.calls.find((c) => c[0] === 'preflightBundle')![1]).toMatchObject({
      name: 'P1',
      vms: ['SQL01'],
      linkAddresses: pair.linkAddresses,
    });
    expect(h.steps).toEqual(['verify', 'install', 'plan', 'pair', 'drift']);
    expect(fake.open.size).toBe(0);
  });

  it('gives a Level 1 pair’s own cluster to the check, the verification and the drift, installs at Level 1, and the cloud witness key to the apply only', async () => {
    const fake = fakeApi({ level: 1 });
    const pair = pairOf('P2', 2, { cluster: { name: 'PAIR02-CL', address: '10.0.0.51' } });
    const key = 'c2VjcmV0LWNsb3VkLWtleQ==';
    const outcome = await runFleetPair(pair, { ...options, cloudWitnessKey: key }, hooks(fake.api).hooks);
    expect(outcome.result).toBe('protected');
    const input = (m: string) => fake.calls.find((c) => c[0] === m)![1];
    const own = { clusterName: 'PAIR02-CL', clusterAddress: '10.0.0.51' };
    expect(input('preflightBundle')).toMatchObject(own);
    expect(input('drift')).toMatchObject(own);
    expect(input('verify')).toMatchObject({ level: 1, cluster: { name: 'PAIR02-CL', address: '10.0.0.51' } });
    // No agent package at Level 1: the install enables Failover Clustering.
    expect(input('install')).toEqual({ sessions: ['s-10.0.2.21', 's-10.0.2.22'], level: 1 });
    expect(input('applyPlan')).toMatchObject({ cloudWitnessKey: key });
    for (const [method, args] of fake.calls)
      if (method !== 'applyPlan') expect(JSON.stringify(args) ?? '').not.toContain(key);
  });

  it('gives a pair that protects no VMs (vms: []) to the check and the drift as no VMs, not the bundle’s', async () => {
    const fake = fakeApi();
    await runFleetPair(pairOf('P1', 1, { vms: [] }), options, hooks(fake.api).hooks);
    expect(fake.calls.find((c) => c[0] === 'preflightBundle')![1]).toMatchObject({ vms: [] });
    expect(fake.calls.find((c) => c[0] === 'drift')![1]).toMatchObject({ vms: [] });
    const bundles = fakeApi();
    await runFleetPair(pairOf('P1', 1), options, hooks(bundles.api).hooks);
    expect(bundles.calls.find((c) => c[0] === 'preflightBundle')![1]).not.toHaveProperty('vms');
  });

  it('skips what an earlier run finished, and resumes an interrupted pairing from its journal', async () => {
    const fake = fakeApi({
      resumable: [
        {
          jobId: 'pj',
          kind: 'pair',
          hosts: [
            { address: '10.0.1.22', port: 22 },
            { address: '10.0.1.21', port: 22 },
          ],
        },
      ],
    });
    const h = hooks(fake.api, ['verify', 'install']);
    const outcome = await runFleetPair(pairOf('P1', 1), options, h.hooks);
    expect(outcome).toMatchObject({ result: 'protected', resumed: ['verify', 'install'] });
    expect(fake.methods()).not.toContain('install');
    expect(fake.methods()).not.toContain('verify');
    expect(fake.methods()).not.toContain('applyPlan');
    expect(fake.calls.find((c) => c[0] === 'resumeJob')![1]).toEqual({
      jobId: 'pj',
      password: 'secret-Passw0rd',
    });
  });

  it('resumes an interrupted install of these two servers (and no other’s)', async () => {
    const fake = fakeApi({
      resumable: [
        {
          jobId: 'other',
          kind: 'install',
          hosts: [
            { address: '10.0.1.21', port: 22 },
            { address: '10.0.7.7', port: 22 },
          ],
        },
        {
          jobId: 'mine',
          kind: 'install',
          hosts: [
            { address: '10.0.1.21', port: 22 },
            { address: '10.0.1.22', port: 22 },
          ],
        },
      ],
    });
    await runFleetPair(pairOf('P1', 1), options, hooks(fake.api).hooks);
    expect(fake.calls.filter((c) => c[0] === 'resumeJob').map((c) => c[1])).toEqual([
      { jobId: 'mine', password: 'secret-Passw0rd' },
    ]);
    expect(fake.methods()).not.toContain('install');
  });

  it('ends unchanged when the plan corrects nothing', async () => {
    const fake = fakeApi({ corrects: [] });
    const outcome = await runFleetPair(pairOf('P1', 1), options, hooks(fake.api).hooks);
    expect(outcome.result).toBe('unchanged');
    expect(fake.methods()).not.toContain('applyPlan');
  });

  it('fails at verify with the blocker’s reason and fix', async () => {
    const fake = fakeApi({ blocked: true });
    const outcome = await runFleetPair(pairOf('P1', 1), options, hooks(fake.api).hooks);
    expect(outcome).toMatchObject({
      result: 'failed',
      failedStep: 'verify',
      error: {
        code: 'incompatible',
        message: 'Verification found a blocker: CPU model: The CPUs differ.',
        hint: 'Use two servers of the same model.',
      },
    });
    expect(fake.methods()).not.toContain('install');
    expect(fake.open.size).toBe(0);
  });

  it('accepts a new host key only when the fleet file pins it or trustNew, and names the key to compare', async () => {
    const unknown = fakeApi({ unknownKeys: ['10.0.1.22'] });
    const refused = await runFleetPair(pairOf('P1', 1), options, hooks(unknown.api).hooks);
    expect(refused).toMatchObject({
      result: 'failed',
      failedStep: 'connect',
      error: { code: 'unknown-host-key' },
    });
    expect(refused.error?.message).toContain(FP('K'));
    expect(refused.error?.hint).toMatch(/fingerprints: \{ secondary: "SHA256:K+" \}|--trust-new/);
    expect(unknown.open.size).toBe(0);

    const pinned = fakeApi({ unknownKeys: ['10.0.1.22'] });
    const p = pairOf('P1', 1);
    p.secondary.fingerprint = FP('K');
    expect((await runFleetPair(p, options, hooks(pinned.api).hooks)).result).toBe('protected');
    expect(
      pinned.calls
        .filter((c) => c[0] === 'connect')
        .map((c) => (c[1] as { acceptFingerprint?: string }).acceptFingerprint),
    ).toContain(FP('K'));

    const other = fakeApi({ unknownKeys: ['10.0.1.22'] });
    p.secondary.fingerprint = FP('Z');
    expect((await runFleetPair(p, { ...options, trustNew: true }, hooks(other.api).hooks)).error?.code).toBe(
      'host-key-changed',
    );

    const trusted = fakeApi({ unknownKeys: ['10.0.1.22'] });
    expect(
      (await runFleetPair(pairOf('P1', 1), { ...options, trustNew: true }, hooks(trusted.api).hooks)).result,
    ).toBe('protected');
  });

  it('accepts a new host key given with --fingerprint when the fleet file pins none, and only that key', async () => {
    const given = fakeApi({ unknownKeys: ['10.0.1.22'] });
    const ok = await runFleetPair(
      pairOf('P1', 1),
      { ...options, fingerprints: [FP('K')] },
      hooks(given.api).hooks,
    );
    expect(ok.result).toBe('protected');
    expect(
      given.calls
        .filter((c) => c[0] === 'connect')
        .map((c) => (c[1] as { acceptFingerprint?: string }).acceptFingerprint),
    ).toContain(FP('K'));

    const wrong = fakeApi({ unknownKeys: ['10.0.1.22'] });
    const refused = await runFleetPair(
      pairOf('P1', 1),
      { ...options, fingerprints: [FP('Q')] },
      hooks(wrong.api).hooks,
    );
    expect(refused.error?.code).toBe('unknown-host-key');
    expect(refused.error?.hint).toContain(`--fingerprint ${FP('K')}`);

    // A key the fleet file pins wins over the command line's.
    const pinned = fakeApi({ unknownKeys: ['10.0.1.22'] });
    const p = pairOf('P1', 1);
    p.secondary.fingerprint = FP('Z');
    const changed = await runFleetPair(p, { ...options, fingerprints: [FP('K')] }, hooks(pinned.api).hooks);
    expect(changed.error?.code).toBe('host-key-changed');
  });

  it('checks for drift only in drift mode, and only plans with check', async () => {
    const drift = fakeApi({ drift: true });
    const d = await runFleetPair(pairOf('P1', 1), { ...options, mode: 'drift' }, hooks(drift.api).hooks);
    expect(d).toMatchObject({ result: 'drift', differences: [{ what: 'Protection level' }] });
    expect(drift.methods().filter((m) => m !== 'connect' && m !== 'disconnect')).toEqual(['drift']);

    const check = fakeApi();
    const c = await runFleetPair(pairOf('P1', 1), { ...options, check: true }, hooks(check.api).hooks);
    expect(c).toMatchObject({ result: 'planned', differences: [{ field: 'pair', actual: 'not paired' }] });
    expect(check.methods()).not.toContain('install');
    expect(check.methods()).not.toContain('applyPlan');
  });
});

describe('a fleet run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinlock-fleet-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fleet = (n: number): Fleet => ({
    source: 'fleet.yaml',
    bundle: '/b.json',
    pairs: Array.from({ length: n }, (_, i) => pairOf(`P${i + 1}`, i + 1)),
  });
  const request = (f: Fleet, extra = {}) => ({
    mode: 'apply' as const,
    fleet: f,
    parallel: 3,
    credentials: { username: 'Administrator', password: 'secret-Passw0rd' },
    ...extra,
  });

  function service(fake: ReturnType<typeof fakeApi>) {
    const jobs = createJobRunner(() => undefined, { throttleMs: 0 });
    const fleets = createFleetService({
      api: () => fake.api,
      jobs,
      dataDir: dir,
      log: () => undefined,
      watchJob: () => () => undefined,
    });
    return { jobs, fleets };
  }

  it('lets one pair fail alone, journals no secret, and resumes only the failed pair next time', async () => {
    const fake = fakeApi({ failInstall: ['10.0.4.21'] });
    const { jobs, fleets } = service(fake);
    const ref = await fleets.run(request(fleet(6)));
    const done = (await jobs.wait(ref.jobId)) as Extract<JobSnapshot, { kind: 'fleet' }>;
    expect(done.state).toBe('done');
    const result = done.result as FleetOutcome;
    expect(result.counts).toEqual({ protected: 5, failed: 1 });
    expect(result.pairs.find((p) => p.result === 'failed')).toMatchObject({
      name: 'P4',
      failedStep: 'install',
      error: { message: 'msiexec 1603 on NODE' },
    });
    expect(Object.keys(done.hosts)).toEqual(['P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
    expect(done.hosts.P4).toMatchObject({ state: 'failed', step: 'install' });
    expect(readFileSync(result.journal, 'utf8')).not.toContain('secret-Passw0rd');

    const again = fakeApi();
    const second = service(again);
    const ref2 = await second.fleets.run(request(fleet(6)));
    const result2 = (await second.jobs.wait(ref2.jobId)).result as FleetOutcome;
    expect(result2.counts).toEqual({ protected: 6 });
    expect(result2.pairs.find((p) => p.name === 'P4')?.resumed).toEqual(['verify']);
    expect(result2.pairs.filter((p) => p.resumed.length === 5)).toHaveLength(5);
    expect(again.calls.filter((c) => c[0] === 'install')).toHaveLength(1);
  });

  it('a dropped connection fails its own pair only', async () => {
    const fake = fakeApi({ dropOnPlan: ['10.0.2.21'] });
    const { jobs, fleets } = service(fake);
    const ref = await fleets.run(request(fleet(4), { restart: true }));
    const result = (await jobs.wait(ref.jobId)).result as FleetOutcome;
    expect(result.pairs.map((p) => [p.name, p.result, p.failedStep])).toEqual([
      ['P1', 'protected', undefined],
      ['P2', 'failed', 'plan'],
      ['P3', 'protected', undefined],
      ['P4', 'protected', undefined],
    ]);
    expect(result.pairs[1]!.error).toMatchObject({ code: 'connection-lost', hint: 'Check the network.' });
    expect(fake.calls.filter((c) => c[0] === 'applyPlan')).toHaveLength(3);
    expect(fake.open.size).toBe(0);
  });

  it('runs a Level 1 fleet with each pair’s cluster, journals the clusters and never the cloud witness key', async () => {
    const key = 'c2VjcmV0LWNsb3VkLWtleS1mbGVldA==';
    const l1: Fleet = {
      source: 'fleet-l1.yaml',
      bundle: '/b.json',
      pairs: [1, 2].map((n) =>
        pairOf(`L${n}`, n, { cluster: { name: `PAIR0${n}-CL`, address: `10.0.0.${49 + n}` } }),
      ),
    };
    const fake = fakeApi({ level: 1, cloud: true });
    const { jobs, fleets } = service(fake);
    const ref = await fleets.run(request(l1, { cloudWitnessKey: key, restart: true }));
    const result = (await jobs.wait(ref.jobId)).result as FleetOutcome;
    expect(result.counts).toEqual({ protected: 2 });
    const applied = fake.calls.filter((c) => c[0] === 'applyPlan').map((c) => c[1]);
    expect(applied).toHaveLength(2);
    for (const a of applied) expect(a).toMatchObject({ cloudWitnessKey: key });
    const journal = JSON.parse(readFileSync(result.journal, 'utf8'));
    expect(journal.pairs.L2.cluster).toEqual({ name: 'PAIR02-CL', address: '10.0.0.51' });
    expect(readFileSync(result.journal, 'utf8')).not.toContain(key);
  });

  it('refuses a Level 1 fleet before any pair starts: a pair without its cluster, or a cloud witness without its key', async () => {
    const noCluster = fakeApi({ level: 1 });
    await expect(service(noCluster).fleets.run(request(fleet(1)))).rejects.toMatchObject({
      code: 'invalid-input',
      message: /P1 has no cluster_name and cluster_address: the bundle PAIR-01 is Level 1/,
    });
    expect(noCluster.methods()).not.toContain('connect');
    const noKey = fakeApi({ level: 1, cloud: true });
    const l1: Fleet = {
      ...fleet(1),
      pairs: [pairOf('P1', 1, { cluster: { name: 'PAIR01-CL', address: '10.0.0.50' } })],
    };
    await expect(service(noKey).fleets.run(request(l1))).rejects.toMatchObject({
      code: 'invalid-input',
      message:
        'cloudWitnessKey: the bundle PAIR-01’s witness is the cloud witness contosowitness, and its access key was not given (a bundle never holds it, nor does a fleet file).',
      hint: /--cloud-witness-key-env/,
    });
    expect(noKey.methods()).not.toContain('connect');
    // A drift check changes nothing and needs no key.
    const drift = fakeApi({ level: 1, cloud: true });
    await expect(service(drift).fleets.run(request(l1, { mode: 'drift' }))).resolves.toHaveProperty('jobId');
  });

  it('says to give --bundle when the fleet names none', async () => {
    const { fleets } = service(fakeApi());
    await expect(fleets.run(request({ ...fleet(1), bundle: null }))).rejects.toMatchObject({
      code: 'invalid-input',
      hint: /--bundle/,
    });
  });

  it('stops every pair when cancelled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let threeStarted!: () => void;
    const started = new Promise<void>((r) => (threeStarted = r));
    const fake = fakeApi({ installGate: gate, onInstall: (n) => n === 3 && threeStarted() });
    const { jobs, fleets } = service(fake);
    const ref = await fleets.run(request(fleet(6), { restart: true }));
    await started;
    jobs.cancel(ref.jobId);
    release();
    const final = (await jobs.wait(ref.jobId)) as Extract<JobSnapshot, { kind: 'fleet' }>;
    expect(final.state).toBe('cancelled');
    // Three pairs had started; the other three never did.
    expect(fake.calls.filter((c) => c[0] === 'install')).toHaveLength(3);
    expect(Object.values(final.hosts).filter((h) => h.state === 'skipped')).toHaveLength(3);
    expect(fake.open.size).toBe(0);
  });
});
