/**
 * The pair: `twinlock pair` (pair two servers, or resume an interrupted pairing), `twinlock unpair`
 * and `twinlock status` (the agent's pair status on one server).
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ClusterStatus, JobRef, JobSnapshotOf, PairConfig, Plan, TwinlockApi } from '../../engine/api';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll, readCredentials } from '../connection';
import { cloudWitnessKey, cloudWitnessKeyOf } from '../cloud-key';
import type { ConnectionOptions } from '../connection';
import { addCloudWitnessKeyOption, requireWitnessChoice } from '../options';
import type { JsonOption } from '../options';
import {
  addPairConfigOptions,
  confirm,
  pairConfigFor,
  planChanges,
  planHosts,
  readPlanFile,
  showPlan,
} from './plan';
import type { PairConfigFlags } from './plan';
import { formatDuration, table } from '../output';
import type { Output } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

/** Picks the interrupted pairing to resume, reopens its sessions, and returns the configuration it makes. */
async function resumePairing(
  api: TwinlockApi,
  out: Output,
  options: ConnectionOptions & { resume?: string | boolean; cloudWitnessKeyEnv?: string },
): Promise<{ ref: JobRef; config: PairConfig }> {
  const candidates = (await api.resumableJobs({})).filter((j) => j.kind === 'pair');
  const wanted = typeof options.resume === 'string' ? options.resume : undefined;
  const job = wanted ? candidates.find((j) => j.jobId === wanted) : candidates[0];
  if (!job || !job.pair) {
    throw new TwinlockError({
      code: 'not-found',
      message: wanted
        ? `There is no interrupted pairing with id ${wanted}.`
        : 'There is no interrupted pairing to resume.',
      hint: 'Pair the servers with twinlock pair <hostA> <hostB>.',
    });
  }
  out.info(
    `Resuming the pairing ${job.pair.name} started ${job.startedAt} on ${job.hosts
      .map((h) => `${h.computerName} (done: ${h.completed.join(', ') || 'nothing yet'})`)
      .join(' and ')}`,
  );
  const credentials = job.needsPassword ? await readCredentials(options) : {};
  // Level 1 with a cloud witness not yet set: its access key again (never stored in the journal).
  const quorumDone = job.hosts[0]?.completed.includes('primary/quorum') === true;
  const key =
    job.pair.level === 1 && job.pair.witness?.kind === 'cloud' && !quorumDone
      ? await cloudWitnessKeyOf(job.pair.witness.address, options.cloudWitnessKeyEnv)
      : undefined;
  const ref = await api.resumeJob({
    jobId: job.jobId,
    ...credentials,
    ...(key ? { cloudWitnessKey: key } : {}),
  });
  // The engine reopened both sessions: the configuration is the journal's, on them.
  const open = await api.sessions({});
  const sessionOf = (h: { address: string; port: number }) =>
    open.find((s) => s.address === h.address && s.port === h.port)?.sessionId ?? '';
  const [p, s] = job.hosts;
  return { ref, config: { ...job.pair, primary: sessionOf(p!), secondary: sessionOf(s!) } };
}

