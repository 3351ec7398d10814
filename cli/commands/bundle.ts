/**
 * Configuration bundles. `twinlock pair` exports one; `twinlock apply <bundle> <hostA> <hostB>`
 * replays it on the next pair, unattended — check the bundle against both servers (nothing
 * changes when it is refused), verify at the bundle's level, install the agent, pair, protect,
 * export. On a pair that already holds the bundle's pair it shows how the pair drifted and the
 * plan that brings it back, applies that plan and checks for drift again; `--check` only reports.
 * The result's `changed` says whether anything changed on a server.
 *
 * A Level 1 bundle makes a failover cluster: on any pair but the one it was exported from, the
 * cluster's name and address are this pair's own (`--cluster-name`, `--cluster-address`), and a
 * replay that would reuse the first pair's is refused before a server changes. A cloud witness's
 * access key is never in a bundle: it comes from the variable `--cloud-witness-key-env` names.
 */
import type { Command } from 'commander';
import type { DriftReport, JobSnapshotOf, PairConfig, Plan } from '../../engine/api';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import {
  addCloudWitnessKeyOption,
  addReplayOptions,
  readCloudWitnessKey,
  replayValuesOf,
  requireCloudWitnessKey,
} from '../options';
import type { JsonOption, ReplayOptions } from '../options';
import { checkReplayCluster } from '../replay-cluster';
import { cloudWitnessKey } from '../cloud-key';
import { driftText } from './drift';
import { planChanges, planSummary, showPlan } from './plan';
import { formatDuration } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

interface ApplyFlags extends ConnectionOptions, JsonOption, ReplayOptions {
  cloudWitnessKeyEnv?: string;
  package?: string;
  trustPublisher?: string;
  check?: boolean;
}

