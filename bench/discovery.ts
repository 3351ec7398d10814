/**
 * Discovery benchmark. On loopback every address answers at once, which flatters any scanner; on a
 * real LAN most addresses are dead and a probe must time out. So, as root, the bench makes its own
 * network namespace (only `lo` in it: nothing can leave 127.0.0.0/8), where an nftables rule
 * silently drops everything sent to 127.0.0.128/25, runs the lab's servers and decoys there on
 * 127.0.0.x, and times a scan of 127.0.0.0/24 on the five default ports against nmap's in the same
 * namespace. Then it times a scan of 127.0.0.0/16 on plain loopback (the drop rule removed) and
 * reads the peak RSS. Each scan runs twice: bundled by esbuild, as the desktop app runs the
 * engine, and from source under tsx (development; `npm run bench -- cli` times the bundled `twinlock`). The namespace is removed
 * at the end, also on failure or Ctrl+C.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './index';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'discovery-child.ts');
/** The same child bundled like the desktop app (scripts/build-electron.mjs), inside node_modules so that its packages resolve. */
const bundleDir = join(here, '..', 'node_modules', '.cache', 'twinlock-bench');
const bundledChild = join(bundleDir, 'discovery-child.js');

/** How a scan child runs: bundled (as the desktop app and `twinlock` run the engine) or from source under tsx (development). */
type Runner = 'bundled' | 'tsx';
const RUNNERS: Record<Runner, string> = {
  bundled: 'bundled, as the desktop app runs it',
  tsx: 'from source under tsx (development)',
};

