/**
 * `twinlock drift <bundle> <hostA> <hostB>`: how a pair differs from its bundle — level, witness,
 * sync links and their addresses, protected VMs, the agent's version, and the verification rules
 * at the bundle's level. Changes nothing. Exit 0 when the pair matches, 3 when it drifted.
 */
import type { Command } from 'commander';
import type { DriftItem, DriftReport } from '../../engine/api';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { addReplayOptions, replayValuesOf } from '../options';
import { checkReplayCluster } from '../replay-cluster';
import type { JsonOption, ReplayOptions } from '../options';
import { EXIT, runVerb } from '../run';

interface DriftFlags extends ConnectionOptions, JsonOption, ReplayOptions {
  verify?: boolean;
}

/** One difference as an admin reads it: what, expected, actual, and what `apply` would change. */
export function driftItemLines(item: DriftItem): string[] {
  const where = item.server ? ` on ${item.server}` : '';
  return [
    `  ${item.what}${where}`,
    `    expected: ${item.expected}`,
    `    actual:   ${item.actual}`,
    item.change !== null
      ? `    apply would: ${item.change}`
      : `    apply cannot fix this: ${item.hint ?? 'see the expected value above'}`,
  ];
}

/** A drift report as text: the verdict, then each difference. */
export function driftText(report: DriftReport): string {
  const [p, s] = report.servers;
  if (report.matches)
    return `${report.pair} on ${p} and ${s} matches its bundle (${report.bundle.name}, Level ${report.bundle.level}, signed ${report.bundle.createdAt}).`;
  return [
    `${report.pair} on ${p} and ${s} differs from its bundle (${report.bundle.name}, Level ${report.bundle.level}, signed ${report.bundle.createdAt}) in ${report.differences.length} way${report.differences.length === 1 ? '' : 's'}:`,
    ...report.differences.flatMap(driftItemLines),
  ].join('\n');
}

export function registerDriftVerb(program: Command): void {
  addConnectionOptions(
    addReplayOptions(
      program
        .command('drift')
        .description(
          'compare a protected pair with its bundle and list every difference (exit 0: it matches, 3: it drifted); changes nothing',
        )
        .argument('<bundle>', 'the .twinlock bundle the pair should match')
        .argument('<hostA>', 'host[:port] of the primary')
        .argument('<hostB>', 'host[:port] of the secondary'),
    )
      .option('--no-verify', 'skip the verification rules (compare the pair’s configuration only)')
      .option('--json', 'print the drift report as JSON'),
  ).action((bundlePath: string, hostA: string, hostB: string, options: DriftFlags) =>
    runVerb(options.json, 'the drift check', async (out, engine) => {
      // The replay values are checked before any server is reached (--vm with --no-vms is refused).
      const values = replayValuesOf(options);
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      checkReplayCluster(await engine.api.readBundle({ path: bundlePath }), values, [a!, b!]);
      const report = await engine.api.drift({
        bundle: { path: bundlePath },
        sessions: [a!.sessionId, b!.sessionId],
        ...values,
        ...(options.verify === false ? { verify: false } : {}),
      });
      out.result(report, () => driftText(report));
      return report.matches ? EXIT.ok : EXIT.drift;
    }),
  );
}
