/**
 * `twinlock fleet apply` of 20 lab pairs, 10 at a time, run as an admin runs it (the bundled CLI,
 * a child process) against the lab in this process: every pair protected; a pair whose server
 * cannot start the agent fails alone, with its reason, while the other 19 finish; a run killed
 * with SIGKILL mid-way is finished by a second run that does not redo what the first finished.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FleetOutcome, FleetPairOutcome } from '../../../engine/api/models';
import { exportBundle } from '../../../engine/bundle/export';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab, writeFleetFile } from '../../../lab/index';
import type { LabPairInfo } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';
import { bin, root, runTwinlock, shippedManifest } from './twinlock';

const PAIRS = 20;
const home = mkdtempSync(join(tmpdir(), 'twinlock-cli-fleet-'));
let lab: Lab | undefined;

afterEach(async () => {
  await lab?.close();
  lab = undefined;
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** One pair of the fleet lab: its name in the fleet file and its two servers. */
interface LabPair {
  name: string;
  info: LabPairInfo;
  servers: [LabHost, LabHost];
}

/** A fleet lab of 20 pairs (LAB-P01 … LAB-P20, servers TL-Pnn-A/B), one witness they share. */
async function startPairs(n: number): Promise<LabPair[]> {
  lab = await startLab({ pairs: n, timeScale: 600, latencyMs: 1 });
  const started = lab;
  return started.fleet.map((info) => ({
    name: info.name,
    info,
    servers: [started.host(info.primary.computerName), started.host(info.secondary.computerName)],
  }));
}

/** The bundle every pair replays, signed with this workstation's key (as `twinlock pair` exports it). */
async function writeBundle(dir: string): Promise<string> {
  const old = {
    address: '10.0.0.1',
    port: 22,
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    computerName: 'OLD-NODE-A',
  };
  const path = join(dir, 'PAIR-01.twinlock.json');
  await exportBundle(
    {
      config: {
        name: 'PAIR-01',
        level: 3,
        primary: 'a',
        secondary: 'b',
        links: [
          {
            localNic: 'SLOT 3 Port 1',
            remoteNic: 'SLOT 3 Port 1',
            localAddress: '10.20.1.21',
            remoteAddress: '10.20.1.22',
          },
        ],
        witness: lab!.suggestedWitness,
        vms: ['SQL01', 'APP01'],
      },
      primary: old,
      secondary: { ...old, computerName: 'OLD-NODE-B' },
      agent: { version: shippedManifest.version, sha256: shippedManifest.sha256 },
    },
    home,
    path,
  );
  return path;
}

/** The fleet file the lab writes for its pairs (host keys pinned, VMs listed), naming the bundle. */
async function writeFleet(dir: string, pairs: LabPair[], name = 'fleet.yaml'): Promise<string> {
  const bundle = await writeBundle(dir);
  return writeFleetFile(join(dir, name), {
    pairs: pairs.map((p) => p.info),
    user: lab!.hosts[0]!.username,
    bundle,
  });
}

const env = () => ({ TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab?.hosts[0]?.password ?? 'no-lab' });
const trust = ['--trust-publisher', shippedManifest.signer.thumbprint];

function resultOf(stdout: string): FleetOutcome {
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { event: string; result: FleetOutcome };
  expect(last.event).toBe('result');
  return last.result;
}

/** What each server was asked to do: twinlockctl verbs and bytes uploaded. */
function counters(pairs: LabPair[]) {
  const ctl = new Map<LabHost, string[]>();
  for (const pair of pairs)
    for (const h of pair.servers) {
      ctl.set(h, []);
      h.on('ctl', (verb: string) => ctl.get(h)!.push(verb));
    }
  return {
    verbs: (pair: LabPair) => pair.servers.flatMap((h) => ctl.get(h)!),
    reset: () => ctl.forEach((v) => v.splice(0)),
  };
}

