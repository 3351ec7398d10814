/**
 * The whole wizard against the lab over real SSH: connect, verify, install, propose, apply,
 * status, export.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, HostSession, PairConfig, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import { verifyBundle } from '../../../engine/bundle/bundle';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { trustPackagePublisher } from './trust-publisher';

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
const events: ApiEvent[] = [];
let sessions: [HostSession, HostSession];
let config: PairConfig;

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-flow-'));
  engine = createEngine({ dataDir, lab: { hosts: lab.hosts } });
  engine.subscribe((e) => events.push(e));
  await trustPackagePublisher(engine.api);
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the wizard against the lab', () => {
  it('connects to both servers, pinning their keys', async () => {
    const suggestions = await engine.api.suggestions({});
    expect(suggestions.hosts).toHaveLength(2);
    const [a, b] = lab.hosts;
    sessions = (await Promise.all(
      [a!, b!].map((h) =>
        engine.api.connect({
          address: h.address,
          port: h.port,
          username: h.username,
          password: h.password,
          acceptFingerprint: h.fingerprint,
        }),
      ),
    )) as [HostSession, HostSession];
    expect(sessions.map((s) => s.computerName)).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    expect(sessions.every((s) => s.isAdmin && s.newlyPinned)).toBe(true);
    expect(sessions[0].fingerprint).toBe(a!.fingerprint);
    expect(await engine.api.sessions({})).toHaveLength(2);
  });

  it('verifies the matched pair as ready for Level 3', async () => {
    const report = await engine.api.verify({
      sessions: [sessions[0].sessionId, sessions[1].sessionId],
      level: 3,
    });
    const problems = report.findings
      .filter((f) => f.severity !== 'pass')
      .map((f) => `${f.ruleId}: ${f.values.join(' / ')}`);
    expect(problems).toEqual([]);
    expect(report.outcome).toBe('ready');
    expect(report.verdict).toBe('Ready for Level 3');
    expect(report.hosts[0].vms.length).toBeGreaterThan(0);
  });

  it('installs the agent on both servers', async () => {
    const ref = await engine.api.install({ sessions: [sessions[0].sessionId, sessions[1].sessionId] });
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    expect(done.kind === 'install' && done.result?.map((r) => [r.computerName, r.action, r.version])).toEqual(
      [
        ['TL-NODE-A', 'installed', '3.2.1'],
        ['TL-NODE-B', 'installed', '3.2.1'],
      ],
    );
    expect(Object.values(done.hosts).map((h) => h.state)).toEqual(['done', 'done']);
    const inv = await engine.api.inventory({ sessionId: sessions[1].sessionId });
    expect(inv.agentVersion).toBe('3.2.1');
    // A second run leaves both servers alone.
    const again = await engine.api.waitJob({
      jobId: (await engine.api.install({ sessions: [sessions[0].sessionId, sessions[1].sessionId] })).jobId,
    });
    expect(again.kind === 'install' && again.result?.map((r) => r.action)).toEqual([
      'already-installed',
      'already-installed',
    ]);
  });

  it('proposes a pair and applies it until protected', async () => {
    const proposal = await engine.api.proposePair({
      primary: sessions[0].sessionId,
      secondary: sessions[1].sessionId,
    });
    config = proposal.config;
    expect(config.level).toBe(3);
    expect(config.links.length).toBeGreaterThanOrEqual(1);
    expect(config.vms).toEqual(proposal.vms.map((v) => v.name));
    const ref = await engine.api.pair(config);
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    if (done.kind !== 'pair' || !done.result) throw new Error('no apply result');
    expect(done.result.state).toBe('protected');
    const seen = new Set(
      events.flatMap((e) =>
        e.type === 'job' && e.job.id === ref.jobId ? Object.values(e.job.hosts).map((h) => h.step) : [],
      ),
    );
    expect([...seen]).toEqual(expect.arrayContaining(['mirroring', 'protected']));
  });

  it('reports both servers protected', async () => {
    const p = await engine.api.status({ sessionId: sessions[0].sessionId });
    const s = await engine.api.status({ sessionId: sessions[1].sessionId });
    expect(p.role).toBe('primary');
    expect(s.role).toBe('secondary');
    expect(p.pair?.state).toBe('protected');
    expect(s.pair?.state).toBe('protected');
    expect(
      p.vms
        .filter((v) => v.protected)
        .map((v) => v.name)
        .sort(),
    ).toEqual([...config.vms].sort());
  });

  it('exports a signed bundle with no secret in it', async () => {
    const { path, bundle } = await engine.api.exportBundle({ config });
    expect(path.startsWith(join(dataDir, 'bundles'))).toBe(true);
    const text = await readFile(path, 'utf8');
    expect(verifyBundle(text)).toEqual(bundle);
    expect(bundle.hosts.map((h) => h.computerName)).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    for (const h of lab.hosts) expect(text).not.toContain(h.password);
    expect(text).not.toMatch(/password|token/i);
    // Nothing secret reached an event either, except the lab account offered by suggestions.
    const logs = events.filter((e) => e.type === 'log');
    for (const h of lab.hosts) expect(JSON.stringify(logs)).not.toContain(h.password);
  });
});