export function registerPairVerb(program: Command): void {
  addConnectionOptions(
    addPairConfigOptions(
      program
        .command('pair')
        .description(
          'pair two servers (the first starts as primary): show the plan, apply it, protect their VMs and export the bundle (or apply a saved plan, or resume an interrupted pairing)',
        )
        .argument('[hostA]', 'host[:port] of the primary')
        .argument('[hostB]', 'host[:port] of the secondary'),
    )
      .option(
        '--plan <file>',
        'apply exactly this saved plan (twinlock plan --out); refused when a server changed since',
      )
      .option('--bundle <file>', 'where to write the configuration bundle')
      .option(
        '--resume [jobId]',
        'resume an interrupted pairing (the newest one, or this one): finished when healthy on both servers, otherwise removed from both',
      )
      .option('--json', 'print NDJSON progress, then the result'),
  ).action(
    (
      hostA: string | undefined,
      hostB: string | undefined,
      options: ConnectionOptions &
        JsonOption &
        PairConfigFlags & {
          bundle?: string;
          resume?: string | boolean;
          plan?: string;
          cloudWitnessKeyEnv?: string;
        },
    ) =>
      runVerb(options.json, 'the pairing', async (out, engine) => {
        let ref: JobRef;
        let config: PairConfig;
        // Whether the plan applied changes anything on a server (a resumed pairing does).
        let changed = true;
        if (options.plan !== undefined) {
          const plan = await readPlanFile(options.plan);
          changed = planChanges(plan);
          const [a, b] = await connectAll(engine.api, hostsOf(plan), options);
          const sessions: [string, string] = [a!.sessionId, b!.sessionId];
          showPlan(out, plan);
          const key = await cloudWitnessKey(plan, options.cloudWitnessKeyEnv);
          ref = await engine.api.applyPlan({ plan, sessions, ...(key ? { cloudWitnessKey: key } : {}) });
          if (plan.kind === 'unpair') {
            const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'pair'>;
            requireDone(job);
            printUnpaired(out, job.result?.unpaired ?? []);
            return EXIT.ok;
          }
          config = { ...plan.pair, primary: sessions[0], secondary: sessions[1] };
        } else if (options.resume !== undefined) {
          ({ ref, config } = await resumePairing(engine.api, out, options));
        } else {
          if (!hostA || !hostB) {
            throw new TwinlockError({
              code: 'invalid-input',
              message: 'pair needs two servers, e.g. twinlock pair 10.0.0.21 10.0.0.22 --name PAIR-01.',
              hint: 'Name both servers, or use --resume to continue an interrupted pairing.',
            });
          }
          // The witness choice is checked before any server is reached.
          requireWitnessChoice(options);
          const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
          config = await pairConfigFor(engine.api, a!, b!, options, out);
          const interrupted = (await engine.api.resumableJobs({})).find(
            (j) => j.kind === 'pair' && j.hosts.some((h) => h.address === a!.address && h.port === a!.port),
          );
          if (interrupted) {
            out.info(
              `An interrupted pairing (${interrupted.jobId}, ${interrupted.pair?.name ?? 'unnamed'}) exists for these servers; use --resume to finish or roll it back.`,
            );
          }
          out.info(
            `Pairing ${a!.computerName} (primary) with ${b!.computerName} as ${config.name}, level ${config.level}, ` +
              `${config.links.length} sync link(s), witness ${config.witness?.address ?? 'none'}, VMs: ${config.vms.join(', ') || 'none'}`,
          );
          // The plan is shown, then applied exactly: the same steps `twinlock plan` prints.
          const plan = await engine.api.plan({ kind: 'pair', config });
          showPlan(out, plan);
          changed = planChanges(plan);
          const key = await cloudWitnessKey(plan, options.cloudWitnessKeyEnv);
          ref = await engine.api.applyPlan({
            plan,
            sessions: [a!.sessionId, b!.sessionId],
            ...(key ? { cloudWitnessKey: key } : {}),
          });
        }
        const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'pair'>;
        requireDone(job);
        const outcome = job.result!;
        const exported = await engine.api.exportBundle({
          config,
          ...(options.bundle ? { path: options.bundle } : {}),
        });
        out.result({ event: 'result', changed, result: outcome, bundle: exported.path }, () =>
          [
            `${config.name} is ${outcome.state}: protected in ${formatDuration(outcome.elapsedMs)}.`,
            `Configuration bundle: ${exported.path}`,
          ].join('\n'),
        );
        return EXIT.ok;
      }),
  );
  // A cloud witness's key from another variable than TWINLOCK_CLOUD_WITNESS_KEY (added last, so that
  // a pair choice defining the same flag keeps its own).
  addCloudWitnessKeyOption(program.commands.find((c) => c.name() === 'pair')!);
}

