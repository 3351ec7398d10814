/**
 * `twinlock drill` on a Level 1 pair (a Windows failover cluster of the two lab servers, no agent,
 * made by `twinlock pair --level 1`): primary-loss gives the restart downtime the profile's
 * failoverSeconds says, drain and live-migration a live migration's pause, link-loss is refused
 * with why and what to pick, and the pair is protected again after each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let lab: Lab;
let home: string;
let a: string;
let b: string;
let env: Record<string, string>;
/** Lab seconds per real second: the profile's 40-second failover takes one real second. */
const SCALE = 40;
const VMS = ['SQL01', 'APP01'];

const twinlock = (args: string[]) => runTwinlock(args, { TWINLOCK_HOME: home, ...env });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

/** The lab's Failover Clustering timings (the profile's). */
const timings = () => lab.host('TL-NODE-A').labWorld()!.clustering.timings;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-drill-l1-'));
  lab = await startLab({ profile: 'matched-pair', timeScale: SCALE });
  [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
  env = { TWINLOCK_PASSWORD: lab.hosts[0]!.password };
  // Failover Clustering installed on both; pair --level 1 makes the cluster with the VMs as its roles.
  for (const h of lab.hosts) lab.host(h.name).profile.roles.failoverClustering = true;
  const paired = await twinlock([
    'pair',
    a,
    b,
    '--trust-new',
    '--name',
    'PAIR01',
    '--level',
    '1',
    '--cluster-name',
    'PAIR01-CL',
    '--cluster-address',
    '192.168.50.50',
    '--witness',
    `share:${lab.suggestedWitness!.address}`,
    ...VMS.flatMap((vm) => ['--vm', vm]),
    '--json',
  ]);
  expect(paired.code, paired.stderr + paired.stdout).toBe(0);
  expect(lastJson(paired.stdout).result.state).toBe('protected');
}, 60_000);

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

/** The pair's status on the first server, and where each VM role is. */
async function protectedAgain(): Promise<void> {
  const status = await twinlock(['status', a, '--json']);
  expect(status.code, status.stderr).toBe(0);
  const s = lastJson(status.stdout);
  expect(s.pair).toMatchObject({ name: 'PAIR01', state: 'protected', level: 1 });
  expect(s.cluster.nodes.map((n: any) => n.state)).toEqual(['Up', 'Up']);
  expect(s.cluster.roles.map((r: any) => `${r.vm}@${r.ownerNode}:${r.state}`)).toEqual(
    VMS.map((vm) => `${vm}@TL-NODE-A:Online`),
  );
}

describe('twinlock drill at Level 1', () => {
  it('refuses link-loss: a cluster has no sync link to cut; says what to pick', async () => {
    const run = await twinlock(['drill', a, b, '--kind', 'link-loss', '--yes', '--json']);
    expect(run.code).toBe(1);
    const error = lastJson(run.stdout).error;
    expect(error.message).toContain('no sync link to cut');
    expect(error.message).toContain('pick primary-loss');
    await protectedAgain();
  }, 60_000);

  it('primary-loss: each VM is down for the restart time (the profile’s failoverSeconds), then the pair is protected again', async () => {
    const failoverMs = (timings().failoverSeconds * 1000) / SCALE;
    const run = await twinlock(['drill', a, b, '--kind', 'primary-loss', '--yes']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const perVm = VMS.map((vm) => {
      const m = new RegExp(
        `^  ${vm}: ([\\d.]+) (ms|s) down \\(watched: Get-VM on TL-NODE-A and TL-NODE-B\\)$`,
        'm',
      ).exec(run.stdout);
      expect(m, run.stdout).not.toBeNull();
      return Number(m![1]) * (m![2] === 's' ? 1000 : 1);
    });
    console.log(
      `Level 1 primary-loss downtime per VM (real ms, ${SCALE}× lab clock): ${VMS.map((v, i) => `${v} ${perVm[i]}`).join(', ')}; failover ${failoverMs} ms`,
    );
    for (const ms of perVm) {
      expect(ms).toBeGreaterThan(failoverMs * 0.85);
      expect(ms).toBeLessThan(failoverMs * 1.6);
    }
    expect(run.stdout).toMatch(
      /Twinlock read every VM online on the other server in the cluster [\d.]+ (ms|s) after the stop/,
    );
    expect(run.stdout).toMatch(/node-stopped\s+TL-NODE-A\s+Stop-ClusterNode -Name TL-NODE-A/);
    expect(run.stdout).toMatch(/moved-back\s+TL-NODE-A/);
    expect(run.stdout).toContain('Drill passed: primary-loss at Level 1, the pair is protected again.');
    // Progress a non-specialist follows.
    expect(run.stderr).toContain('TL-NODE-A: Stopping the cluster service here, as if the server failed');
    expect(run.stderr).toContain('TL-NODE-B: Taking over SQL01, APP01: the cluster restarts them here');
    await protectedAgain();
  }, 90_000);

  it('drain and live-migration: a live migration’s pause at most, and protected again', async () => {
    for (const kind of ['drain', 'live-migration']) {
      const run = await twinlock(['drill', a, b, '--kind', kind, '--yes', '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const r = lastJson(run.stdout);
      expect(r).toMatchObject({ kind, level: 1, result: 'passed', finalState: 'protected' });
      console.log(
        `Level 1 ${kind} downtime per VM (real ms): ${r.vms.map((v: any) => `${v.name} ${v.downtimeMs}`).join(', ')}`,
      );
      // The pause is milliseconds of lab time; Twinlock looks every 50 ms: at most a look or two.
      expect(r.measuredDowntimeMs).toBeLessThan(250);
      await protectedAgain();
    }
  }, 90_000);
});