describe('twinlock fleet, before any server is reached', () => {
  it('refuses a fleet file with its problems by line, and a CSV without --bundle', async () => {
    const dir = mkdtempSync(join(home, 'bad-'));
    const yaml = join(dir, 'fleet.yaml');
    writeFileSync(yaml, 'pairs:\n  - name: P1\n    primary: 10.0.0.1\n    secundary: 10.0.0.2\n');
    const bad = await runTwinlock(['fleet', 'apply', yaml], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fleet\.yaml line 4: unknown key “secundary”\. Did you mean secondary\?/);
    expect(bad.stderr).toMatch(/hint: Correct each line named in fleet\.yaml/);
    const csv = join(dir, 'fleet.csv');
    writeFileSync(csv, 'name,primary,secondary\nP1,10.0.0.1,10.0.0.2\n');
    const noBundle = await runTwinlock(['fleet', 'apply', csv, '--json'], env());
    expect(noBundle.code).toBe(1);
    expect(JSON.parse(noBundle.stdout.trim()).error).toMatchObject({
      code: 'invalid-input',
      hint: expect.stringMatching(/--bundle FILE/),
    });
    const parallel = await runTwinlock(['fleet', 'drift', csv, '--parallel', '0'], env());
    expect(parallel.code).toBe(1);
    expect(parallel.stderr).toMatch(/--parallel/);
  });
});

