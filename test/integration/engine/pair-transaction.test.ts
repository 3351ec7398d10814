/**
 * Pairing as a transaction against the lab: a configuration the servers disagree with is refused
 * before anything changes; a failure after `pair create` leaves both servers unpaired (or says
 * exactly what is left and how to remove it); a pairing stopped with Twinlock is resumed when the
 * pair is healthy on both servers and rolled back otherwise.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, JobSnapshotOf, PairConfig, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { EngineOptions } from '../../../engine/engine';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';
import { trustPackagePublisher } from './trust-publisher';

const timings: NonNullable<EngineOptions['timings']> = {
  install: { busyRetryDelaysMs: [20, 20, 20], healthTimeoutMs: 3000, healthIntervalMs: 50 },
  pair: { pollIntervalMs: 30 },
};

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let ids: [string, string];
let events: ApiEvent[];

const A = () => lab.host('TL-NODE-A');
const B = () => lab.host('TL-NODE-B');
/** What the lab's agent says about a server's pair, straight from its state. */
const pairOf = (h: LabHost) => (h.agentStatus()?.pair ?? null) as { name: string; state: string } | null;
const protectedOn = (h: LabHost) =>
  ((h.agentStatus()?.vms ?? []) as Array<{ name: string; protected: boolean }>)
    .filter((v) => v.protected)
    .map((v) => v.name);

async function connect(e: TwinlockEngine): Promise<[string, string]> {
  const sessions = await Promise.all(
    lab.hosts.map((h) =>
      e.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  );
  return [sessions[0]!.sessionId, sessions[1]!.sessionId];
}

function newEngine(): TwinlockEngine {
  const e = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });
  e.subscribe((event) => events.push(event));
  return e;
}

async function proposal(): Promise<PairConfig> {
  return (await engine.api.proposePair({ primary: ids[0], secondary: ids[1] })).config;
}

async function applyAndWait(config: PairConfig): Promise<JobSnapshotOf<'pair'>> {
  const ref = await engine.api.pair(config);
  return (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'pair'>;
}

/** Resolves once `check` holds, looking again whenever a server's agent acts or its pair moves to its next phase. */
function until(check: () => boolean): Promise<void> {
  const events = ['ctl', 'pair-state', 'down', 'up'];
  return waitFor(
    [
      { emitter: A(), events },
      { emitter: B(), events },
    ],
    check,
  );
}

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 60, latencyMs: 1 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-pair-txn-'));
  events = [];
  engine = newEngine();
  ids = await connect(engine);
  await trustPackagePublisher(engine.api);
  const installed = await engine.api.waitJob({ jobId: (await engine.api.install({ sessions: ids })).jobId });
  expect(installed.error).toBeNull();
});