async function bundleChild(): Promise<void> {
  rmSync(bundleDir, { recursive: true, force: true });
  await build({
    entryPoints: [child],
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
}
export const PORTS = '22,445,3389,5985,5986';
export const NMAP_TUNED = [
  '-sT',
  '-Pn',
  '-n',
  '-T4',
  '--min-parallelism',
  '256',
  '--max-retries',
  '1',
  '--min-hostgroup',
  '256',
  '-p',
  PORTS,
  '127.0.0.0/24',
];
const NMAP_PLAIN = ['-sT', '-Pn', '-n', '-T4', '-p', PORTS, '127.0.0.0/24'];
export const WINDOWS_BANNER = 'SSH-2.0-OpenSSH_for_Windows_8.1';

interface ScanFigures {
  state: string;
  error: { message: string } | null;
  elapsedMs: number;
  counts?: { probed: number; total: number; found: number };
  hosts: Array<{
    address: string;
    port: number;
    kind: string;
    banner: string | null;
    openPorts: number[];
    rttMs: number | null;
  }>;
  maxRssKb: number;
}

export interface LabInfo {
  hosts: Array<{ name: string; address: string; port: number }>;
  decoys: Array<{ role: string; address: string; ports: number[] }>;
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function run(command: string, args: string[], input?: string): void {
  const r = spawnSync(command, args, { input, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${(r.stderr || r.stdout || '').trim()}`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs a command to its end; resolves with stdout and the wall time. */
export function timed(
  command: string,
  args: string[],
): Promise<{ stdout: string; wallMs: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ stdout, stderr, code, wallMs: performance.now() - started }));
  });
}

/** Open ports by address, from nmap's grepable output. */
export function nmapOpen(grepable: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of grepable.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*)$/.exec(line);
    if (!m) continue;
    const open = m[2]!
      .split(',')
      .map((p) => p.trim().split('/'))
      .filter((f) => f[1] === 'open')
      .map((f) => Number(f[0]));
    if (open.length > 0) out.set(m[1]!, open);
  }
  return out;
}

function scanChild(
  prefix: string[],
  runner: Runner,
  targets: string,
  ports?: string,
  mode = 'scan',
): Promise<{ figures: ScanFigures; wallMs: number }> {
  const entry = runner === 'bundled' ? [bundledChild] : ['--import', 'tsx', child];
  return timed(prefix[0]!, [
    ...prefix.slice(1),
    process.execPath,
    ...entry,
    mode,
    targets,
    ...(ports ? [ports] : []),
  ]).then((r) => {
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.code !== 0 || !line.startsWith('{'))
      throw new Error(`the scan process failed (exit ${r.code}): ${r.stderr.trim().slice(0, 2000)}`);
    return { figures: JSON.parse(line) as ScanFigures, wallMs: r.wallMs };
  });
}

export function startLabChild(prefix: string[]): Promise<{ process: ChildProcess; info: LabInfo }> {
  return new Promise((resolve, reject) => {
    const p = spawn(prefix[0]!, [...prefix.slice(1), process.execPath, '--import', 'tsx', child, 'lab'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: p.stdout! });
    lines.once('line', (line) => {
      try {
        resolve({ process: p, info: JSON.parse(line) as LabInfo });
      } catch {
        reject(new Error(`the lab printed ${line}`));
      }
    });
    p.on('exit', (code) => reject(new Error(`the lab exited (${code}): ${stderr.trim().slice(0, 2000)}`)));
    p.on('error', reject);
  });
}

export function stopChild(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      resolve();
    }, 5000);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    p.stdin?.end();
    p.kill('SIGTERM');
  });
}

/** The /16 figures, on whatever loopback `prefix` puts the scanner in. */
async function sixteen(prefix: string[], where: string): Promise<boolean> {
  say();
  say(`127.0.0.0/16 on plain loopback (${where}), ports ${PORTS}:`);
  let ok = true;
  for (const runner of ['bundled', 'tsx'] as const) {
    const { figures, wallMs } = await scanChild(prefix, runner, '127.0.0.0/16');
    const rssMb = figures.maxRssKb / 1024;
    const probes = (figures.counts?.probed ?? 0) * 5;
    say(`  through the engine, ${RUNNERS[runner]}:`);
    say(
      `    ${figures.counts?.probed.toLocaleString('en-US')} addresses, ${probes.toLocaleString('en-US')} probes, ${figures.hosts.length} hosts found`,
    );
    say(
      `    scan time ${seconds(figures.elapsedMs)} (target < 60 s); process wall time ${seconds(wallMs)} with Node's start`,
    );
    say(`    peak RSS ${rssMb.toFixed(0)} MB (target < 200 MB)`);
    ok = ok && figures.state === 'done' && figures.elapsedMs < 60_000 && rssMb < 200;
  }
  const core = await scanChild(prefix, 'bundled', '127.0.0.0/16', undefined, 'scan-core');
  say(
    `  the scanner module alone, bundled: ${seconds(core.figures.elapsedMs)}, peak RSS ${(core.figures.maxRssKb / 1024).toFixed(0)} MB`,
  );
  return ok;
}

async function run16Only(reason: string): Promise<number> {
  say(reason);
  say('Skipping the namespace comparison; measuring the /16 on this machine’s loopback only.');
  const ok = await sixteen(['env'], 'this machine');
  return ok ? 0 : 1;
}

/** The bench's network namespace: only `lo`, 127.0.0.128/25 silently dropped, the lab and decoys running in it. */
export interface BenchNamespace {
  name: string;
  /** Prefix that runs a command inside the namespace. */
  inNs: string[];
  lab: LabInfo;
  /** Removes the drop rule: every address answers again (for the /16). */
  undrop(): void;
  close(): Promise<void>;
}

/** Why the namespace cannot be made here, or null when it can (Linux, root, ip and nft). */
export function namespaceMissing(): string | null {
  if (process.platform !== 'linux') return 'The namespace part needs Linux (ip netns, nftables).';
  if (process.getuid?.() !== 0)
    return 'Not root: the namespace part needs root (ip netns add, nft). Run it with sudo.';
  const missing = ['ip', 'nft'].filter((c) => !has(c));
  return missing.length > 0
    ? `Missing ${missing.join(' and ')}: apt-get install -y iproute2 nftables nmap`
    : null;
}

/** Makes the namespace and starts the lab in it; removed by close(), also on Ctrl+C. */
export async function openNamespace(): Promise<BenchNamespace> {
  const ns = `twinlock-bench-${process.pid}`;
  const netnsEtc = `/etc/netns/${ns}`;
  const inNs = ['ip', 'netns', 'exec', ns];
  let lab: ChildProcess | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopChild(lab);
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(netnsEtc, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    run('ip', ['netns', 'add', ns]);
    // Name lookups inside the namespace go to loopback, never to the host's DNS server.
    mkdirSync(netnsEtc, { recursive: true });
    writeFileSync(join(netnsEtc, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run(
      'ip',
      ['netns', 'exec', ns, 'nft', '-f', '-'],
      [
        'table inet twinlock_bench {',
        '  chain input {',
        '    type filter hook input priority 0; policy accept;',
        '    ip daddr 127.0.0.128/25 drop',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const started = await startLabChild(inNs);
    lab = started.process;
    return {
      name: ns,
      inNs,
      lab: started.info,
      undrop: () => run('ip', ['netns', 'exec', ns, 'nft', 'flush', 'ruleset']),
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export const discoveryBench: Bench = {
  description: 'scan 127.0.0.0/24 with dead addresses against nmap, then 127.0.0.0/16 for time and memory',
  async run() {
    await bundleChild();
    if (process.platform !== 'linux')
      return run16Only('The namespace part needs Linux (ip netns, nftables).');
    const isRoot = process.getuid?.() === 0;
    const missing = ['ip', 'nft', 'nmap'].filter((c) => !has(c));
    if (!isRoot) {
      return run16Only(
        'Not root: the namespace part needs root (ip netns add, nft). Run: sudo npm run bench -- discovery',
      );
    }
    if (missing.includes('ip') || missing.includes('nft')) {
      return run16Only(
        `Missing ${missing.filter((m) => m !== 'nmap').join(' and ')}: apt-get install -y iproute2 nftables nmap`,
      );
    }
    const withNmap = !missing.includes('nmap');
    if (!withNmap)
      say('nmap is missing (apt-get install -y nmap): timing Twinlock alone, without the comparison.');

    let space: BenchNamespace | undefined;
    try {
      space = await openNamespace();
      const { inNs, name: ns } = space;
      const { hosts, decoys } = space.lab;
      say(`Discovery benchmark in network namespace ${ns} (lo only; 127.0.0.128/25 silently dropped)`);
      say(`  lab servers: ${hosts.map((h) => `${h.name} ${h.address}:${h.port}`).join(', ')}`);
      say(`  decoys: ${decoys.map((d) => `${d.role} ${d.address} (${d.ports.join(',')})`).join(', ')}`);
      say();
      say(`127.0.0.0/24, ports ${PORTS}:`);

      const runs = {
        bundled: await scanChild(inNs, 'bundled', '127.0.0.0/24', PORTS),
        tsx: await scanChild(inNs, 'tsx', '127.0.0.0/24', PORTS),
      };
      const ours = runs.bundled;
      const found = new Map(ours.figures.hosts.map((h) => [h.address, h]));
      let ok = true;
      for (const runner of ['bundled', 'tsx'] as const) {
        const r = runs[runner];
        const seen = new Map(r.figures.hosts.map((h) => [h.address, h]));
        const labFound = hosts.filter((h) => seen.get(h.address)?.banner === WINDOWS_BANNER).length;
        say(`  twinlock, ${RUNNERS[runner]}:`);
        say(
          `                 ${seconds(r.figures.elapsedMs)} scan time, ${seconds(r.wallMs)} process wall time with Node's start; ${r.figures.hosts.length} hosts found; lab servers with their banner: ${labFound}/${hosts.length}`,
        );
        ok = ok && r.figures.state === 'done' && labFound === hosts.length;
      }
      for (const h of ours.figures.hosts) {
        say(
          `                 ${h.address.padEnd(12)} ${h.kind.padEnd(16)} ports ${h.openPorts.join(',').padEnd(14)} rtt ${h.rttMs === null ? '—' : `${h.rttMs} ms`}${h.banner ? `  ${h.banner}` : ''}`,
        );
      }

      if (withNmap) {
        const tuned = await timed(inNs[0]!, [...inNs.slice(1), 'nmap', ...NMAP_TUNED, '-oG', '-']);
        const tunedOpen = nmapOpen(tuned.stdout);
        say(`  nmap tuned     ${seconds(tuned.wallMs)}  (${tunedOpen.size} hosts with open ports)`);
        for (const runner of ['bundled', 'tsx'] as const) {
          const r = runs[runner];
          const ratio = r.figures.elapsedMs / tuned.wallMs;
          const wallRatio = r.wallMs / tuned.wallMs;
          say(
            `                 ratio twinlock (${runner})/nmap-tuned = ${ratio.toFixed(2)} on scan time, ${wallRatio.toFixed(2)} on process wall time (target ≤ 1.0)`,
          );
          ok = ok && ratio <= 1.0;
        }
        say('  nmap plain     running (about half a minute)…');
        const plain = await timed(inNs[0]!, [...inNs.slice(1), 'nmap', ...NMAP_PLAIN, '-oG', '-']);
        const plainOpen = nmapOpen(plain.stdout);
        say(`  nmap plain     ${seconds(plain.wallMs)}  (${plainOpen.size} hosts with open ports)`);
        say(
          `                 ratio twinlock (bundled)/nmap-plain = ${(ours.figures.elapsedMs / plain.wallMs).toFixed(3)} on scan time, ${(ours.wallMs / plain.wallMs).toFixed(3)} on process wall time`,
        );
        const missed: string[] = [];
        for (const [address, open] of new Map([...plainOpen, ...tunedOpen])) {
          const mine = found.get(address)?.openPorts ?? [];
          const lost = open.filter((p) => !mine.includes(p));
          if (lost.length > 0) missed.push(`${address}:${lost.join(',')}`);
        }
        say(
          `  live hosts/ports nmap saw that twinlock missed: ${missed.length === 0 ? 'none' : missed.join(' ')}`,
        );
        ok = ok && missed.length === 0;
      }

      space.undrop();
      ok =
        (await sixteen(inNs, 'the bench namespace, drop rule removed; lab and decoys still running')) && ok;
      say();
      say(ok ? 'All targets met.' : 'Some targets were missed (see above).');
      return ok ? 0 : 1;
    } catch (err) {
      process.stderr.write(
        `The discovery benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return 1;
    } finally {
      if (space) {
        await space.close();
        say(`Namespace ${space.name} removed.`);
      }
    }
  },
};
