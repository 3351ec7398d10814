/**
 * Fleet runs: every pair of a fleet file applied (or checked for drift) from one bundle, a job of
 * kind `fleet` with one row per pair. Pairs run `parallel` at once, each on its own sessions and
 * through the engine's own contract; one pair's failure never stops or changes another, and
 * cancelling stops them all. An apply keeps a journal (engine/fleet/fleet-journal.ts) so a run of
 * the same fleet after a stop resumes each pair where it stopped.
 */
import type { z } from 'zod';
import type { methods } from '../api/contract';
import { TwinlockError, toErrorData } from '../api/errors';
import type { JobRef, JobSnapshot } from '../api/jobs';
import type { FleetOutcome, FleetPairOutcome } from '../api/models';
import type { JobRunner } from '../jobs/job-runner';
import type { JobContext } from '../jobs/types';
import {
  claimFleetRun,
  fleetIdOf,
  fleetJournalPath,
  journalWriter,
  newJournal,
  readFleetJournal,
  resumeFrom,
} from '../fleet/fleet-journal';
import type { ResumePoint } from '../fleet/fleet-journal';
import type { FleetApi } from '../fleet/run-pair';
import { runFleetPair } from '../fleet/run-pair';
import { checkFleetLevel } from '../fleet/fleet-file';

type Parsed = z.output<(typeof methods)['fleet']['input']>;

export interface FleetServiceDeps {
  /** The engine's own contract (bound once the engine exists). */
  api: () => FleetApi;
  jobs: JobRunner;
  dataDir: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Follows another job's published snapshots. */
  watchJob: (jobId: string, onSnapshot: (job: JobSnapshot) => void) => () => void;
}

export interface FleetService {
  run(request: Parsed): Promise<JobRef>;
}

