/**
 * `twinlock drill` and `twinlock report` against a lab running in this process (so that the test
 * can slow its clock and inject the fault): the downtime Twinlock measured, the exit codes, the
 * protection report in HTML and PDF.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAIR_PHASES } from '../../../lab/agent';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { browserCandidates } from '../../../engine/verify/report';
import { runTwinlock } from './twinlock';

let lab: Lab;
let home: string;
let a: string;
let b: string;
let env: Record<string, string>;
const DRILL_SCALE = 20;

const twinlock = (args: string[]) => runTwinlock(args, { TWINLOCK_HOME: home, ...env });

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-drill-'));
  lab = await startLab({ profile: 'matched-pair', timeScale: 600 });
  [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
  env = { TWINLOCK_PASSWORD: lab.hosts[0]!.password };
  const asked = await twinlock(['install', a, b, '--trust-new', '--json']);
  const thumbprint = JSON.parse(asked.stdout.trim().split('\n').at(-1)!).error.detail.thumbprint;
  const installed = await twinlock(['install', a, b, '--trust-publisher', thumbprint, '--json']);
  expect(installed.code, installed.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

/** `twinlock pair` at a level, then the lab's clock slowed for the drill (moved past the pairing's phases). */
async function pairAt(level: number): Promise<void> {
  lab.clock.timeScale = 600;
  const run = await twinlock([
    'pair',
    a,
    b,
    '--name',
    `PAIR-L${level}`,
    '--level',
    String(level),
    '--no-witness',
    '--json',
  ]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  lab.clock.timeScale = DRILL_SCALE;
  lab.clock.pause();
  await lab.clock.advance(PAIR_PHASES.pairing + PAIR_PHASES.mirroring + PAIR_PHASES.syncing);
  lab.clock.resume();
}

describe('twinlock drill', () => {
  it('refuses without --yes when it cannot ask, saying what it would do', async () => {
    const run = await twinlock(['drill', a, b, '--kind', 'primary-loss']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/simulate the loss of the primary's side/);
    expect(run.stderr).toMatch(/--yes/);
  });

  it('takes --kind and --watch VM=PORT only in their forms', async () => {
    const kind = await twinlock(['drill', a, b, '--kind', 'power-cut', '--yes', '--json']);
    expect(kind.code).toBe(1);
    expect(JSON.parse(kind.stdout).error.message).toContain('--kind');
    const watch = await twinlock([
      'drill',
      a,
      b,
      '--kind',
      'link-loss',
      '--watch',
      'SQL01',
      '--yes',
      '--json',
    ]);
    expect(watch.code).toBe(1);
    expect(JSON.parse(watch.stdout).error.message).toContain('VM=PORT');
  });

  it('Level 3: prints the timeline and 0 ms of downtime measured by Twinlock, ends protected', async () => {
    await pairAt(3);
    const run = await twinlock(['drill', a, b, '--kind', 'primary-loss', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Downtime measured by Twinlock: 0 ms (agent: 0 ms)');
    expect(run.stdout).toMatch(/failed-over\s+TL-NODE-B/);
    expect(run.stdout).toContain('resynchronising');
    expect(run.stdout).toMatch(/Drill passed: primary-loss at Level 3, the pair is protected again/);
    // Live progress, one line per server as its state changes.
    expect(run.stderr).toMatch(/TL-NODE-B: failed-over/);
    const status = await twinlock(['status', a, '--json']);
    expect(JSON.parse(status.stdout).pair.state).toBe('protected');
  }, 60_000);

  it('writes the protection report with the drill in it, as HTML and as PDF', async () => {
    const out = join(home, 'protection.html');
    const run = await twinlock(['report', a, b, '--format', 'html', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h2>Failover drill</h2>');
    expect(html).toContain('Passed: primary-loss at Level 3');
    expect(html).toContain('PAIR-L3');
  }, 60_000);

  it.skipIf(!browserCandidates().some((p) => existsSync(p)))(
    'prints the report to PDF',
    async () => {
      const out = join(home, 'protection.pdf');
      const run = await twinlock(['report', a, b, '--format', 'pdf', '--out', out, '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ path: out, format: 'pdf' });
      expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
    },
    90_000,
  );

  it('Level 2: seconds of downtime in server time', async () => {
    await twinlock(['unpair', a, b, '--yes', '--json']);
    await pairAt(2);
    const run = await twinlock(['drill', a, b, '--kind', 'primary-loss', '--yes', '--json']);
    expect(run.code, run.stdout).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(result.result).toBe('passed');
    expect(result.agentDowntimeMs).toBe(6000);
    const serverMs = result.measuredDowntimeMs * result.serverTimeScale;
    expect(serverMs).toBeGreaterThan(2000);
    expect(serverMs).toBeLessThan(15_000);
  }, 60_000);

  it('fails with the reason (exit 1) when the secondary cannot take over', async () => {
    lab.host('TL-NODE-B').faults.drillTakeoverFails = true;
    try {
      const run = await twinlock(['drill', a, b, '--kind', 'primary-loss', '--yes']);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Drill FAILED: TL-NODE-B could not take over/);
      expect(run.stdout).toMatch(/the pair is degraded/);
    } finally {
      lab.host('TL-NODE-B').faults.drillTakeoverFails = false;
    }
  }, 60_000);

  // Level 1 is a failover cluster with no agent: its drills are in drill-level1.test.ts.
});