export function registerUnpairVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('unpair')
      .description(
        'unprotect the VMs and remove the pair from both servers (what a failed pairing could not undo)',
      )
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .option(
        '--yes',
        'confirm: both servers stop protecting their VMs and lose the sync-link addresses Twinlock added',
      )
      .option('--out <file>', 'save the unpair plan (JSON), to apply later with twinlock pair --plan')
      .option(
        '--remove-feature',
        'Level 1: also uninstall Failover Clustering from both servers (Windows finishes at their next restart)',
      )
      .option('--json', 'print JSON'),
  ).action(
    (
      hostA: string,
      hostB: string,
      options: ConnectionOptions & JsonOption & { yes?: boolean; out?: string; removeFeature?: boolean },
    ) =>
      runVerb(options.json, 'the unpairing', async (out, engine) => {
        const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
        const sessions: [string, string] = [a!.sessionId, b!.sessionId];
        const plan = await engine.api.plan({
          kind: 'unpair',
          sessions,
          removeFeature: options.removeFeature === true,
        });
        showPlan(out, plan);
        if (options.out !== undefined) {
          await writeFile(options.out, `${JSON.stringify(plan, null, 2)}\n`, 'utf8');
          out.info(`Plan saved to ${options.out}; apply it with: twinlock pair --plan ${options.out}`);
        }
        if (!options.yes && (out.json || !(await confirm('Apply this plan?')))) {
          throw new TwinlockError({
            code: 'invalid-input',
            message: `unpair removes the pair from ${hostA} and ${hostB}, stops protecting their VMs and removes the sync-link addresses Twinlock added (addresses set by hand stay), and --yes was not given.`,
            hint: `Read the plan above (or twinlock status ${hostA}), then run it again with --yes.`,
            detail: { field: 'yes' },
          });
        }
        const job = (await followJob(
          engine,
          await engine.api.applyPlan({ plan, sessions }),
          out,
        )) as JobSnapshotOf<'pair'>;
        requireDone(job);
        // Answered in the order the servers were named.
        const unpaired = job.result?.unpaired ?? [];
        const named = [a!.computerName, b!.computerName].map(
          (n) =>
            unpaired.find((o) => o.computerName === n) ?? {
              computerName: n,
              pair: null,
              unprotected: [],
              removed: false,
            },
        );
        printUnpaired(out, named);
        return EXIT.ok;
      }),
  );
}

/** The servers of a saved plan, to connect to. */
function hostsOf(plan: Plan): string[] {
  return planHosts(plan);
}

/** What an unpairing removed, per server. */
function printUnpaired(
  out: Output,
  outcomes: { computerName: string; pair: string | null; unprotected: string[]; removed: boolean }[],
): void {
  out.result(outcomes, () =>
    table(
      ['Server', 'Pair', 'Unprotected', 'Removed'],
      outcomes.map((o) => [
        o.computerName,
        o.pair ?? 'none',
        o.unprotected.join(', ') || '-',
        o.removed ? 'yes' : 'nothing to remove',
      ]),
    ),
  );
}

/** A Level 1 pair's cluster as `status` prints it: its nodes, witness and VM roles with their owners. */
function clusterLines(c: ClusterStatus): string[] {
  const w = c.quorum.witness;
  return [
    `  cluster ${c.name} (${c.addresses.join(', ') || 'no address'}), domain ${c.domain}, quorum ${c.quorum.type}`,
    ...c.nodes.map((n) => `    node ${n.name}: ${n.state}`),
    w ? `    witness ${w.kind} ${w.address}: ${w.state}` : '    witness: none (node majority)',
    ...c.roles.map((r) => `    role ${r.name} (VM ${r.vm}): ${r.state} on ${r.ownerNode}`),
    ...c.networks.map(
      (n) =>
        `    network ${n.name} ${n.address}/${n.prefixLength}: ${n.state}, ${n.role === 3 ? 'cluster and client' : n.role === 1 ? 'cluster only' : 'not used'}`,
    ),
  ];
}

export function registerStatusVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('status')
      .description('show the pair status on a server (the agent’s, or at Level 1 its failover cluster’s)')
      .argument('<host>', 'host[:port]')
      .option('--json', 'print JSON'),
  ).action((host: string, options: ConnectionOptions & JsonOption) =>
    runVerb(options.json, 'the status check', async (out, engine) => {
      const [session] = await connectAll(engine.api, [host], options);
      const status = await engine.api.status({ sessionId: session!.sessionId });
      out.result(status, () => {
        if (!status.pair) return `${session!.computerName}: not paired (role ${status.role})`;
        const p = status.pair;
        return [
          `${session!.computerName}: ${p.state}${p.state === 'mirroring' ? ` ${p.progress}%` : ''} — pair ${p.name}, ${status.role}, level ${p.level}, peer ${p.peer}`,
          ...p.links.map(
            (l) =>
              `  link ${l.local} → ${l.remote}: ${l.up ? 'up' : 'DOWN'}, ${l.rttMs} ms, ${l.mbps} Mbit/s`,
          ),
          p.witness
            ? `  witness ${p.witness.address}: ${p.witness.reachable ? 'reachable' : 'UNREACHABLE'}`
            : '  no witness',
          ...status.vms.map((v) => `  VM ${v.name}: ${v.state}${v.protected ? ', protected' : ''}`),
          ...(status.cluster ? clusterLines(status.cluster) : []),
        ].join('\n');
      });
      return EXIT.ok;
    }),
  );
}
