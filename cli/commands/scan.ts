/** `twinlock scan`: find Windows servers on a network. */
import type { Command } from 'commander';
import type { DiscoveredHost, JobSnapshotOf } from '../../engine/api';
import { table } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

export function registerScanVerb(program: Command): void {
  program
    .command('scan')
    .description('scan addresses, names or ranges for Windows servers reachable over SSH')
    .argument('<target...>', 'addresses, names, CIDRs (10.0.0.0/24) or ranges')
    .option('--ports <list>', 'SSH ports to probe, comma-separated', '22')
    .option('--timeout <ms>', 'per-probe timeout in milliseconds', '1500')
    .option('--json', 'print one JSON object per host (NDJSON), then a summary')
    .action((targets: string[], options: { ports: string; timeout: string; json?: boolean }) =>
      runVerb(options.json, 'the scan', async (out, engine) => {
        const ports = options.ports.split(',').map((p) => Number(p.trim()));
        const ref = await engine.api.scan({ targets: targets.join(' '), ports, timeoutMs: Number(options.timeout) });
        const job = (await followJob(engine, ref, { ...out, event: () => undefined })) as JobSnapshotOf<'scan'>;
        requireDone(job);
        const hosts: DiscoveredHost[] = job.result;
        if (out.json) {
          for (const host of hosts) out.event(host);
          out.event({ summary: { found: hosts.length, ready: hosts.filter((h) => h.kind === 'windows-ssh').length } });
        } else {
          out.result(null, () =>
            table(
              ['Address', 'Name', 'Kind', 'Banner', 'RTT'],
              hosts.map((h) => [
                `${h.address}:${h.port}`,
                h.name ?? '',
                h.kind,
                h.banner ?? '',
                h.rttMs === null ? '' : `${h.rttMs.toFixed(1)} ms`,
              ]),
            ),
          );
        }
        return EXIT.ok;
      }),
    );
}
