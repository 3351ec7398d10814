/**
 * Verification against every lab profile over real SSH: each pair finds exactly what its profile
 * says, fixes change the verdict, and the report exports as JSON and HTML.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixId, FixResult, HostSession, JobSnapshotOf, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import { newHostKey } from '../../../lab/host-key';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { loadProfile, profileNames } from '../../../lab/profile';
import { trustPackagePublisher } from '../engine/trust-publisher';

let dataDir: string | null = null;
let lab: Lab | null = null;
let engine: TwinlockEngine | null = null;

afterEach(async () => {
  await engine?.close();
  await lab?.close();
  // A fresh data folder per lab: a later lab may get an earlier one's port with a new host key.
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  engine = null;
  lab = null;
  dataDir = null;
});

/** The administrators' key, for profiles whose servers take keys only (sshd_config PasswordAuthentication no). */
const adminKey = newHostKey();

async function open(profile: string): Promise<[TwinlockEngine, [HostSession, HostSession], Lab]> {
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-verify-'));
  const keysOnly = loadProfile({ profile }).hosts.some((h) => !h.ssh.passwordAuthentication);
  lab = await startLab({
    profile,
    timeScale: 600,
    latencyMs: 1,
    ...(keysOnly ? { authorizedKeys: [adminKey.public] } : {}),
  });
  engine = createEngine({
    dataDir,
    lab: { hosts: lab.hosts },
    timings: { fix: { pollMs: 50, rebootTimeoutMs: 20_000, restartDelaySeconds: 1 } },
  });
  const e = engine;
  await trustPackagePublisher(e.api);
  const sessions = (await Promise.all(
    lab.hosts.map((h) =>
      e.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        ...(keysOnly ? { privateKey: adminKey.private } : { password: h.password }),
        acceptFingerprint: h.fingerprint,
      }),
    ),
  )) as [HostSession, HostSession];
  return [e, sessions, lab];
}

describe('every lab profile verifies as its profile expects', () => {
  it('has at least twelve mismatch profiles, each with an expectation', () => {
    const names = profileNames();
    expect(names.filter((n) => n !== 'matched-pair').length).toBeGreaterThanOrEqual(12);
    for (const n of names) expect(loadProfile({ profile: n }).expect, n).toBeDefined();
  });

  it.each(profileNames())('%s', async (name) => {
    const expected = loadProfile({ profile: name }).expect!;
    const [e, [a, b]] = await open(name);
    const report = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: expected.level });
    const found = Object.fromEntries(
      report.findings.filter((f) => f.severity !== 'pass').map((f) => [f.ruleId, f.severity]),
    );
    expect(found).toEqual(expected.findings);
    expect(report.outcome).toBe(expected.outcome);
    expect(report.targets).toEqual([`${a.address}:${a.port}`, `${b.address}:${b.port}`]);
    // Both lab clocks are this machine's (plus any injected skew): the offset is measured, not guessed.
    expect(Math.abs(report.hosts[0].clockOffsetSeconds ?? 99)).toBeLessThan(2);
  });
});

