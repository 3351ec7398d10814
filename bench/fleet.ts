/**
 * Fleet benchmark: 20 lab pairs replayed from one bundle, by one `twinlock fleet apply <fleet>
 * --parallel 10 --json` process, beside the same 20 pairs run as 20 separate `twinlock apply
 * <bundle> A B --json` processes at once (the reference, measured in the same run). Each side
 * gets a fresh lab of 20 pairs (`twinlock lab start --pairs 20`, in its own process, as servers
 * are not inside the workstation's process) and a fresh Twinlock home holding only this
 * workstation's signing key and the trusted publisher. Figures: wall time from the first spawn to
 * the last exit, and peak RSS sampled from /proc every 50 ms (for the separate runs, the peak of
 * the RSS summed over the processes alive at each sample; each process counted with its children).
 *
 * First a one-pair lab is paired with the CLI (`install`, then `pair … --bundle`): that bundle is
 * the one every pair replays.
 *
 * Options: --pairs N (default 20), --parallel N (default 10), --profile NAME (default matched-pair).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFleetFile } from '../lab/fleet';
import type { LabPairInfo } from '../lab/fleet';
import type { Bench } from './index';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'twinlock.js');
/** The agent package's signer, read when the bench runs (bench/index.ts makes the package first). */
function publisherThumbprint(): string {
  const manifest = JSON.parse(
    readFileSync(join(root, 'resources', 'agent', 'agent-manifest.json'), 'utf8'),
  ) as { signer: { thumbprint: string } };
  return manifest.signer.thumbprint;
}
const WITNESS = 'share:\\\\TL-WITNESS\\twinlock-witness';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function option(args: string[], name: string, fallback: number, max: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`${name} takes a whole number from 1 to ${max} (got ${i >= 0 ? args[i + 1] : value}).`);
  return value;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

/** The running lab of a `twinlock lab start --pairs N --json` process. */
interface LabProcess {
  child: ChildProcess;
  /** From the spawn to its line saying every server listens. */
  startMs: number;
  pairs: LabPairInfo[];
  username: string;
  password: string;
}

/** Starts `twinlock lab start --pairs N --json` and resolves with its pairs once they listen. */
function labProcess(pairs: number, profile: string, fleetOut: string): Promise<LabProcess> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'lab',
        'start',
        '--pairs',
        String(pairs),
        '--profile',
        profile,
        '--fleet-out',
        fleetOut,
        '--json',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const first = JSON.parse(buffer.slice(0, nl)) as Omit<LabProcess, 'child'> & {
        error?: { message: string };
      };
      if (first.error) reject(new Error(`the lab did not start: ${first.error.message}`));
      else
        resolve({
          child,
          startMs: performance.now() - started,
          pairs: first.pairs,
          username: first.username,
          password: first.password,
        });
    });
    child.once('exit', (code) => reject(new Error(`the lab exited early (${code})`)));
  });
}

/** What the lab process took: start time and peak RSS (VmHWM) of its servers, all in one process. */
function labFigures(lab: LabProcess): string {
  return `lab: ${2 * lab.pairs.length} SSH servers in one process, listening ${seconds(lab.startMs)} after its spawn, peak RSS ${mib(rssKb(lab.child.pid!, 'VmHWM'))}`;
}

async function stopLab(lab: LabProcess | null): Promise<void> {
  if (!lab || lab.child.exitCode !== null) return;
  const exited = new Promise((r) => lab.child.once('exit', r));
  lab.child.kill('SIGINT');
  await exited;
}

/** VmRSS (or, with `field`, another figure of /proc/<pid>/status) of a process, in KiB (0 once it is gone). */
function rssKb(pid: number, field = 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and every descendant, from /proc/<pid>/task/<tid>/children. */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const kids = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // The task ended while it was read.
      }
    }
  }
  return out;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs every command at once; wall time from the first spawn to the last exit, and the peak of the summed RSS. */
