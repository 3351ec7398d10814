/** `twinlock scan`: find Windows servers on a network. */
import type { Command } from 'commander';
import type { DiscoveredHost, JobSnapshotOf, ScanCounts } from '../../engine/api';
import { formatCount } from '../../engine/api/format';
import {
  DEFAULT_SCAN_PORTS,
  PORT_MAX,
  PORT_MIN,
  SCAN_LIMITS,
  endpointId,
  parsePorts,
} from '../../engine/api/rules';
import { invalidOption, wholeNumber } from '../options';
import type { JsonOption } from '../options';
import { table } from '../output';
import { loadProgressBars, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

const SERVICES: Record<number, string> = {
  22: 'ssh',
  445: 'smb',
  3389: 'rdp',
  5985: 'winrm',
  5986: 'winrm-https',
};

/** `--ports`: `22,2222` replaces the default ports; `+2222` adds to them (each read by the shared port rule). */
export function portsOption(text: string): number[] {
  const add = text.trim().startsWith('+');
  const ports = parsePorts(text.replace(/^\s*\+/, ''));
  if (typeof ports === 'string' || ports.length === 0)
    throw invalidOption(
      '--ports',
      text,
      `TCP ports from ${PORT_MIN} to ${PORT_MAX}, comma-separated, or +PORT to add to the default ones`,
      '22,5985,5986,445,3389 or +2222',
    );
  return [...new Set(add ? [...DEFAULT_SCAN_PORTS, ...ports] : ports)];
}

function services(host: DiscoveredHost): string {
  return host.openPorts
    .map((p) => (p === host.port && host.banner ? 'ssh' : (SERVICES[p] ?? String(p))))
    .join(' ');
}

export function registerScanVerb(program: Command): void {
  program
    .command('scan')
    .description('scan addresses, names or ranges for Windows servers and say what each can do')
    .argument(
      '<target...>',
      'addresses, names, CIDRs (10.0.0.0/24), ranges (10.0.0.10-60), exclusions (!10.0.0.1)',
    )
    .option(
      '--ports <list>',
      `ports to probe, comma-separated (default ${DEFAULT_SCAN_PORTS.join(',')}; +2222 adds to them)`,
      portsOption,
    )
    .option(
      '--timeout <ms>',
      'per-probe timeout in milliseconds (default 1000)',
      wholeNumber('--timeout', { ...SCAN_LIMITS.timeoutMs, unit: 'milliseconds' }, '1000'),
    )
    .option(
      '--concurrency <n>',
      'sockets open at once (default 1024)',
      wholeNumber('--concurrency', SCAN_LIMITS.concurrency, '512'),
    )
    .option(
      '--deadline <ms>',
      'stop the whole scan after this long and report what was found',
      wholeNumber('--deadline', { ...SCAN_LIMITS.deadlineMs, unit: 'milliseconds' }, '60000'),
    )
    .option('--allow-large', 'allow more than 65,536 addresses')
    .option('--dry-run', 'check the targets and say how many addresses a scan would probe, without probing')
    .option('--json', 'print one JSON object per host as found (NDJSON), then a summary line')
    .action(
      (
        targets: string[],
        options: JsonOption & {
          ports?: number[];
          timeout?: number;
          concurrency?: number;
          deadline?: number;
          allowLarge?: boolean;
          dryRun?: boolean;
        },
      ) =>
        runVerb(options.json, 'the scan', async (out, engine) => {
          // The option values were checked as the command line was read.
          const { ports, timeout: timeoutMs, concurrency, deadline: deadlineMs } = options;
          if (options.dryRun) {
            const { count } = await engine.api.checkTargets({
              targets: targets.join(' '),
              ...(options.allowLarge ? { allowLarge: true } : {}),
            });
            const probing = ports ?? [...DEFAULT_SCAN_PORTS];
            out.result(
              { count, ports: probing },
              () =>
                `${formatCount(count)} ${count === 1 ? 'host' : 'hosts'} to probe on ports ${probing.join(', ')}; nothing was sent.`,
            );
            return EXIT.ok;
          }
          const started = performance.now();
          const ref = await engine.api.scan({
            targets: targets.join(' '),
            ...(ports ? { ports } : {}),
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
            ...(concurrency !== undefined ? { concurrency } : {}),
            ...(deadlineMs !== undefined ? { deadlineMs } : {}),
            ...(options.allowLarge ? { allowLarge: true } : {}),
          });

          const printed = new Set<string>();
          const progress = !out.json && process.stderr.isTTY === true ? await loadProgressBars() : null;
          const bar =
            progress !== null
              ? new progress.SingleBar(
                  {
                    format: ' Scanning |{bar}| {probed}/{total} addresses · {found} found · {ready} ready',
                    hideCursor: true,
                    stream: process.stderr,
                  },
                  progress.Presets.shades_classic,
                )
              : null;
          let barStarted = false;
          const show = (job: JobSnapshotOf<'scan'>): void => {
            if (out.json) {
              for (const host of job.result) {
                const key = endpointId(host);
                if (printed.has(key)) continue;
                printed.add(key);
                out.event(host);
              }
            }
            const counts: ScanCounts | undefined = job.counts;
            if (bar && counts) {
              const payload = {
                probed: counts.probed,
                found: counts.found,
                ready: job.result.filter((h) => h.kind === 'windows-ssh').length,
              };
              if (!barStarted) {
                bar.start(counts.total, counts.probed, payload);
                barStarted = true;
              } else bar.update(counts.probed, payload);
            }
          };
          const unsubscribe = engine.subscribe((event) => {
            if (event.type === 'job' && event.job.id === ref.jobId && event.job.kind === 'scan')
              show(event.job);
          });
          let job: JobSnapshotOf<'scan'>;
          try {
            job = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'scan'>;
            show(job);
          } finally {
            unsubscribe();
            bar?.stop();
          }
          requireDone(job);
          const hosts = job.result;
          const ready = hosts.filter((h) => h.kind === 'windows-ssh').length;
          const elapsedMs = Math.round(performance.now() - started);
          if (out.json) {
            out.event({
              summary: {
                ...(job.counts ?? { probed: 0, total: 0, found: hosts.length }),
                ready,
                elapsedMs,
                message: job.message,
              },
            });
            return EXIT.ok;
          }
          const lines = [
            hosts.length === 0
              ? 'No host answered.'
              : table(
                  ['Address', 'Name', 'Kind', 'Services', 'RTT'],
                  hosts.map((h) => [
                    h.port === 22 ? h.address : `${h.address}:${h.port}`,
                    h.name ?? '',
                    h.kind,
                    services(h),
                    h.rttMs === null ? '' : `${h.rttMs.toFixed(1)} ms`,
                  ]),
                ),
          ];
          const notReady = hosts.filter((h) => h.kind !== 'windows-ssh');
          if (notReady.length > 0) {
            lines.push('', ...notReady.map((h) => `${h.address}: ${h.reason}`));
            const fix = notReady.find((h) => h.fix)?.fix;
            if (fix)
              lines.push(
                '',
                'To enable the OpenSSH server on Windows Server 2019/2022 (elevated PowerShell):',
                ...fix.map((c) => `  ${c}`),
              );
          }
          lines.push('', `${job.message} (${(elapsedMs / 1000).toFixed(1)} s).`);
          out.result(null, () => lines.join('\n'));
          return EXIT.ok;
        }),
    );
}