export function registerApplyVerb(program: Command): void {
  addConnectionOptions(
    addCloudWitnessKeyOption(
      addReplayOptions(
        program
          .command('apply')
          .description(
            'replay a configuration bundle on a pair: check, verify, install, pair, protect, export; on a pair that already holds it, plan and apply what brings it back to the bundle',
          )
          .argument('<bundle>', 'a .twinlock bundle exported by Twinlock')
          .argument('<hostA>', 'host[:port] of the primary')
          .argument('<hostB>', 'host[:port] of the secondary'),
      ),
    )
      .option(
        '--package <dir>',
        'agent package folder, when the bundle has no agent/ folder beside it (default: the bundled package)',
      )
      .option(
        '--trust-publisher <thumbprint>',
        'trust the package’s publisher on first use, after comparing its certificate thumbprint',
      )
      .option(
        '--check',
        'only report how the pair differs from the bundle, and the plan that would bring it back (exit 0: it matches, 3: it differs); changes nothing',
      )
      .option('--json', 'print NDJSON progress, then the result'),
  ).action((bundlePath: string, hostA: string, hostB: string, options: ApplyFlags) =>
    runVerb(options.json, 'the replay', async (out, engine) => {
      // The replay values are checked before anything is read (--vm with --no-vms is refused).
      const values = replayValuesOf(options);
      // Read before any server is reached: a pair made afresh with a cloud witness cannot start without it.
      const givenKey = readCloudWitnessKey(options);
      const bundle = await engine.api.readBundle({ path: bundlePath });
      out.info(
        `Bundle ${bundle.pair.name} (level ${bundle.pair.level}${bundle.pair.cluster ? `, cluster ${bundle.pair.cluster.name} at ${bundle.pair.cluster.address}` : ''}, signed ${bundle.createdAt}) verified.`,
      );
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      const sessions: [string, string] = [a!.sessionId, b!.sessionId];
      checkReplayCluster(bundle, values, [a!, b!]);
      const packageOf = options.package ? { packageDir: options.package } : {};

      // Everything is checked before anything changes: a refused bundle leaves both servers as they were.
      const checked = await engine.api.preflightBundle({
        path: bundlePath,
        sessions,
        ...values,
        ...packageOf,
      });
      const config: PairConfig = checked.config;
      out.event({
        event: 'preflight',
        config: {
          name: config.name,
          level: config.level,
          links: config.links,
          witness: config.witness,
          vms: config.vms,
          ...(config.cluster ? { cluster: config.cluster } : {}),
        },
      });
      out.info(
        `Checked against ${a!.computerName} and ${b!.computerName}: pair ${config.name}, ${config.links.length} sync link(s)${config.cluster ? `, cluster ${config.cluster.name} at ${config.cluster.address}` : ''}, VMs: ${config.vms.join(', ') || 'none'}.`,
      );

      // A server without the agent yet answers no status: it holds no pair.
      const statuses = await Promise.all(
        sessions.map((id) => engine.api.status({ sessionId: id }).catch(() => null)),
      );
      const existing = statuses.every((st) => st?.pair?.name === config.name);
      const driftNow = () => engine.api.drift({ bundle: { path: bundlePath }, sessions, ...values });
      let drift: DriftReport | null = null;
      let plan: Plan | null = null;
      if (existing || options.check === true) {
        // The pair as it is, against the bundle; on a pair that holds it, the plan that brings it back.
        drift = await driftNow();
        out.event({ event: 'drift', drift });
        out.info(driftText(drift));
        if (existing) {
          plan = await engine.api.plan({ kind: 'pair', config });
          showPlan(out, plan);
        }
      }
      if (options.check === true) {
        out.result(
          { event: 'result', changed: false, drift, ...(plan ? { plan: planSummary(plan) } : {}) },
          () =>
            drift!.matches
              ? `${config.name} matches its bundle: nothing to change.`
              : `${drift!.differences.length} difference(s); nothing was changed (run without --check to apply the plan above).`,
        );
        return drift!.matches ? EXIT.ok : EXIT.drift;
      }
      const agentDrift = drift?.differences.some((d) => d.field === 'agent') ?? false;
      if (plan && !planChanges(plan) && !agentDrift) {
        const blockers = drift!.differences.filter((d) => d.change === null);
        out.result({ event: 'result', changed: false, drift, plan: planSummary(plan) }, () =>
          blockers.length === 0
            ? `${config.name} matches its bundle: nothing to change.`
            : `${config.name} holds the bundle’s configuration: nothing to change. Applying cannot fix ${blockers.length} difference(s) listed above: follow each one’s hint.`,
        );
        return blockers.length === 0 ? EXIT.ok : EXIT.drift;
      }

      // A pair made afresh needs the cloud witness's key; one brought back only when its quorum is reset.
      if (!existing) requireCloudWitnessKey(config.witness, givenKey, `The bundle ${bundle.pair.name}`);
      const report = await engine.api.verify({
        sessions,
        level: bundle.pair.level,
        ...(config.cluster ? { cluster: config.cluster } : {}),
      });
      out.event({ event: 'verified', verdict: report.verdict, outcome: report.outcome });
      if (report.outcome === 'blocked') {
        out.result({ event: 'result', changed: false, verify: report }, () =>
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

      // A pair that holds the bundle's agent already is not installed again.
      if (!existing || agentDrift) {
        const install = (await followJob(
          engine,
          await engine.api.install(
            bundle.pair.level === 1
              ? // Level 1 enables Windows' Failover Clustering instead: no agent package.
                { sessions, level: 1 }
              : {
                  sessions,
                  level: bundle.pair.level,
                  // The package the bundle names, from the agent/ folder beside it, --package, or the bundled one.
                  bundlePath,
                  ...packageOf,
                  ...(options.trustPublisher !== undefined ? { trustPublisher: options.trustPublisher } : {}),
                },
          ),
          out,
        )) as JobSnapshotOf<'install'>;
        requireDone(install);
        if (bundle.pair.level !== 1 && bundle.agent.version !== install.result?.[0]?.version) {
          out.info(
            `Note: the bundle was made with agent ${bundle.agent.version}; this pair runs ${install.result?.[0]?.version}.`,
          );
        }
        // The install changed the servers the plan was made from.
        if (plan) {
          plan = await engine.api.plan({ kind: 'pair', config });
          showPlan(out, plan);
        }
      }

      // A new pair is planned and the plan shown, then applied exactly, as `twinlock pair` does.
      if (!plan) {
        plan = await engine.api.plan({ kind: 'pair', config });
        showPlan(out, plan);
      }
      // A pair brought back needs the key only when its plan sets the cloud witness again (asked for then).
      const key = givenKey ?? (await cloudWitnessKey(plan, options.cloudWitnessKeyEnv));
      const ref = await engine.api.applyPlan({
        plan,
        sessions,
        ...(key !== undefined ? { cloudWitnessKey: key } : {}),
      });
      const apply = (await followJob(engine, ref, out)) as JobSnapshotOf<'pair'>;
      requireDone(apply);
      const exported = await engine.api.exportBundle({ config });
      // A pair brought back ends with a drift check: it must match its bundle now.
      const after = existing ? await driftNow() : null;
      if (after) out.event({ event: 'drift', drift: after });
      out.result(
        {
          event: 'result',
          changed: true,
          result: apply.result,
          bundle: exported.path,
          ...(after ? { drift: after } : {}),
        },
        () =>
          [
            existing
              ? `${config.name} is ${apply.result?.state} again in ${formatDuration(apply.result?.elapsedMs ?? 0)}: ${plan?.corrects?.length ?? 0} difference(s) brought back.`
              : `${config.name} is ${apply.result?.state}: protected in ${formatDuration(apply.result?.elapsedMs ?? 0)}.`,
            ...(after ? [driftText(after)] : []),
            `Configuration bundle of this pair: ${exported.path}`,
          ].join('\n'),
      );
      return after && !after.matches ? EXIT.drift : EXIT.ok;
    }),
  );
}