async function measured(
  commands: Array<{ args: string[]; env: NodeJS.ProcessEnv }>,
): Promise<{ wallMs: number; peakKb: number; runs: Run[] }> {
  const started = performance.now();
  const live = new Set<number>();
  let peakKb = 0;
  const sample = () => {
    let sum = 0;
    for (const pid of live) for (const p of tree(pid)) sum += rssKb(p);
    peakKb = Math.max(peakKb, sum);
  };
  const timer = setInterval(sample, 50);
  try {
    const runs = await Promise.all(
      commands.map(
        ({ args, env }) =>
          new Promise<Run>((resolve, reject) => {
            const child = spawn(process.execPath, [bin, ...args], {
              cwd: root,
              env,
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            live.add(child.pid!);
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
            child.on('error', reject);
            // Sampled once more as it ends, so a short process is not missed.
            child.on('exit', () => {
              sample();
              live.delete(child.pid!);
            });
            child.on('close', (code) => resolve({ code, stdout, stderr }));
          }),
      ),
    );
    return { wallMs: performance.now() - started, peakKb, runs };
  } finally {
    clearInterval(timer);
  }
}

/** The NDJSON lines of a run that parse, in order. */
function lines(stdout: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const l of stdout.split('\n')) {
    if (!l.trim()) continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // A line that is not JSON is not a result.
    }
  }
  return out;
}

/** The message of a run's error line, or its stderr. */
function failure(run: Run): string {
  const err = lines(run.stdout).find((l) => l.error)?.error as { message?: string } | undefined;
  return err?.message ?? (run.stderr.trim().split('\n').at(-1) || `exit ${run.code}`);
}

/** A fresh Twinlock home with this workstation's signing key and trusted publisher, and nothing else. */
function freshHome(work: string, name: string, from: string): string {
  const home = join(work, name);
  mkdirSync(home, { recursive: true });
  for (const file of ['signing-key.pem', 'trusted-publishers.json'])
    if (existsSync(join(from, file))) copyFileSync(join(from, file), join(home, file));
  return home;
}

/** Pairs one lab pair with the CLI and exports its bundle: the one every pair of the fleet replays. */
async function exportBundle(work: string, profile: string, home: string): Promise<string> {
  const lab = await labProcess(1, profile, join(work, 'bundle-lab.yaml'));
  try {
    const p = lab.pairs[0]!;
    const env = { ...process.env, TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.password };
    const hosts = [`${p.primary.address}:${p.primary.port}`, `${p.secondary.address}:${p.secondary.port}`];
    const pins = ['--fingerprint', p.primary.fingerprint, '--fingerprint', p.secondary.fingerprint];
    const install = await measured([
      {
        args: ['install', ...hosts, ...pins, '--trust-publisher', publisherThumbprint(), '--json'],
        env,
      },
    ]);
    if (install.runs[0]!.code !== 0) throw new Error(`twinlock install failed: ${failure(install.runs[0]!)}`);
    const bundle = join(work, 'PAIR-01.twinlock');
    const pair = await measured([
      {
        args: ['pair', ...hosts, '--name', 'LAB-P01', '--witness', WITNESS, '--bundle', bundle, '--json'],
        env,
      },
    ]);
    if (pair.runs[0]!.code !== 0) throw new Error(`twinlock pair failed: ${failure(pair.runs[0]!)}`);
    return bundle;
  } finally {
    await stopLab(lab);
  }
}

/** Whether this build has `twinlock fleet apply` (commander answers an unknown verb with its usage error). */
async function fleetApplyBuilt(): Promise<string | null> {
  const help = await measured([{ args: ['fleet', 'apply', '--help'], env: process.env }]);
  const run = help.runs[0]!;
  if (run.code === 0 && /fleet apply/.test(run.stdout)) return null;
  return (run.stderr.trim().split('\n')[0] || run.stdout.trim().split('\n')[0] || `exit ${run.code}`).slice(
    0,
    200,
  );
}

