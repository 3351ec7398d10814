/**
 * The discovery benchmark's child processes, run inside the bench's network namespace, from source
 * under tsx (as `twinlock` runs from a checkout) or bundled by esbuild (as the desktop app runs):
 *   lab                     lab servers on 127.0.0.11+ port 22 and decoys; one JSON line, then
 *                           runs until stdin closes
 *   scan <targets> [ports]  a scan through the engine; one JSON line with its figures
 *   scan-core <targets> [ports]  the same with the scanner module alone
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSnapshotOf } from '../engine/api';

const [mode, targets, ports] = process.argv.slice(2);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// Each mode imports only what it needs, so that a scan's peak RSS is not the lab's.
if (mode === 'lab') {
  const { startLab } = await import('../lab/index');
  const lab = await startLab({
    addressBase: '127.0.0.11',
    port: Number(process.env.TWINLOCK_BENCH_PORT ?? 22),
    decoys: true,
    latencyMs: 0,
  });
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
  const { createEngine } = await import('../engine/engine');
  const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-bench-'));
  const engine = createEngine({ dataDir });
  try {
    const started = performance.now();
    const concurrency = process.env.TWINLOCK_BENCH_CONCURRENCY
      ? Number(process.env.TWINLOCK_BENCH_CONCURRENCY)
      : undefined;
    const ref = await engine.api.scan({
      targets,
      ...(ports ? { ports: ports.split(',').map(Number) } : {}),
      ...(concurrency ? { concurrency } : {}),
      allowLarge: true,
    });
    const job = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'scan'>;
    const elapsedMs = performance.now() - started;
    print({
      state: job.state,
      error: job.error,
      elapsedMs,
      counts: job.counts,
      hosts: job.result.map(({ address, port, kind, banner, openPorts, rttMs }) => ({
        address,
        port,
        kind,
        banner,
        openPorts,
        rttMs,
      })),
      maxRssKb: process.resourceUsage().maxRSS,
    });
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
} else if (mode === 'scan-core' && targets) {
  // The scanner module alone, without the engine's other modules loaded: what a scan itself costs.
  const { scan } = await import('../engine/discovery/scan');
  const { planTargets } = await import('../engine/discovery/targets');
  const started = performance.now();
  const outcome = await scan(planTargets(targets), ports ? { ports: ports.split(',').map(Number) } : {});
  print({
    state: 'done',
    error: null,
    elapsedMs: performance.now() - started,
    counts: outcome.counts,
    hosts: outcome.hosts.map(({ address, port, kind, banner, openPorts, rttMs }) => ({
      address,
      port,
      kind,
      banner,
      openPorts,
      rttMs,
    })),
    maxRssKb: process.resourceUsage().maxRSS,
  });
} else {
  process.stderr.write(
    'usage: discovery-child.ts lab | scan <targets> [ports] | scan-core <targets> [ports]\n',
  );
  process.exitCode = 2;
}
