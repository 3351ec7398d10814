/**
 * The discovery benchmark's child processes, run inside the bench's network namespace:
 *   lab                     lab servers on 127.0.0.11+ port 22 and decoys; one JSON line, then
 *                           runs until stdin closes
 *   scan <targets> [ports]  a scan through the engine; one JSON line with its figures
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../engine/api/engine';
import type { JobSnapshotOf } from '../engine/api';
import { startLab } from '../lab/index';

const [mode, targets, ports] = process.argv.slice(2);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

if (mode === 'lab') {
  const lab = await startLab({ addressBase: '127.0.0.11', port: Number(process.env.TWINLOCK_BENCH_PORT ?? 22), decoys: true, latencyMs: 0 });
  print({ hosts: lab.hosts.map(({ name, address, port }) => ({ name, address, port })), decoys: lab.decoys });
  const stop = async () => {
    await lab.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
} else if (mode === 'scan' && targets) {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-bench-'));
  const engine = createEngine({ dataDir });
  try {
    const started = performance.now();
    const ref = await engine.api.scan({ targets, ...(ports ? { ports: ports.split(',').map(Number) } : {}), allowLarge: true });
    const job = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'scan'>;
    const elapsedMs = performance.now() - started;
    print({
      state: job.state,
      error: job.error,
      elapsedMs,
      counts: job.counts,
      hosts: job.result.map(({ address, port, kind, banner, openPorts }) => ({ address, port, kind, banner, openPorts })),
      maxRssKb: process.resourceUsage().maxRSS,
    });
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
} else {
  process.stderr.write('usage: discovery-child.ts lab | scan <targets> [ports]\n');
  process.exitCode = 2;
}
