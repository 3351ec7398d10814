/** Verbs that change servers: install (the agent) and pair (apply a pair configuration). */
import type { Command } from 'commander';
import type { JobSnapshotOf, PairConfig } from '../../engine/api';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { formatDuration, table } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

interface JsonOption {
  json?: boolean;
}

export function registerSetupVerbs(program: Command): void {
  addConnectionOptions(
    program
      .command('install')
      .description('install the lockstep agent on both servers')
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .option('--package <dir>', 'folder with agent-manifest.json and the MSI (default: the bundled package)')
      .option('--json', 'print NDJSON progress, then the result'),
  ).action((hostA: string, hostB: string, options: ConnectionOptions & JsonOption & { package?: string }) =>
    runVerb(options.json, 'the agent installation', async (out, engine) => {
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      const ref = await engine.api.install({
        sessions: [a!.sessionId, b!.sessionId],
        ...(options.package ? { packageDir: options.package } : {}),
      });
      const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'install'>;
      requireDone(job);
      const outcomes = job.result ?? [];
      out.result({ event: 'result', result: outcomes }, () =>
        table(
          ['Server', 'Action', 'Version', 'Reboot'],
          outcomes.map((o) => [o.computerName, o.action, o.version, o.rebootRequired ? 'required' : 'no']),
        ),
      );
      return EXIT.ok;
    }),
  );

  addConnectionOptions(
    program
      .command('pair')
      .description('pair two servers (the first starts as primary), protect their VMs and export the bundle')
      .argument('<hostA>', 'host[:port] of the primary')
      .argument('<hostB>', 'host[:port] of the secondary')
      .option('--name <name>', 'pair name')
      .option('--level <1|2|3>', 'protection level (default: the highest the servers are ready for)')
      .option('--witness <address>', 'quorum witness host, or \\\\server\\share for a file share')
      .option('--no-witness', 'run without a witness (not recommended: a split can stop both servers)')
      .option('--bundle <file>', 'where to write the configuration bundle')
      .option('--json', 'print NDJSON progress, then the result'),
  ).action(
    (
      hostA: string,
      hostB: string,
      options: ConnectionOptions &
        JsonOption & { name?: string; level?: string; witness?: string | false; bundle?: string },
    ) =>
      runVerb(options.json, 'the pairing', async (out, engine) => {
        const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
        const proposal = await engine.api.proposePair({ primary: a!.sessionId, secondary: b!.sessionId });
        const config: PairConfig = { ...proposal.config };
        if (options.name) config.name = options.name;
        if (options.level) config.level = Number(options.level) as PairConfig['level'];
        if (options.witness === false) config.witness = null;
        else if (typeof options.witness === 'string') {
          config.witness = {
            kind: options.witness.startsWith('\\\\') ? 'file-share' : 'host',
            address: options.witness,
          };
        }
        out.info(
          `Pairing ${a!.computerName} (primary) with ${b!.computerName} as ${config.name}, level ${config.level}, ` +
            `${config.links.length} sync link(s), witness ${config.witness?.address ?? 'none'}, VMs: ${config.vms.join(', ') || 'none'}`,
        );
        const ref = await engine.api.apply(config);
        const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'apply'>;
        requireDone(job);
        const outcome = job.result!;
        const exported = await engine.api.exportBundle({ config, ...(options.bundle ? { path: options.bundle } : {}) });
        out.result({ event: 'result', result: outcome, bundle: exported.path }, () =>
          [
            `${config.name} is ${outcome.state}: protected in ${formatDuration(outcome.elapsedMs)}.`,
            `Configuration bundle: ${exported.path}`,
          ].join('\n'),
        );
        return EXIT.ok;
      }),
  );
}
