/**
 * Failover drills against the lab over real SSH: a protected pair at each level, drilled while
 * Twinlock watches each VM from outside; the protection report made afterwards.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult, HostSession, ProtectionLevel, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { DRILL_TIMINGS, PAIR_PHASES } from '../../../lab/agent';
import { trustPackagePublisher } from './trust-publisher';

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let sessions: [HostSession, HostSession];
const ids = () => [sessions[0].sessionId, sessions[1].sessionId] as [string, string];
/** Lab seconds per real second during the drills: slow enough that a Level 2 takeover lasts ~300 ms. */
const DRILL_SCALE = 20;

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-drill-'));
  engine = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings: { drill: { sampleIntervalMs: 40 } } });
  await trustPackagePublisher(engine.api);
  sessions = (await Promise.all(
    lab.hosts.map((h) =>
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  )) as [HostSession, HostSession];
  const install = await engine.api.waitJob({ jobId: (await engine.api.install({ sessions: ids() })).jobId });
  expect(install.state).toBe('done');
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Pairs the servers at `level` (the engine's own pairing) until protected. */
async function pairAt(level: ProtectionLevel): Promise<void> {
  lab.clock.timeScale = 600;
  const proposal = await engine.api.proposePair({ primary: ids()[0], secondary: ids()[1] });
  const done = await engine.api.waitJob({
    jobId: (await engine.api.pair({ ...proposal.config, level, vms: ['SQL01', 'APP01'] })).jobId,
  });
  expect(done.error).toBeNull();
  expect(done.kind === 'pair' && done.result?.state).toBe('protected');
}

async function drill(kind: 'primary-loss' | 'link-loss'): Promise<DrillResult> {
  if (lab.clock.timeScale !== DRILL_SCALE) {
    // A slower clock stretches the time already spent: move it on past the pairing's phases.
    lab.clock.timeScale = DRILL_SCALE;
    lab.clock.pause();
    await lab.clock.advance(PAIR_PHASES.pairing + PAIR_PHASES.mirroring + PAIR_PHASES.syncing);
    lab.clock.resume();
  }
  const ref = await engine.api.drill({ sessions: ids(), kind, watchPorts: {} });
  const job = await engine.api.waitJob({ jobId: ref.jobId });
  expect(job.error).toBeNull();
  if (job.kind !== 'drill' || !job.result) throw new Error('no drill result');
  return job.result;
}

const unpair = async () => {
  await engine.api.unpair({ sessions: ids() });
};

describe('failover drills measured from outside', () => {
  it('refuses a drill on servers that are not paired', async () => {
    await expect(
      engine.api.drill({ sessions: ids(), kind: 'primary-loss', watchPorts: {} }),
    ).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/not paired/) });
  });

  it('Level 3: no downtime seen, the timeline, protected again', async () => {
    await pairAt(3);
    const r = await drill('primary-loss');
    expect(r.result).toBe('passed');
    expect(r.measuredDowntimeMs).toBe(0);
    expect(r.agentDowntimeMs).toBe(0);
    expect(r.finalState).toBe('protected');
    expect(r.sampleIntervalMs).toBeGreaterThan(0);
    expect(r.sampleIntervalMs).toBeLessThanOrEqual(100);
    expect(r.serverTimeScale).toBeGreaterThan(DRILL_SCALE / 2);
    const states = r.timeline.map((e) => e.state);
    expect(states).toEqual(expect.arrayContaining(['failed-over', 'resynchronising', 'protected']));
    expect(r.timeline.find((e) => e.state === 'failed-over')?.node).toBe('TL-NODE-B');
    expect(r.vms.map((v) => v.name).sort()).toEqual(['APP01', 'SQL01']);
    // The primary stopped its copy: Twinlock saw it from outside.
    expect(r.timeline.some((e) => e.state === 'vm-stopped' && e.node === 'TL-NODE-A')).toBe(true);
    const status = await engine.api.status({ sessionId: ids()[0] });
    expect(status.pair?.state).toBe('protected');
    expect(status.role).toBe('primary');
  });

  it('the protection report shows the pair, verification, the drill; what is missing says so', async () => {
    await engine.api.verify({ sessions: ids(), level: 3 });
    const out = join(dataDir, 'report.html');
    const written = await engine.api.exportProtectionReport({ sessions: ids(), format: 'html', path: out });
    const html = await readFile(out, 'utf8');
    expect(Buffer.from(written.contentBase64, 'base64').toString('utf8')).toBe(html);
    for (const section of [
      'The pair',
      'Verification',
      'The plan applied',
      'Link measurements',
      'Failover drill',
      'Times',
    ])
      expect(html).toContain(`<h2>${section}</h2>`);
    expect(html).toContain('Downtime measured by Twinlock: <strong>0 ms</strong>');
    // The pairing that made this pair recorded its plan: the report shows its steps and scripts.
    expect(html).not.toContain('No plan recorded');
    expect(html).toContain('invoke-twinlockctl');
    expect(html).toContain('Ready for Level 3');
    expect(html).not.toContain('verified again for this report');
    expect(html).toContain('Not measured');
    expect(html).toContain('TL-NODE-A');
    expect(html).toContain('SQL01');
    expect(html).not.toMatch(/<(link|script|img)\b|https?:\/\//);
  });

  it('Level 2: a few seconds of server time with the VM running nowhere', async () => {
    await unpair();
    await pairAt(2);
    const r = await drill('primary-loss');
    expect(r.result).toBe('passed');
    expect(r.agentDowntimeMs).toBe(DRILL_TIMINGS.takeover[2] * 1000);
    const serverMs = r.measuredDowntimeMs * r.serverTimeScale;
    expect(serverMs).toBeGreaterThan(2000);
    expect(serverMs).toBeLessThan(15_000);
    expect(r.finalState).toBe('protected');
  });

  it('link-loss at Level 2: degraded, no VM outage, protected again', async () => {
    const r = await drill('link-loss');
    expect(r.result).toBe('passed');
    expect(r.measuredDowntimeMs).toBe(0);
    expect(r.timeline.map((e) => e.state)).toContain('degraded');
    expect(r.finalState).toBe('protected');
  });

  it('Level 1 (a failover cluster, no agent): the VMs restart on the other server after the profile’s failover time', async () => {
    await unpair();
    // Level 1 is Windows' Failover Clustering: the feature on both, the cluster made by the pairing.
    for (const h of lab.hosts) lab.host(h.name).profile.roles.failoverClustering = true;
    lab.clock.timeScale = 600;
    const proposal = await engine.api.proposePair({ primary: ids()[0], secondary: ids()[1] });
    const paired = await engine.api.waitJob({
      jobId: (
        await engine.api.pair({
          ...proposal.config,
          level: 1,
          vms: ['SQL01', 'APP01'],
          cluster: { name: 'DRILL-CL', address: '192.168.50.60' },
          witness: lab.suggestedWitness!,
        })
      ).jobId,
    });
    expect(paired.error).toBeNull();
    lab.clock.timeScale = DRILL_SCALE;
    const r = await drill('primary-loss');
    expect(r.result, r.reason ?? '').toBe('passed');
    expect(r.cluster).toBe('DRILL-CL');
    const failoverMs =
      (lab.host('TL-NODE-A').labWorld()!.clustering.timings.failoverSeconds * 1000) / DRILL_SCALE;
    for (const vm of r.vms) {
      expect(vm.downtimeMs, vm.name).toBeGreaterThan(failoverMs * 0.85);
      expect(vm.downtimeMs, vm.name).toBeLessThan(failoverMs * 1.5);
    }
    expect(r.timeline.map((e) => e.state)).toEqual(
      expect.arrayContaining(['node-stopped', 'failed-over', 'node-started', 'moved-back', 'protected']),
    );
    expect(r.finalState).toBe('protected');
    await engine.api.unpair({ sessions: ids() });
    for (const h of lab.hosts) lab.host(h.name).profile.roles.failoverClustering = false;
    // The next case drills an agent pair again.
    await pairAt(2);
  }, 90_000);

  it('a secondary that cannot take over: the drill fails with the reason', async () => {
    lab.host('TL-NODE-B').faults.drillTakeoverFails = true;
    try {
      const r = await drill('primary-loss');
      expect(r.result).toBe('failed');
      expect(r.reason).toMatch(/TL-NODE-B could not take over/);
      expect(r.finalState).toContain('degraded');
      expect(r.measuredDowntimeMs).toBeGreaterThan(0);
      const report = await engine.api.exportProtectionReport({ sessions: ids(), format: 'html' });
      expect(Buffer.from(report.contentBase64, 'base64').toString('utf8')).toContain('could not take over');
    } finally {
      lab.host('TL-NODE-B').faults.drillTakeoverFails = false;
    }
  }, 60_000);
});
