/**
 * Verify benchmark: the time to inventory both lab servers (one get-inventory round trip each,
 * in parallel) and run every rule, against the time of a bare SSH exec round trip to the same two
 * servers in parallel, on already open connections. Prints medians and their ratio (target ≤ 1.5).
 * The lab runs in its own process (`twinlock lab start --json`), as servers are not inside the
 * workstation's process: its work does not steal the engine's event loop, nor the other way round.
 *
 * Options: --rounds N (default 30), --profile NAME (default matched-pair), --in-process (run the
 * lab inside the bench's own process).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ssh2';
import { createEngine } from '../engine/engine';
import { startLab } from '../lab/index';
import type { LabHostInfo } from '../lab/index';
import type { Bench } from './index';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts `twinlock lab start --json` and resolves with its servers once they listen. */
function labProcess(profile: string): Promise<{ child: ChildProcess; hosts: LabHostInfo[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'twinlock.js'), 'lab', 'start', '--json', '--profile', profile],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl >= 0)
        resolve({ child, hosts: (JSON.parse(buffer.slice(0, nl)) as { hosts: LabHostInfo[] }).hosts });
    });
    child.once('exit', (code) => reject(new Error(`the lab exited early (${code})`)));
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A plain ssh2 connection with Nagle off, as the engine's. */
function connectBare(h: LabHostInfo): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c)).once('error', reject);
    c.connect({
      host: h.address,
      port: h.port,
      username: h.username,
      password: h.password,
      readyTimeout: 10_000,
    });
    c.once('connect', () =>
      (c as unknown as { _sock?: { setNoDelay?: (v: boolean) => void } })._sock?.setNoDelay?.(true),
    );
  });
}

/** One exec round trip: open a channel, run a command, wait for its exit. */
function execOnce(c: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    c.exec('ver', (err, stream) => {
      if (err) return reject(err);
      stream.on('data', () => undefined).stderr.on('data', () => undefined);
      stream.on('close', () => resolve());
    });
  });
}

export const verifyBench: Bench = {
  description: 'inventory + verify of both lab servers vs a bare SSH exec round trip (target ratio ≤ 1.5)',
  async run(args) {
    const rounds = Number(option(args, '--rounds', '30'));
    const profile = option(args, '--profile', 'matched-pair');
    const inProcess = args.includes('--in-process');
    const lab = inProcess ? await startLab({ profile }) : null;
    const child = lab ? null : await labProcess(profile);
    const labHosts = lab ? lab.hosts : child!.hosts;
    const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-bench-verify-'));
    const engine = createEngine({ dataDir, lab: { hosts: labHosts } });
    const bare: Client[] = [];
    try {
      const sessions = await Promise.all(
        labHosts.map((h) =>
          engine.api.connect({
            address: h.address,
            port: h.port,
            username: h.username,
            password: h.password,
            acceptFingerprint: h.fingerprint,
          }),
        ),
      );
      bare.push(...(await Promise.all(labHosts.map((h) => connectBare(h)))));
      const ids: [string, string] = [sessions[0]!.sessionId, sessions[1]!.sessionId];
      const verifyMs: number[] = [];
      const execMs: number[] = [];
      let verdict = '';
      let findings = 0;
      // One warm-up of each, then interleaved rounds so both see the same machine load.
      await engine.api.verify({ sessions: ids, level: 3 });
      await Promise.all(bare.map(execOnce));
      for (let i = 0; i < rounds; i++) {
        let t = performance.now();
        await Promise.all(bare.map(execOnce));
        execMs.push(performance.now() - t);
        t = performance.now();
        const report = await engine.api.verify({ sessions: ids, level: 3 });
        verifyMs.push(performance.now() - t);
        verdict = report.verdict;
        findings = report.findings.length;
      }
      const v = median(verifyMs);
      const e = median(execMs);
      say(
        `verify bench: lab profile ${profile} ${inProcess ? 'in this process' : 'in its own process'}, ${rounds} rounds, medians`,
      );
      say(`  inventory + verify, both servers: ${v.toFixed(1)} ms  (${findings} findings: ${verdict})`);
      say(`  bare SSH exec round trip, both:   ${e.toFixed(1)} ms`);
      say(`  ratio: ${(v / e).toFixed(2)}  (target ≤ 1.5)`);
      return v / e <= 1.5 ? 0 : 1;
    } finally {
      for (const c of bare) c.end();
      await engine.close();
      await lab?.close();
      child?.child.kill('SIGINT');
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
