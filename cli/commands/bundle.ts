/**
 * Configuration bundles. `twinlock pair` exports one; `twinlock apply <bundle> <hostA> <hostB>`
 * replays it on the next pair, unattended — check the bundle against both servers (nothing
 * changes when it is refused), verify at the bundle's level, install the agent, pair, protect,
 * export.
 */
import type { Command } from 'commander';
import type { JobSnapshotOf, PairConfig } from '../../engine/api';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import type { JsonOption } from '../options';
import { formatDuration } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

interface ApplyFlags extends ConnectionOptions, JsonOption {
  name?: string;
  package?: string;
  trustPublisher?: string;
}

export function registerApplyVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('apply')
      .description(
        'replay a configuration bundle on a new pair: check, verify, install, pair, protect, export',
      )
      .argument('<bundle>', 'a .twinlock.json bundle exported by Twinlock')
      .argument('<hostA>', 'host[:port] of the new primary')
      .argument('<hostB>', 'host[:port] of the new secondary')
      .option('--name <name>', 'name of the new pair (default: the bundle’s)')
      .option(
        '--package <dir>',
        'agent package folder, when the bundle has no agent/ folder beside it (default: the bundled package)',
      )
      .option(
        '--trust-publisher <thumbprint>',
        'trust the package’s publisher on first use, after comparing its certificate thumbprint',
      )
      .option('--json', 'print NDJSON progress, then the result'),
  ).action((bundlePath: string, hostA: string, hostB: string, options: ApplyFlags) =>
    runVerb(options.json, 'the replay', async (out, engine) => {
      const bundle = await engine.api.readBundle({ path: bundlePath });
      out.info(
        `Bundle ${bundle.pair.name} (level ${bundle.pair.level}, signed ${bundle.createdAt}) verified.`,
      );
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      const sessions: [string, string] = [a!.sessionId, b!.sessionId];

      // Everything is checked before anything changes: a refused bundle leaves both servers as they were.
      const plan = await engine.api.preflightBundle({
        path: bundlePath,
        sessions,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.package ? { packageDir: options.package } : {}),
      });
      const config: PairConfig = plan.config;
      out.event({
        event: 'preflight',
        config: {
          name: config.name,
          level: config.level,
          links: config.links,
          witness: config.witness,
          vms: config.vms,
        },
      });
      out.info(
        `Checked against ${a!.computerName} and ${b!.computerName}: pair ${config.name}, ${config.links.length} sync link(s), VMs: ${config.vms.join(', ') || 'none'}.`,
      );

      const report = await engine.api.verify({ sessions, level: bundle.pair.level });
      out.event({ event: 'verified', verdict: report.verdict, outcome: report.outcome });
      if (report.outcome === 'blocked') {
        out.result({ event: 'result', verify: report }, () =>
          [
            report.verdict,
            ...report.findings
              .filter((f) => f.severity === 'blocker')
              .map((f) => `  ${f.title}: ${f.reason}\n  fix: ${f.remedy}`),
          ].join('\n'),
        );
        return EXIT.blocker;
      }
      out.info(report.verdict);

      const install = (await followJob(
        engine,
        await engine.api.install({
          sessions,
          // The package the bundle names, from the agent/ folder beside it, --package, or the bundled one.
          bundlePath,
          ...(options.package ? { packageDir: options.package } : {}),
          ...(options.trustPublisher !== undefined ? { trustPublisher: options.trustPublisher } : {}),
        }),
        out,
      )) as JobSnapshotOf<'install'>;
      requireDone(install);
      if (bundle.agent.version !== install.result?.[0]?.version) {
        out.info(
          `Note: the bundle was made with agent ${bundle.agent.version}; this pair runs ${install.result?.[0]?.version}.`,
        );
      }

      const apply = (await followJob(engine, await engine.api.pair(config), out)) as JobSnapshotOf<'pair'>;
      requireDone(apply);
      const exported = await engine.api.exportBundle({ config });
      out.result({ event: 'result', result: apply.result, bundle: exported.path }, () =>
        [
          `${config.name} is ${apply.result?.state}: protected in ${formatDuration(apply.result?.elapsedMs ?? 0)}.`,
          `Configuration bundle of this pair: ${exported.path}`,
        ].join('\n'),
      );
      return EXIT.ok;
    }),
  );
}
