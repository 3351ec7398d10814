/**
 * The pair: `twinlock pair` (pair two servers, or resume an interrupted pairing), `twinlock unpair`
 * and `twinlock status` (the agent's pair status on one server).
 */
import type { Command } from 'commander';
import type { JobRef, JobSnapshotOf, PairConfig, TwinlockApi } from '../../engine/api';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll, readCredentials } from '../connection';
import type { ConnectionOptions } from '../connection';
import { NO_WITNESS_WARNING, addPairChoiceOptions, pairConfigFrom, requireWitnessChoice } from '../options';
import type { JsonOption, PairChoiceOptions } from '../options';
import { formatDuration, table } from '../output';
import type { Output } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

/** Picks the interrupted pairing to resume, reopens its sessions, and returns the configuration it makes. */
async function resumePairing(
  api: TwinlockApi,
  out: Output,
  options: ConnectionOptions & { resume?: string | boolean },
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
  const ref = await api.resumeJob({ jobId: job.jobId, ...credentials });
  // The engine reopened both sessions: the configuration is the journal's, on them.
  const open = await api.sessions({});
  const sessionOf = (h: { address: string; port: number }) =>
    open.find((s) => s.address === h.address && s.port === h.port)?.sessionId ?? '';
  const [p, s] = job.hosts;
  return { ref, config: { ...job.pair, primary: sessionOf(p!), secondary: sessionOf(s!) } };
}

export function registerPairVerb(program: Command): void {
  addConnectionOptions(
    addPairChoiceOptions(
      program
        .command('pair')
        .description(
          'pair two servers (the first starts as primary), protect their VMs and export the bundle (or resume an interrupted pairing)',
        )
        .argument('[hostA]', 'host[:port] of the primary')
        .argument('[hostB]', 'host[:port] of the secondary'),
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
        PairChoiceOptions & {
          bundle?: string;
          resume?: string | boolean;
        },
    ) =>
      runVerb(options.json, 'the pairing', async (out, engine) => {
        let ref: JobRef;
        let config: PairConfig;
        if (options.resume !== undefined) {
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
          const proposal = await engine.api.proposePair({
            primary: a!.sessionId,
            secondary: b!.sessionId,
            ...(options.linkRange !== undefined ? { linkRange: options.linkRange } : {}),
          });
          config = pairConfigFrom(proposal, options);
          if (config.witness === null) out.warn(NO_WITNESS_WARNING);
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
          ref = await engine.api.pair(config);
        }
        const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'pair'>;
        requireDone(job);
        const outcome = job.result!;
        const exported = await engine.api.exportBundle({
          config,
          ...(options.bundle ? { path: options.bundle } : {}),
        });
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

export function registerUnpairVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('unpair')
      .description(
        'unprotect the VMs and remove the pair from both servers (what a failed pairing could not undo)',
      )
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .option('--yes', 'confirm: both servers stop protecting their VMs')
      .option('--json', 'print JSON'),
  ).action((hostA: string, hostB: string, options: ConnectionOptions & JsonOption & { yes?: boolean }) =>
    runVerb(options.json, 'the unpairing', async (out, engine) => {
      if (!options.yes) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `unpair removes the pair from ${hostA} and ${hostB} and stops protecting their VMs, and --yes was not given.`,
          hint: `Check what they protect first (twinlock status ${hostA}), then run it again with --yes.`,
          detail: { field: 'yes' },
        });
      }
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      const outcomes = await engine.api.unpair({ sessions: [a!.sessionId, b!.sessionId] });
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
      return EXIT.ok;
    }),
  );
}

export function registerStatusVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('status')
      .description('show the agent’s pair status on a server')
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
        ].join('\n');
      });
      return EXIT.ok;
    }),
  );
}
