/**
 * The `twinlock` command as scripts meet it, each figure beside a reference measured in the same
 * run:
 *   1. start-up: `twinlock --version` and `twinlock hosts list` against `node -e 0` (runs
 *      interleaved, median; target within 2× of Node's own start), and the same from source under
 *      tsx, as the command ran before it was bundled;
 *   2. `twinlock scan` of the half-dead 127.0.0.0/24 in the discovery bench's network namespace
 *      against tuned nmap, process wall time against process wall time (target ≤ 1.0; root, nmap);
 *   3. peak RSS of `twinlock scan 127.0.0.0/16` (target < 150 MB).
 * Options: --runs N (start-up runs per command, default 21), --scans N (default 3).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  NMAP_TUNED,
  PORTS,
  WINDOWS_BANNER,
  has,
  namespaceMissing,
  nmapOpen,
  openNamespace,
  timed,
} from './discovery';
import type { BenchNamespace } from './discovery';
import type { Bench } from './index';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'twinlock.js');

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive whole number`);
  return value;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (v: number) => `${v.toFixed(0)} ms`;
const seconds = (v: number) => `${(v / 1000).toFixed(2)} s`;

/** Runs a command to its end and returns its wall time from spawn to exit. */
function wall(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ wallMs: number; lastOutputMs: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastOutputMs = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      lastOutputMs = performance.now() - started;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ wallMs: performance.now() - started, lastOutputMs, code, stdout, stderr }),
    );
  });
}

interface ScanRun {
  wallMs: number;
  /** The scan's own time, as the command reports it in its summary. */
  scanMs: number;
  /** From the summary line to the process's exit. */
  exitMs: number;
  maxRssKb: number;
  hosts: Array<{ address: string; banner: string | null; openPorts: number[] }>;
}

