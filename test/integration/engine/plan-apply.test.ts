/**
 * Plans applied by the engine against the lab, on servers whose sync-link adapters start without
 * addresses: `pair` is making the plan and applying it (the link addresses set first); `unpair`
 * leaves no pair and no link address; a pairing stopped with Twinlock and rolled back on resume
 * removes the addresses its journal says it set.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobSnapshotOf, PairConfig, TwinlockEngine } from '../../../engine/api';
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

const A = () => lab.host('TL-NODE-A');
const B = () => lab.host('TL-NODE-B');
const pairOf = (h: LabHost) => (h.agentStatus()?.pair ?? null) as { name: string; state: string } | null;
const linkAddresses = (h: LabHost) =>
  h.profile.nics.filter((n) => n.name.startsWith('SLOT 3')).flatMap((n) => n.ipv4.map((ip) => ip.address));
const until = (check: () => boolean) =>
  waitFor(
    [
      { emitter: A(), events: ['ctl', 'pair-state', 'addresses'] },
      { emitter: B(), events: ['ctl', 'pair-state', 'addresses'] },
    ],
    check,
  );

const config = (name: string): PairConfig => ({
  name,
  level: 3,
  primary: ids[0],
  secondary: ids[1],
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '172.30.1.1',
      remoteAddress: '172.30.1.2',
      prefixLength: 30,
    },
    {
      localNic: 'SLOT 3 Port 2',
      remoteNic: 'SLOT 3 Port 2',
      localAddress: '172.30.2.1',
      remoteAddress: '172.30.2.2',
      prefixLength: 30,
    },
  ],
  witness: null,
  vms: ['SQL01'],
});

const newEngine = () => createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });

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

beforeAll(async () => {
  lab = await startLab({ profile: 'unaddressed-links', timeScale: 60, latencyMs: 1 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-plan-apply-'));
  engine = newEngine();
  ids = await connect(engine);
  await trustPackagePublisher(engine.api);
  const installed = await engine.api.waitJob({ jobId: (await engine.api.install({ sessions: ids })).jobId });
  expect(installed.error).toBeNull();
});

afterEach(async () => {
  B().faults.syncLinkDown = false;
  await engine.api.unpair({ sessions: ids }).catch(() => undefined);
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('pair and unpair through plans', () => {
  it('pair sets the link addresses first and reaches protected; unpair leaves no pair and no link address', async () => {
    const ref = await engine.api.pair(config('PAIR-E1'));
    const done = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'pair'>;
    expect(done.error).toBeNull();
    expect(done.result).toMatchObject({
      state: 'protected',
      planHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(linkAddresses(A())).toEqual(['172.30.1.1', '172.30.2.1']);
    expect(linkAddresses(B())).toEqual(['172.30.1.2', '172.30.2.2']);
    const journal = JSON.parse(await readFile(join(dataDir, 'journal', 'pair', `${ref.jobId}.json`), 'utf8'));
    expect(Object.keys(journal.hosts[0].steps)).toEqual(
      expect.arrayContaining([
        'address:SLOT 3 Port 1|172.30.1.1',
        'address:SLOT 3 Port 2|172.30.2.1',
        'create',
      ]),
    );
    expect(journal.addresses).toHaveLength(4);

    const outcomes = await engine.api.unpair({ sessions: [ids[1], ids[0]] });
    expect(outcomes.map((o) => [o.computerName, o.pair, o.removed])).toEqual([
      ['TL-NODE-B', null, false],
      ['TL-NODE-A', 'PAIR-E1', true],
    ]);
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(linkAddresses(A())).toEqual([]);
    expect(linkAddresses(B())).toEqual([]);
  });

  it('a plan applied without sessions finds its servers by address; stopped and rolled back on resume, it removes the addresses it set', async () => {
    const plan = await engine.api.plan({ kind: 'pair', config: config('PAIR-E2') });
    const ref = await engine.api.applyPlan({ plan });
    await until(() => pairOf(B())?.state === 'mirroring');
    await engine.close();
    B().faults.syncLinkDown = true;
    expect(linkAddresses(A())).toHaveLength(2);

    engine = newEngine();
    const resumed = await engine.api.resumeJob({ jobId: ref.jobId, password: lab.hosts[0]!.password });
    const done = await engine.api.waitJob({ jobId: resumed.jobId });
    expect(done.state).toBe('cancelled');
    expect(done.error?.message).toContain('rolled it back');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(linkAddresses(A())).toEqual([]);
    expect(linkAddresses(B())).toEqual([]);
    ids = (await engine.api.sessions({})).map((s) => s.sessionId) as [string, string];
  });
});
