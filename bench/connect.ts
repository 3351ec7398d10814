/**
 * How fast a connection that cannot work fails, the figures the connect tests no longer time
 * (they assert how it fails): a closed port is reported `unreachable` (target < 2 s) and a server
 * that accepts but never speaks `timeout` just after its limit (600 ms here; target < 1.5 s).
 * Medians of --runs N attempts each (default 5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KnownHosts } from '../engine/remote/known-hosts';
import { openSession } from '../engine/remote/session';
import type { Bench } from './index';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const resourcesDir = fileURLToPath(new URL('../resources', import.meta.url));

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Milliseconds each failed attempt took, and the error codes seen. */
async function attempts(port: number, runs: number, timeoutMs: number, dataDir: string) {
  const times: number[] = [];
  const codes = new Set<string>();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    try {
      const session = await openSession({
        address: '127.0.0.1',
        port,
        username: 'bench',
        password: 'not-used',
        knownHosts: KnownHosts.inDataDir(dataDir),
        resourcesDir,
        timeoutMs,
      });
      await session.host.close();
      codes.add('connected');
    } catch (err) {
      codes.add(String((err as { code?: unknown }).code ?? err));
    }
    times.push(performance.now() - started);
  }
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  return { median, codes: [...codes] };
}

export const connectBench: Bench = {
  description: 'time to report a closed port (unreachable, < 2 s) and a silent server (timeout, < 1.5 s)',
  async run(args) {
    const i = args.indexOf('--runs');
    const runs = i >= 0 ? Number(args[i + 1]) : 5;
    if (!Number.isInteger(runs) || runs <= 0) throw new Error('--runs needs a positive whole number');
    const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-bench-connect-'));
    const closed = createServer();
    const closedPort = await listening(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const silent = createServer(() => undefined);
    const silentPort = await listening(silent);
    try {
      const refused = await attempts(closedPort, runs, 60_000, dataDir);
      const hung = await attempts(silentPort, runs, 600, dataDir);
      const ok = (m: number, target: number) => (m < target ? 'ok' : 'SLOW');
      say(
        `closed port: ${refused.codes.join(', ')} in ${refused.median.toFixed(0)} ms median (target < 2000: ${ok(refused.median, 2000)})`,
      );
      say(
        `silent server, 600 ms limit: ${hung.codes.join(', ')} in ${hung.median.toFixed(0)} ms median (target < 1500: ${ok(hung.median, 1500)})`,
      );
      const right = refused.codes.join() === 'unreachable' && hung.codes.join() === 'timeout';
      return right && refused.median < 2000 && hung.median < 1500 ? 0 : 1;
    } finally {
      silent.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