/** Runs a fix as the shells do: a job, followed to its end; returns its result and the stages it went through. */
async function fix(
  e: TwinlockEngine,
  sessionId: string,
  fixId: FixId,
): Promise<FixResult & { stages: string[] }> {
  const stages: string[] = [];
  const off = e.subscribe((event) => {
    if (event.type === 'job' && event.job.kind === 'fix' && stages.at(-1) !== event.job.message)
      stages.push(event.job.message);
  });
  const ref = await e.api.applyFix({ sessionId, fixId });
  expect(ref.kind).toBe('fix');
  const job = (await e.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'fix'>;
  off();
  expect(job.error).toBeNull();
  expect(job.state).toBe('done');
  return { ...job.result!, stages };
}

describe('fixes from the engine', () => {
  it('installs Hyper-V, waits out the restart, and the verdict turns ready', async () => {
    const [e, [a, b], l] = await open('no-hyper-v');
    const before = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    expect(before.verdict).toBe('Not ready: 1 blocker');
    const finding = before.findings.find((f) => f.ruleId === 'roles.hyperv')!;
    expect(finding).toMatchObject({ fixId: 'install-hyperv', fixOn: [1] });
    const preview = await e.api.previewFix({ sessionId: b.sessionId, fixId: 'install-hyperv' });
    expect(preview).toMatchObject({
      needsReboot: true,
      scriptName: 'fix-install-feature',
      params: { name: 'Hyper-V' },
    });
    expect(preview.script).toContain('Install-WindowsFeature');
    const result = await fix(e, b.sessionId, 'install-hyperv');
    expect(result.rebooted).toBe(true);
    expect(result.report?.verdict).toBe('Ready for Level 3');
    expect(l.host('TL-NODE-B').profile.roles.hyperV).toBe(true);
    // The stages were progress lines (published at most every 100 ms, so a quick one may be skipped).
    expect(result.stages.some((m) => m.startsWith('Restarting TL-NODE-B'))).toBe(true);
    expect(result.stages.at(-1)).toMatch(/done, restarted and back\.$/);
  });

  it('stops waiting for a restart when cancelled, and says the restart goes on', async () => {
    const [e, [a, b], l] = await open('no-hyper-v');
    await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    // A restart of about half a minute: long enough to be cancelled while it lasts.
    l.host('TL-NODE-B').faults.rebootSeconds = 30 * 600;
    const ref = await e.api.applyFix({ sessionId: b.sessionId, fixId: 'install-hyperv' });
    await new Promise<void>((resolve) => {
      const off = e.subscribe((event) => {
        if (
          event.type === 'job' &&
          event.job.id === ref.jobId &&
          event.job.message.startsWith('Restarting TL-NODE-B')
        ) {
          off();
          resolve();
        }
      });
    });
    await e.api.cancelJob({ jobId: ref.jobId });
    const job = await e.api.waitJob({ jobId: ref.jobId });
    expect(job.state).toBe('cancelled');
    expect(job.error).toMatchObject({
      code: 'cancelled',
      message: 'Twinlock stopped waiting for TL-NODE-B; the restart itself goes on.',
    });
  });

  it('resynchronises a clock five minutes ahead', async () => {
    const [e, [a, b], l] = await open('clock-skew');
    const before = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    expect(before.findings.find((f) => f.ruleId === 'time.skew')).toMatchObject({
      severity: 'blocker',
      fixId: 'resync-time',
      fixOn: [1],
    });
    const result = await fix(e, b.sessionId, 'resync-time');
    expect(result.rebooted).toBe(false);
    expect(result.report?.outcome).toBe('ready');
    expect(l.host('TL-NODE-B').faults.clockSkewSeconds).toBe(0);
  });

  it('switches the power plan to High performance', async () => {
    const [e, [a, b], l] = await open('balanced-power');
    const before = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    expect(before.verdict).toBe('Ready for Level 3 with 1 warning');
    const result = await fix(e, b.sessionId, 'power-plan-high');
    expect(result.report?.verdict).toBe('Ready for Level 3');
    expect(l.host('TL-NODE-B').profile.powerPlan).toBe('High performance');
  });

  it('opens the agent’s firewall ports when a policy removed them', async () => {
    const [e, [a, b], l] = await open('matched-pair');
    await e.api.waitJob({ jobId: (await e.api.install({ sessions: [a.sessionId, b.sessionId] })).jobId });
    l.host('TL-NODE-A').firewallRules = [];
    const before = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    expect(before.findings.find((f) => f.ruleId === 'security.agent-ports')).toMatchObject({
      severity: 'warning',
      fixId: 'open-agent-ports',
      fixOn: [0],
    });
    const result = await fix(e, a.sessionId, 'open-agent-ports');
    expect(result.report?.findings.find((f) => f.ruleId === 'security.agent-ports')?.severity).toBe('pass');
  });

  it('restarts a server with a restart pending', async () => {
    const [e, [a, b]] = await open('pending-reboot');
    await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    const result = await fix(e, b.sessionId, 'restart');
    expect(result.rebooted).toBe(true);
    expect(result.report?.outcome).toBe('ready');
  });

  it('installs a staged update', async () => {
    const [e, [a, b]] = await open('missing-hotfix');
    await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    const result = await fix(e, b.sessionId, 'install-hotfix');
    expect(result.rebooted).toBe(true);
    expect(result.report?.verdict).toBe('Ready for Level 3');
  });

  it('exports the report as JSON and HTML', async () => {
    const [e, [a, b]] = await open('stepping-mismatch');
    const report = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 3 });
    expect(report.verdict).toBe('Ready for Level 2 only — 1 blocker for Level 3');
    const json = await e.api.exportReport({ report, format: 'json', path: join(dataDir!, 'r.json') });
    expect(JSON.parse(await readFile(json.path, 'utf8')).verdict).toBe(report.verdict);
    const html = await e.api.exportReport({ report, format: 'html' });
    const text = await readFile(html.path, 'utf8');
    expect(text).toContain('Ready for Level 2 only');
    expect(text).toContain('class="differ"');
    expect(text).not.toMatch(/<link|<script|src=/);
  });
});