export const cliBench: Bench = {
  description:
    'twinlock start-up vs node -e 0, a scan of a half-dead /24 vs tuned nmap, peak RSS of a /16 scan',
  async run(args) {
    const runs = option(args, '--runs', 21);
    const scans = option(args, '--scans', 3);
    const work = mkdtempSync(join(tmpdir(), 'twinlock-bench-cli-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TWINLOCK_HOME: join(work, 'home') };
    delete env.NODE_OPTIONS;
    // Peak RSS of a process, written by the process itself when it exits.
    const rssHook = join(work, 'rss.mjs');
    writeFileSync(
      rssHook,
      "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.TWINLOCK_BENCH_RSS, String(process.resourceUsage().maxRSS)));\n",
    );
    let space: BenchNamespace | undefined;
    let ok = true;
    try {
      const built = await wall(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--quiet'], env);
      if (built.code !== 0) throw new Error(`scripts/build-cli.mjs failed: ${built.stderr}`);

      // 1. Start-up.
      const commands: Array<{ label: string; args: string[]; runs: number }> = [
        { label: 'node -e 0', args: ['-e', '0'], runs },
        { label: 'twinlock --version', args: [bin, '--version'], runs },
        { label: 'twinlock hosts list', args: [bin, 'hosts', 'list'], runs },
        {
          label: 'from source under tsx: --version',
          args: ['--import', 'tsx', join(root, 'cli', 'main.ts'), '--version'],
          runs: Math.min(runs, 7),
        },
      ];
      const times = commands.map(() => [] as number[]);
      for (let round = 0; round < runs; round++) {
        for (const [i, c] of commands.entries()) {
          if (round >= c.runs) continue;
          const r = await wall(process.execPath, c.args, env);
          if (r.code !== 0) throw new Error(`${c.label} failed (${r.code}): ${r.stderr.trim()}`);
          times[i]!.push(r.wallMs);
        }
      }
      const node = median(times[0]!);
      say(`Start-up, median of ${runs} interleaved runs (process wall time):`);
      for (const [i, c] of commands.entries()) {
        const m = median(times[i]!);
        const ratio = m / node;
        const target = i === 1 || i === 2 ? ` (target ≤ 2.0) ${ratio <= 2 ? 'OK' : 'MISSED'}` : '';
        say(
          `  ${c.label.padEnd(34)} ${ms(m).padStart(7)}  min ${ms(Math.min(...times[i]!)).padStart(7)}  ${i === 0 ? '' : `ratio to node -e 0 = ${ratio.toFixed(2)}${target}`}`,
        );
        if (i === 1 || i === 2) ok = ok && ratio <= 2;
      }

      const scan = async (prefix: string[], targets: string, ports?: string): Promise<ScanRun> => {
        const rssFile = join(work, 'rss');
        rmSync(rssFile, { force: true });
        const r = await wall(
          prefix[0]!,
          [
            ...prefix.slice(1),
            process.execPath,
            '--import',
            pathToFileURL(rssHook).href,
            bin,
            'scan',
            targets,
            ...(ports ? ['--ports', ports] : []),
            '--json',
          ],
          {
            ...env,
            TWINLOCK_BENCH_RSS: rssFile,
          },
        );
        if (r.code !== 0)
          throw new Error(
            `twinlock scan ${targets} failed (${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 2000)}`,
          );
        const lines = r.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const hosts = lines.filter((l) => typeof l.address === 'string') as unknown as ScanRun['hosts'];
        const summary = lines.find((l) => l.summary !== undefined)?.summary as
          { elapsedMs?: number } | undefined;
        return {
          wallMs: r.wallMs,
          scanMs: summary?.elapsedMs ?? NaN,
          exitMs: r.wallMs - r.lastOutputMs,
          maxRssKb: Number(readFileSync(rssFile, 'utf8')),
          hosts,
        };
      };

      // 2. The half-dead /24 against nmap, in the discovery bench's namespace.
      say();
      const missing = namespaceMissing();
      let sixteenPrefix = ['env'];
      let sixteenWhere = 'this machine’s loopback';
      if (missing !== null) {
        say(`Scan against nmap skipped: ${missing} (sudo npm run bench -- cli)`);
      } else {
        space = await openNamespace();
        const { inNs, lab } = space;
        say(
          `127.0.0.0/24 in network namespace ${space.name} (lo only; 127.0.0.128/25 silently dropped), ports ${PORTS}, median of ${scans}:`,
        );
        const ours: ScanRun[] = [];
        const nmap: number[] = [];
        const withNmap = has('nmap');
        for (let i = 0; i < scans; i++) {
          ours.push(await scan(inNs, '127.0.0.0/24', PORTS));
          if (withNmap) {
            const tuned = await timed(inNs[0]!, [...inNs.slice(1), 'nmap', ...NMAP_TUNED, '-oG', '-']);
            nmap.push(tuned.wallMs);
            if (i === 0) say(`  nmap tuned saw ${nmapOpen(tuned.stdout).size} hosts with open ports`);
          }
        }
        const last = ours.at(-1)!;
        const labFound = lab.hosts.filter((h) =>
          last.hosts.some((x) => x.address === h.address && x.banner === WINDOWS_BANNER),
        ).length;
        const oursMs = median(ours.map((r) => r.wallMs));
        say(
          `  twinlock scan   ${seconds(oursMs)} process wall time (scan ${seconds(median(ours.map((r) => r.scanMs)))}, exit ${ms(median(ours.map((r) => r.exitMs)))} after its summary); ${last.hosts.length} hosts found, lab servers with their banner ${labFound}/${lab.hosts.length}; peak RSS ${(last.maxRssKb / 1024).toFixed(0)} MB`,
        );
        ok = ok && labFound === lab.hosts.length;
        if (withNmap) {
          const nmapMs = median(nmap);
          const ratio = oursMs / nmapMs;
          say(`  nmap tuned      ${seconds(nmapMs)} process wall time (${NMAP_TUNED.join(' ')})`);
          say(
            `  ratio twinlock/nmap-tuned = ${ratio.toFixed(2)} on process wall time (target ≤ 1.0) ${ratio <= 1 ? 'OK' : 'MISSED'}`,
          );
          ok = ok && ratio <= 1;
        } else {
          say('  nmap is missing (apt-get install -y nmap): no comparison.');
        }
        space.undrop();
        sixteenPrefix = inNs;
        sixteenWhere = 'the bench namespace, drop rule removed';
      }

      // 3. Memory of a /16 through the command.
      say();
      const big = await scan(sixteenPrefix, '127.0.0.0/16');
      const rssMb = big.maxRssKb / 1024;
      say(`127.0.0.0/16 through twinlock scan (${sixteenWhere}), default ports:`);
      say(
        `  ${seconds(big.wallMs)} process wall time, ${big.hosts.length} hosts found, peak RSS ${rssMb.toFixed(0)} MB (target < 150 MB) ${rssMb < 150 ? 'OK' : 'MISSED'}`,
      );
      ok = ok && rssMb < 150;
      say();
      say(ok ? 'All targets met.' : 'Some targets were missed (see above).');
      return ok ? 0 : 1;
    } finally {
      await space?.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