export function createFleetService(deps: FleetServiceDeps): FleetService {
  const { jobs, dataDir, log } = deps;
  /** Fleets running in this process: a second run of the same one would fight over its servers. */
  const running = new Set<string>();

  return {
    async run(request) {
      const { fleet } = request;
      const bundle = request.bundle ?? fleet.bundle;
      if (!bundle) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `bundle: ${fleet.source} names no bundle for its pairs to replay.`,
          hint: 'Give the bundle with --bundle FILE (a CSV fleet file has no bundle of its own), or add bundle: ./PAIR.twinlock to the YAML file.',
          detail: { field: 'bundle' },
        });
      }
      const api = deps.api();
      // The bundle is read (and its signature checked) once, before any pair starts.
      const opened = await api.readBundle({ path: bundle });
      // Every pair's cluster held to the bundle's level, each problem with its line, before any pair starts.
      checkFleetLevel(fleet, opened);
      if (
        opened.pair.witness?.kind === 'cloud' &&
        request.mode === 'apply' &&
        request.check !== true &&
        request.cloudWitnessKey === undefined
      ) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `cloudWitnessKey: the bundle ${opened.pair.name}’s witness is the cloud witness ${opened.pair.witness.address}, and its access key was not given (a bundle never holds it, nor does a fleet file).`,
          hint: 'Set TWINLOCK_CLOUD_WITNESS_KEY to the storage account’s access key, or put it in another variable and name it: twinlock fleet apply FLEET --cloud-witness-key-env NAME.',
          detail: { field: 'cloudWitnessKey' },
        });
      }
      const id = fleetIdOf(bundle, fleet.pairs);
      const journalPath = fleetJournalPath(
        dataDir,
        request.mode === 'apply' && !request.check ? id : `${id}-${request.check ? 'check' : 'drift'}`,
      );
      if (running.has(journalPath)) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `The fleet ${fleet.source} is already running.`,
          hint: 'Wait for it to end, or cancel it, before running it again.',
        });
      }
      // Another process (a second command, the wizard) running the same fleet is refused at once.
      const claim = await claimFleetRun(journalPath, fleet.source, () =>
        log('warn', `The claim on the fleet journal ${journalPath} was lost: this process stalled too long.`),
      );
      const fresh = newJournal(id, fleet.source, bundle, fleet.pairs, new Date().toISOString());
      // Only an apply resumes: a drift check or a --check plan changes nothing and is simply run again.
      const resumable = request.mode === 'apply' && !request.check;
      let writer: ReturnType<typeof journalWriter>;
      let points: Map<string, ResumePoint>;
      try {
        const previous = resumable ? await readFleetJournal(journalPath) : null;
        const resumed = resumeFrom(previous, fresh, request.restart === true || !resumable);
        points = resumed.points;
        writer = journalWriter(journalPath, resumed.journal, (err) =>
          log('warn', `The fleet journal could not be written: ${toErrorData(err).message}`),
        );
        await writer.flush();
      } catch (err) {
        await claim.release();
        throw err;
      }
      running.add(journalPath);
      const labels = Object.fromEntries(
        fleet.pairs.map((p) => [p.name, `${endpointOf(p.primary)} + ${endpointOf(p.secondary)}`]),
      );
      log(
        'info',
        `Fleet ${fleet.source}: ${request.mode === 'drift' ? 'checking' : request.check ? 'planning' : 'applying'} ${fleet.pairs.length} pair(s), ${request.parallel} at a time.`,
      );

      const job = async (ctx: JobContext<'fleet'>): Promise<FleetOutcome> => {
        const started = Date.now();
        const outcomes = new Map<string, FleetPairOutcome>();
        const publish = () => {
          const finished = outcomes.size;
          // Each pair's outcome is visible as soon as it ends, not only when the whole fleet has.
          ctx.partial({
            mode: request.mode,
            pairs: fleet.pairs.flatMap((p) => outcomes.get(p.name) ?? []),
            counts: {},
            elapsedMs: Date.now() - started,
            journal: journalPath,
          });
          ctx.progress(
            Math.round((finished / fleet.pairs.length) * 100),
            `${finished} of ${fleet.pairs.length} pair(s) done.`,
          );
        };
        for (const p of fleet.pairs) {
          const point = points.get(p.name);
          if (point?.finished) {
            ctx.host(p.name, {
              label: point.finished.servers ? point.finished.servers.join(' + ') : labels[p.name]!,
              state: 'done',
              step: 'done',
              percent: 100,
              message: `${point.finished.result === 'protected' ? 'Protected' : 'Unchanged'} by an earlier run.`,
            });
            outcomes.set(p.name, {
              name: p.name,
              servers: point.finished.servers ?? [endpointOf(p.primary), endpointOf(p.secondary)],
              result: point.finished.result,
              changed: false,
              resumed: point.steps,
              elapsedMs: 0,
            });
          } else {
            ctx.host(p.name, {
              label: labels[p.name]!,
              state: 'pending',
              step: 'waiting',
              percent: 0,
              message: 'Waiting.',
            });
          }
        }
        publish();
        const queue = fleet.pairs.filter((p) => !outcomes.has(p.name));
        const worker = async () => {
          for (let pair = queue.shift(); pair; pair = queue.shift()) {
            if (ctx.signal.aborted) break;
            const name = pair.name;
            const point: ResumePoint = points.get(name) ?? { steps: [] };
            const outcome = await runFleetPair(
              pair,
              {
                mode: request.mode,
                check: request.check === true,
                bundle,
                credentials: request.credentials,
                trustNew: request.trustNew === true,
                fingerprints: request.fingerprints,
                packageDir: request.packageDir,
                trustPublisher: request.trustPublisher,
                timeoutMs: request.timeoutMs,
                cloudWitnessKey: request.cloudWitnessKey,
              },
              {
                api,
                signal: ctx.signal,
                finished: point.steps,
                progress: (patch) => ctx.host(name, patch),
                stepDone: (step) => writer.step(name, step),
                reached: (servers) => writer.servers(name, servers),
                watchJob: deps.watchJob,
              },
            );
            // Journalled before it is shown: a pair reported ended is one a later run will not redo.
            await writer.ended(
              name,
              outcome.result === 'failed' ? undefined : outcome.result,
              outcome.changed,
            );
            outcomes.set(name, outcome);
            // The outcome goes out with (or before) the row that says the pair ended.
            publish();
            ctx.host(name, {
              state: outcome.result === 'failed' ? 'failed' : 'done',
              step: outcome.result === 'failed' ? (outcome.failedStep ?? 'waiting') : 'done',
              percent: 100,
              message: messageOf(outcome),
            });
            log(
              outcome.result === 'failed' ? 'warn' : 'info',
              `Fleet pair ${name} (${outcome.servers.join(', ')}): ${outcome.result}${outcome.error ? ` — ${outcome.error.message}` : ''}.`,
            );
            publish();
          }
        };
        try {
          await Promise.all(
            Array.from({ length: Math.min(request.parallel, Math.max(queue.length, 1)) }, worker),
          );
          if (ctx.signal.aborted) {
            for (const p of fleet.pairs)
              if (!outcomes.has(p.name))
                ctx.host(p.name, { state: 'skipped', message: 'Not started: the run was stopped.' });
            throw ctx.signal.reason instanceof Error
              ? ctx.signal.reason
              : new TwinlockError({ code: 'cancelled', message: 'The fleet run was stopped.' });
          }
          if (resumable) await writer.close();
          else await writer.flush();
        } finally {
          running.delete(journalPath);
        }
        const pairs = fleet.pairs.map((p) => outcomes.get(p.name)!);
        const counts: Record<string, number> = {};
        for (const o of pairs) counts[o.result] = (counts[o.result] ?? 0) + 1;
        const result: FleetOutcome = {
          mode: request.mode,
          pairs,
          counts,
          elapsedMs: Date.now() - started,
          journal: journalPath,
        };
        return result;
      };
      try {
        return await jobs.start(
          'fleet',
          async (ctx) => {
            try {
              return await job(ctx);
            } finally {
              // The claim is held until the run has ended, however it ended.
              await claim.release();
            }
          },
          labels,
        );
      } catch (err) {
        running.delete(journalPath);
        await claim.release();
        throw err;
      }
    },
  };
}

function endpointOf(h: { address: string; port: number }): string {
  return h.address.includes(':') ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`;
}

/** The row's last line, for the admin. */
function messageOf(o: FleetPairOutcome): string {
  switch (o.result) {
    case 'protected':
      return 'Protected.';
    case 'unchanged':
      return 'Already as the bundle has it: nothing changed.';
    case 'matches':
      return 'Matches the bundle.';
    case 'drift':
      return `${o.differences?.length ?? 0} difference(s) from the bundle.`;
    case 'planned':
      return `${o.differences?.length ?? 0} change(s) planned.`;
    case 'failed':
      return o.error?.message ?? 'Failed.';
  }
}