describe('twinlock fleet apply', () => {
  it(
    'protects 20 pairs 10 at a time; a faulty pair fails alone with its reason, and the next run finishes it only',
    { timeout: 300_000 },
    async () => {
      const pairs = await startPairs(PAIRS);
      const dir = mkdtempSync(join(home, 'fault-'));
      const file = await writeFleet(dir, pairs);
      const faulty = pairs[6]!;
      faulty.servers[1].faults.serviceWontStart = true;
      const seen = counters(pairs);

      const first = await runTwinlock(
        ['fleet', 'apply', file, '--parallel', '10', ...trust, '--json'],
        env(),
      );
      expect(first.code, first.stderr + first.stdout.slice(-2000)).toBe(1);
      const one = resultOf(first.stdout);
      expect(one.counts).toEqual({ protected: 19, failed: 1 });
      const failed = one.pairs.find((p) => p.result === 'failed')!;
      expect(failed).toMatchObject({
        name: 'LAB-P07',
        failedStep: 'install',
        servers: ['TL-P07-A', 'TL-P07-B'],
      });
      expect(failed.error?.code).toBe('install-failed');
      expect(failed.error?.message).toMatch(/TL-P07-B/);
      expect(failed.error?.hint).toBeTruthy();
      // The other 19 are protected on the servers themselves, each under its own name.
      for (const pair of pairs) {
        if (pair === faulty) continue;
        for (const h of pair.servers)
          expect(h.agentStatus()?.pair).toMatchObject({ name: pair.name, state: 'protected' });
      }
      expect(faulty.servers.map((h) => h.agentStatus()?.pair ?? null)).toEqual([null, null]);
      // One line per change of a pair: each pair's events, in order, end with its outcome.
      const events = first.stdout
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { event: string; name?: string; step?: string; outcome?: FleetPairOutcome },
        );
      const ofPair = events.filter((e) => e.event === 'pair' && e.name === 'LAB-P03');
      expect(ofPair.map((e) => e.step)).toContain('install');
      expect(ofPair.at(-1)?.outcome?.result).toBe('protected');

      // The fault cleared, the same fleet again: only LAB-P07 runs (from its install on), the 19 are not touched.
      faulty.servers[1].faults.serviceWontStart = false;
      seen.reset();
      const second = await runTwinlock(
        ['fleet', 'apply', file, '--parallel', '10', ...trust, '--json'],
        env(),
      );
      expect(second.code, second.stderr + second.stdout.slice(-2000)).toBe(0);
      const two = resultOf(second.stdout);
      expect(two.counts).toEqual({ protected: 20 });
      for (const p of two.pairs) {
        if (p.name === 'LAB-P07') expect(p).toMatchObject({ resumed: ['verify'], changed: true });
        else
          expect(p).toMatchObject({
            resumed: ['verify', 'install', 'plan', 'pair', 'drift'],
            changed: false,
          });
      }
      for (const pair of pairs) if (pair !== faulty) expect(seen.verbs(pair)).toEqual([]);
      expect(seen.verbs(faulty)).toEqual(expect.arrayContaining(['pair create', 'pair join']));

      // Every pair finished: the journal is complete, and a third run starts afresh and changes nothing.
      seen.reset();
      const third = await runTwinlock(['fleet', 'apply', file, '--parallel', '10', '--json'], env());
      expect(third.code, third.stderr + third.stdout.slice(-2000)).toBe(0);
      const three = resultOf(third.stdout);
      expect(three.counts).toEqual({ unchanged: 20 });
      expect(three.pairs.every((p) => p.resumed.length === 0 && !p.changed)).toBe(true);
      for (const pair of pairs)
        expect(seen.verbs(pair).filter((v) => v !== 'status' && v !== 'version')).toEqual([]);

      // The same pairs as a CSV table, the bundle given on the command line: --check plans nothing.
      const csv = join(dir, 'fleet.csv');
      writeFileSync(
        csv,
        [
          'name,primary,secondary,vms,links',
          ...pairs.map(
            ({ name, info: { primary: a, secondary: b, vms } }) =>
              `${name},${a.address}:${a.port},${b.address}:${b.port},${name === 'LAB-P05' ? 'SQL01' : vms.join(';')},`,
          ),
        ].join('\n'),
      );
      const check = await runTwinlock(
        [
          'fleet',
          'apply',
          csv,
          '--bundle',
          join(dir, 'PAIR-01.twinlock.json'),
          '--check',
          '--parallel',
          '10',
          '--json',
        ],
        env(),
      );
      // LAB-P05's row asks for SQL01 alone: its plan would unprotect the others.
      expect(check.code, check.stderr + check.stdout.slice(-2000)).toBe(3);
      const planned = resultOf(check.stdout);
      expect(planned.counts).toEqual({ unchanged: 19, planned: 1 });
      expect(planned.pairs.find((p) => p.result === 'planned')).toMatchObject({
        name: 'LAB-P05',
        differences: expect.arrayContaining([expect.objectContaining({ field: 'vms' })]),
      });

      // Drift: every pair matches its bundle (exit 0); a row asking for other VMs drifts (exit 3), named in the summary.
      const drift = await runTwinlock(['fleet', 'drift', file, '--parallel', '10', '--json'], env());
      expect(drift.code, drift.stderr + drift.stdout.slice(-2000)).toBe(0);
      expect(resultOf(drift.stdout).counts).toEqual({ matches: 20 });
      const other = writeFleetFile(join(dir, 'fleet-other-vms.yaml'), {
        pairs: pairs.map((p) => (p.name === 'LAB-P05' ? { ...p.info, vms: ['SQL01'] } : p.info)),
        user: lab!.hosts[0]!.username,
        bundle: join(dir, 'PAIR-01.twinlock.json'),
      });
      const drifted = await runTwinlock(['fleet', 'drift', other, '--parallel', '10'], env());
      expect(drifted.code, drifted.stderr + drifted.stdout).toBe(3);
      expect(drifted.stdout).toMatch(/20 pair\(s\): 19 matches, 1 drift/);
      // Not a terminal, not --json: one line per change of a pair.
      expect(drifted.stderr).toMatch(/^LAB-P01 \(TL-P01-A \+ TL-P01-B\): matches — Matches the bundle\.$/m);
      expect(drifted.stderr).toMatch(
        /^LAB-P05 \(TL-P05-A \+ TL-P05-B\): drift — \d+ difference\(s\) from the bundle\.$/m,
      );
      expect(drifted.stdout).toMatch(/LAB-P05 \(TL-P05-A, TL-P05-B\): drift\n {2}.*APP01/);
    },
  );

  it(
    'finishes a run killed with SIGKILL without redoing what it had finished',
    { timeout: 300_000 },
    async () => {
      const pairs = await startPairs(PAIRS);
      const dir = mkdtempSync(join(home, 'kill-'));
      const file = await writeFleet(dir, pairs);
      // Half the pairs take a few real seconds to join, so the kill finds some paired, some pairing, some not begun.
      pairs.forEach((pair, i) => {
        if (i % 2 === 1) pair.servers[1].faults.ctlDelaySeconds = { 'pair join': 1800 };
      });
      const seen = counters(pairs);
      const uploaded = () => pairs.map((pair) => pair.servers.reduce((n, h) => n + h.sftpBytesWritten, 0));

      const child = spawn(
        process.execPath,
        [bin, 'fleet', 'apply', file, '--parallel', '10', ...trust, '--json'],
        {
          cwd: root,
          env: { ...process.env, ...env() },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('close', (_c, signal) => resolve(signal)),
      );
      /** Pairs the run has reported protected so far (from its NDJSON pair events). */
      const protectedSoFar = () =>
        new Set(
          stdout
            .slice(0, stdout.lastIndexOf('\n'))
            .split('\n')
            .filter((l) => l.startsWith('{"event":"pair"'))
            .map((l) => JSON.parse(l) as { name: string; outcome?: FleetPairOutcome })
            .filter((e) => e.outcome?.result === 'protected')
            .map((e) => e.name),
        ).size;
      await waitFor(
        [
          { emitter: child.stdout, events: ['data'] },
          { emitter: child, events: ['exit'] },
        ],
        () => protectedSoFar() >= 4,
        () =>
          child.exitCode !== null
            ? `twinlock fleet apply ended before the kill: ${stdout.slice(-2000)}`
            : null,
      );
      // The same fleet from a second process, while the first runs: refused at once, naming it.
      const asked = Date.now();
      const twice = await runTwinlock(['fleet', 'apply', file, '--parallel', '10', ...trust], env());
      expect(twice.code, twice.stdout + twice.stderr).toBe(1);
      expect(twice.stdout + twice.stderr).toContain(`is already being run by process ${child.pid}, started `);
      expect(twice.stdout + twice.stderr).toMatch(/Wait for that run to end, or stop it/);
      expect(Date.now() - asked).toBeLessThan(30_000);
      expect(child.exitCode).toBeNull();
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const before = uploaded();
      const pairedBefore = pairs.map((pair) =>
        pair.servers.every(
          (h) => (h.agentStatus()?.pair as { state?: string } | null)?.state === 'protected',
        ),
      );
      const endedBefore = protectedSoFar();
      expect(endedBefore).toBeLessThan(PAIRS);
      seen.reset();

      const second = await runTwinlock(
        ['fleet', 'apply', file, '--parallel', '10', ...trust, '--json'],
        env(),
      );
      expect(second.code, second.stderr + second.stdout.slice(-2000)).toBe(0);
      const result = resultOf(second.stdout);
      expect(result.counts).toEqual({ protected: 20 });
      const after = uploaded();
      result.pairs.forEach((p, i) => {
        const pair = pairs[i]!;
        if (p.resumed.includes('drift')) {
          // Finished before the kill: not touched again.
          expect(p.resumed).toEqual(['verify', 'install', 'plan', 'pair', 'drift']);
          expect(seen.verbs(pair)).toEqual([]);
        }
        // An install finished before the kill is not done again: nothing more uploaded, no second msiexec.
        if (p.resumed.includes('install')) expect(after[i]).toBe(before[i]);
        for (const h of pair.servers) {
          expect(h.installedProducts().map((x) => x.version)).toEqual([shippedManifest.version]);
          expect(h.agentStatus()?.pair).toMatchObject({ name: p.name, state: 'protected' });
        }
        // A pair made (or being made) before the kill is never created a second time.
        if (pairedBefore[i]) expect(seen.verbs(pair).filter((v) => v === 'pair create')).toEqual([]);
      });
      // Some pairs had ended before the kill, some were stopped mid-way (installed, pairing) and continued.
      expect(result.pairs.filter((p) => p.resumed.includes('drift')).length).toBeGreaterThanOrEqual(4);
      expect(result.pairs.some((p) => p.resumed.includes('install') && !p.resumed.includes('pair'))).toBe(
        true,
      );
    },
  );
});