afterEach(async () => {
  for (const h of [A(), B()]) {
    h.faults.protectFails = [];
    h.faults.syncLinkDown = false;
    if (h.isDown()) h.powerOn();
  }
  // Whatever a test left behind goes, so that the next one starts from two unpaired servers.
  await engine.api.unpair({ sessions: ids }).catch(() => undefined);
  // Unpairing leaves the matched pair's own link addresses (the admin set them): nothing to give back.
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('pairing preflight', () => {
  it('refuses vms [""], a blank witness and a bad link address at once, before anything changes', async () => {
    const config = await proposal();
    // The contract refuses these at the door, every one at once, before a job even starts.
    const refused = await applyAndWait({
      ...config,
      vms: [''],
      witness: { kind: 'host', address: '   ' },
      links: [{ ...config.links[0]!, remoteAddress: '10.10.1.999' }],
    }).then(
      () => null,
      (err: { code: string; message: string; detail?: { issues?: Array<{ field: string }> } }) => err,
    );
    expect(refused?.code).toBe('invalid-input');
    const fields = new Set((refused?.detail?.issues ?? []).map((i) => i.field));
    expect([...fields].sort()).toEqual(['links.0.remoteAddress', 'vms.0', 'witness.address']);
    expect(refused?.message).toMatch(/^links\.0\.remoteAddress: /);
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    // Refused before the journal: nothing to resume.
    expect(await engine.api.resumableJobs({})).toEqual([]);
  });

  it('refuses a VM the primary lacks and a name differing only in case or spaces', async () => {
    const config = await proposal();
    const done = await applyAndWait({ ...config, vms: ['SQL01', 'sql01', ' APP01', 'GHOST'] });
    expect(done.error?.code).toBe('invalid-input');
    expect((done.error?.detail?.issues as Array<{ field: string }>).map((i) => i.field)).toEqual([
      'vms.1',
      'vms.2',
      'vms.3',
    ]);
    expect(done.error?.message).toContain('TL-NODE-A has no VM named "sql01"; it has "SQL01"');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
  });
});

describe('undo on failure', () => {
  it('a protect that fails after pair create: the VM protected before it is unprotected, the pair removed on both', async () => {
    A().faults.protectFails = ['APP01'];
    const config = { ...(await proposal()), vms: ['SQL01', 'APP01'] };
    const done = await applyAndWait(config);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('script-failed');
    expect(done.error?.message).toContain('failed while protecting the VMs');
    expect(done.error?.message).toContain('APP01 cannot be protected');
    expect(done.error?.message).toContain('TL-NODE-A and TL-NODE-B are not paired, as before');
    expect(done.error?.detail).toMatchObject({ step: 'protect', undo: { complete: true, remains: [] } });
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(protectedOn(A())).toEqual([]);
    // The job shows its undo steps, on each server.
    expect(done.hosts[ids[0]]?.logTail).toEqual([
      `Checking ${config.name} on TL-NODE-A`,
      'Unprotecting SQL01',
      `Removing pair ${config.name} from TL-NODE-A`,
      'TL-NODE-A is no longer paired',
    ]);
    expect(done.hosts[ids[1]]?.logTail).toEqual([
      `Checking ${config.name} on TL-NODE-B`,
      `Nothing of ${config.name} left on TL-NODE-B`,
    ]);
    // The journal on disk records the steps done and that they were undone.
    const journal = JSON.parse(await readFile(join(dataDir, 'journal', 'pair', `${done.id}.json`), 'utf8'));
    expect(journal.state).toBe('rolled-back');
    expect(Object.keys(journal.hosts[0].steps)).toEqual(
      expect.arrayContaining(['links', 'create', 'protect:SQL01', 'undo']),
    );
    expect(JSON.stringify(journal)).not.toMatch(/token/i);
  });

  it('a peer lost mid-pairing: the primary is cleaned up, the error names what remains on the lost server and the command that removes it', async () => {
    const config = await proposal();
    const ref = await engine.api.pair(config);
    await until(() => pairOf(A())?.state === 'mirroring');
    B().powerOff();
    const done = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'pair'>;
    expect(done.state).toBe('failed');
    expect(done.error?.message).toContain('failed while waiting for the pair to be protected');
    expect(done.error?.message).toContain(`TL-NODE-B still holds its part of pair ${config.name}`);
    const b = lab.hosts[1]!;
    const a = lab.hosts[0]!;
    const command = `twinlock unpair ${a.address}:${a.port} ${b.address}:${b.port} --yes`;
    expect(done.error?.hint).toContain(command);
    expect(done.error?.detail).toMatchObject({
      step: 'wait',
      undo: { complete: false, command, remains: [{ host: 'TL-NODE-B', address: `${b.address}:${b.port}` }] },
    });
    expect(pairOf(A())).toBeNull();
    expect(protectedOn(A())).toEqual([]);

    // Back on, the lost server still holds its broken half — exactly what the error said — and unpair removes it.
    B().powerOn();
    expect(pairOf(B())).toMatchObject({ name: config.name, state: 'broken' });
    const outcomes = await engine.api.unpair({ sessions: ids });
    expect(outcomes.map((o) => [o.computerName, o.pair, o.removed])).toEqual([
      ['TL-NODE-A', null, false],
      ['TL-NODE-B', config.name, true],
    ]);
    expect(pairOf(B())).toBeNull();
  });

  it('cancelling while the pair mirrors undoes it on both servers', async () => {
    const config = await proposal();
    const ref = await engine.api.pair(config);
    await until(() => pairOf(B())?.state === 'mirroring' && protectedOn(A()).length === config.vms.length);
    await engine.api.cancelJob({ jobId: ref.jobId });
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    expect(done.state).toBe('cancelled');
    expect(done.error?.message).toContain('Twinlock undid the pairing');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(protectedOn(A())).toEqual([]);
  });
});

describe('the pairing journal', () => {
  it('a pairing stopped with Twinlock is offered on the next start and finished when healthy on both servers', async () => {
    const config = await proposal();
    const ref = await engine.api.pair(config);
    await until(() => pairOf(B())?.state === 'mirroring');
    await engine.close();
    // Closing Twinlock leaves the pair as it is, to resume.
    expect(pairOf(A())?.name).toBe(config.name);

    engine = newEngine();
    const resumable = await engine.api.resumableJobs({});
    expect(resumable).toHaveLength(1);
    expect(resumable[0]).toMatchObject({
      jobId: ref.jobId,
      kind: 'pair',
      needsPassword: true,
      pair: { name: config.name, vms: config.vms },
    });
    expect(resumable[0]!.hosts[0]!.completed).toEqual(expect.arrayContaining(['links', 'create']));
    const resumed = await engine.api.resumeJob({ jobId: ref.jobId, password: lab.hosts[0]!.password });
    expect(resumed.kind).toBe('pair');
    const done = (await engine.api.waitJob({ jobId: resumed.jobId })) as JobSnapshotOf<'pair'>;
    expect(done.error).toBeNull();
    expect(done.result?.state).toBe('protected');
    expect(pairOf(A())).toMatchObject({ name: config.name, state: 'protected' });
    expect(pairOf(B())).toMatchObject({ name: config.name, state: 'protected' });
    expect(protectedOn(A())).toEqual(config.vms);
    expect(await engine.api.resumableJobs({})).toEqual([]);
    ids = (await engine.api.sessions({})).map((s) => s.sessionId) as [string, string];
  });

  it('a stopped pairing that is no longer healthy is rolled back on both servers', async () => {
    const config = await proposal();
    const ref = await engine.api.pair(config);
    await until(() => pairOf(B())?.state === 'mirroring');
    await engine.close();
    B().faults.syncLinkDown = true;
    expect(pairOf(A())?.state).toBe('degraded');

    engine = newEngine();
    const resumed = await engine.api.resumeJob({ jobId: ref.jobId, password: lab.hosts[0]!.password });
    const done = await engine.api.waitJob({ jobId: resumed.jobId });
    expect(done.state).toBe('cancelled');
    expect(done.error?.message).toContain('TL-NODE-A reports it degraded');
    expect(done.error?.message).toContain('rolled it back: TL-NODE-A and TL-NODE-B are not paired');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(protectedOn(A())).toEqual([]);
    expect(await engine.api.resumableJobs({})).toEqual([]);
    expect(existsSync(join(dataDir, 'journal', 'pair', `${ref.jobId}.json`))).toBe(true);
    ids = (await engine.api.sessions({})).map((s) => s.sessionId) as [string, string];
  });

  it('a resume that cannot reach a server changes nothing and keeps the journal for later', async () => {
    const config = await proposal();
    const ref = await engine.api.pair(config);
    await until(() => pairOf(B())?.state === 'mirroring');
    await engine.close();
    B().powerOff();

    engine = newEngine();
    const refused = await engine.api
      .resumeJob({ jobId: ref.jobId, password: lab.hosts[0]!.password })
      .catch((e: unknown) => e as { code: string });
    expect(refused).toMatchObject({ code: 'unreachable' });
    expect(pairOf(A())?.name).toBe(config.name);
    expect((await engine.api.resumableJobs({})).map((j) => j.jobId)).toEqual([ref.jobId]);

    B().powerOn();
    const resumed = await engine.api.resumeJob({ jobId: ref.jobId, password: lab.hosts[0]!.password });
    const done = await engine.api.waitJob({ jobId: resumed.jobId });
    expect(done.error).toBeNull();
    expect(pairOf(A())).toMatchObject({ name: config.name, state: 'protected' });
    expect(pairOf(B())).toMatchObject({ name: config.name, state: 'protected' });
    ids = (await engine.api.sessions({})).map((s) => s.sessionId) as [string, string];
  });
});