export const fleetBench: Bench = {
  description:
    '20 lab pairs from one bundle: one `twinlock fleet apply --parallel 10` vs 20 parallel `twinlock apply` processes (wall time, peak RSS)',
  async run(args) {
    const pairCount = option(args, '--pairs', 20, 50);
    const parallel = option(args, '--parallel', 10, 64);
    const pi = args.indexOf('--profile');
    const profile = pi >= 0 && args[pi + 1] ? args[pi + 1]! : 'matched-pair';
    if (process.platform !== 'linux') {
      say('fleet bench: peak RSS is sampled from /proc, so it runs on Linux only.');
      return 2;
    }
    // The command as published: dist-cli/ built from this tree.
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--quiet'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`scripts/build-cli.mjs failed: ${built.stderr}`);
    const missing = await fleetApplyBuilt();
    const work = mkdtempSync(join(tmpdir(), 'twinlock-bench-fleet-'));
    let lab: LabProcess | null = null;
    try {
      const origin = join(work, 'home-export');
      const t0 = performance.now();
      const bundle = await exportBundle(work, profile, origin);
      say(
        `fleet bench: ${pairCount} pairs of lab profile ${profile}, one bundle (${seconds(performance.now() - t0)} to pair the first and export it)`,
      );

      // The reference: 20 separate `twinlock apply` processes at once, on a fresh lab.
      lab = await labProcess(pairCount, profile, join(work, 'separate-lab.yaml'));
      const separateHome = freshHome(work, 'home-separate', origin);
      const env = { ...process.env, TWINLOCK_HOME: separateHome, TWINLOCK_PASSWORD: lab.password };
      const separate = await measured(
        lab.pairs.map((p) => ({
          args: [
            'apply',
            bundle,
            `${p.primary.address}:${p.primary.port}`,
            `${p.secondary.address}:${p.secondary.port}`,
            '--name',
            p.name,
            '--fingerprint',
            p.primary.fingerprint,
            '--fingerprint',
            p.secondary.fingerprint,
            '--trust-publisher',
            publisherThumbprint(),
            '--json',
          ],
          env,
        })),
      );
      const separateLab = labFigures(lab);
      await stopLab(lab);
      lab = null;
      const separateProtected = separate.runs.filter(
        (r) =>
          r.code === 0 &&
          (lines(r.stdout).at(-1)?.result as { state?: string } | undefined)?.state === 'protected',
      ).length;
      say(
        `  ${pairCount} × twinlock apply, all at once:   ${seconds(separate.wallMs)} wall, peak RSS ${mib(separate.peakKb)} summed over the processes; ${separateProtected}/${pairCount} protected`,
      );
      say(`    (${separateLab})`);
      for (const [i, r] of separate.runs.entries())
        if (r.code !== 0) say(`    LAB-P${String(i + 1).padStart(2, '0')} failed: ${failure(r)}`);

      if (missing !== null) {
        say('');
        say(
          `fleet bench FAILED: this build has no \`twinlock fleet apply\` (\`twinlock fleet apply --help\` answered “${missing}”), so the fleet figures and the ratios cannot be measured.`,
        );
        return 1;
      }

      // One `twinlock fleet apply` process, on a fresh lab.
      lab = await labProcess(pairCount, profile, join(work, 'fleet-lab.yaml'));
      const fleetFile = writeFleetFile(join(work, 'fleet.yaml'), {
        pairs: lab.pairs,
        user: lab.username,
        bundle,
      });
      const fleetHome = freshHome(work, 'home-fleet', origin);
      const fleet = await measured([
        {
          args: [
            'fleet',
            'apply',
            fleetFile,
            '--parallel',
            String(parallel),
            '--trust-publisher',
            publisherThumbprint(),
            '--json',
          ],
          env: { ...process.env, TWINLOCK_HOME: fleetHome, TWINLOCK_PASSWORD: lab.password },
        },
      ]);
      const fleetLab = labFigures(lab);
      await stopLab(lab);
      lab = null;
      const run = fleet.runs[0]!;
      const outcome = lines(run.stdout)
        .map((l) => (Array.isArray(l.pairs) ? l : (l.result as Record<string, unknown> | undefined)))
        .filter((l): l is Record<string, unknown> => Array.isArray(l?.pairs))
        .at(-1) as
        { pairs: Array<{ name: string; result: string; error?: { message: string } }> } | undefined;
      const fleetProtected = outcome?.pairs.filter((p) => p.result === 'protected').length ?? 0;
      say(
        `  twinlock fleet apply --parallel ${parallel}:        ${seconds(fleet.wallMs)} wall, peak RSS ${mib(fleet.peakKb)} (one process); ${fleetProtected}/${pairCount} protected`,
      );
      say(`    (${fleetLab})`);
      if (!outcome) say(`    no fleet outcome in its output: ${failure(run)}`);
      for (const p of outcome?.pairs ?? [])
        if (p.result !== 'protected') say(`    ${p.name} ${p.result}: ${p.error?.message ?? ''}`);
      say(
        `  ratio fleet / separate: wall time ${(fleet.wallMs / separate.wallMs).toFixed(2)}, peak RSS ${(fleet.peakKb / separate.peakKb).toFixed(2)}`,
      );
      const ok = run.code === 0 && fleetProtected === pairCount && separateProtected === pairCount;
      if (!ok) say('fleet bench FAILED: not every pair ended protected (see above).');
      return ok ? 0 : 1;
    } finally {
      await stopLab(lab);
      rmSync(work, { recursive: true, force: true });
    }
  },
};
