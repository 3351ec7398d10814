/**
 * A fleet run's journal, `<dataDir>/fleets/<id>.json`: for each pair the steps finished and, once
 * it ended, how. A run of the same fleet (same bundle, same pairs) after a stop reads it: a pair
 * that ended well is not touched again, a pair stopped or failed mid-way continues from its first
 * unfinished step (its own install and pairing journals resume what they had begun). Names,
 * addresses and outcomes only: never a password, a key or a token.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { TwinlockError } from '../api/errors';
import { ClusterConfigSchema, FLEET_RESULTS, FleetProgressStepSchema } from '../api/models';
import type { FleetPair, FleetProgressStep } from '../api/models';
import { endpointId } from '../api/rules';
import { readJsonFile, withFileLock, writeJsonFile } from '../store';

/** The steps of an apply a journal records as finished (connecting is always done again). */
export const JOURNAL_STEPS = ['verify', 'install', 'plan', 'pair', 'drift'] as const;
export type JournalStep = (typeof JOURNAL_STEPS)[number];

const PairEntrySchema = z.object({
  primary: z.string(),
  secondary: z.string(),
  /** Level 1: the pair's own failover cluster, as the fleet file gives it (names and addresses, no secret). */
  cluster: ClusterConfigSchema.optional(),
  /** Computer names, once reached. */
  servers: z.tuple([z.string(), z.string()]).optional(),
  /** Steps finished, in order. */
  steps: z.array(FleetProgressStepSchema),
  /** How the pair ended, once it ended. */
  result: z.enum(FLEET_RESULTS).optional(),
  /** True when a run changed either server. */
  changed: z.boolean().optional(),
});
export type FleetJournalPair = z.infer<typeof PairEntrySchema>;

export const FleetJournalSchema = z.object({
  format: z.literal('twinlock-fleet-journal/1'),
  id: z.string(),
  /** The fleet file it was run from, and the bundle. */
  source: z.string(),
  bundle: z.string(),
  /** `running` until a run ends with every pair finished; then `complete`, and the next run starts afresh. */
  state: z.enum(['running', 'complete']),
  startedAt: z.string(),
  updatedAt: z.string(),
  pairs: z.record(z.string(), PairEntrySchema),
});
export type FleetJournal = z.infer<typeof FleetJournalSchema>;

/** Results a pair is finished with: a later run does not touch it again. */
const FINISHED = new Set(['protected', 'unchanged']);

/** The id of a fleet: its bundle and its pairs (name and both servers), whatever file they came from. */
export function fleetIdOf(bundle: string, pairs: readonly FleetPair[]): string {
  const canonical = JSON.stringify({
    bundle,
    pairs: pairs.map((p) => [p.name, endpointId(p.primary), endpointId(p.secondary)]),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function fleetJournalPath(dataDir: string, id: string): string {
  return join(dataDir, 'fleets', `${id}.json`);
}

/** What a run starts from, pair by pair: the steps an earlier run finished and whether the pair is done. */
export interface ResumePoint {
  steps: FleetProgressStep[];
  /** Set when an earlier run finished the pair: it is reported as it ended, not run again. */
  finished?: { result: 'protected' | 'unchanged'; servers?: [string, string] | undefined };
}

/**
 * The journal a run continues (or a fresh one), and each pair's resume point. A complete journal,
 * `restart`, or a journal of other servers under a pair's name start that pair afresh.
 */
export function resumeFrom(
  previous: FleetJournal | null,
  fresh: FleetJournal,
  restart: boolean,
): { journal: FleetJournal; points: Map<string, ResumePoint> } {
  const points = new Map<string, ResumePoint>();
  const carry = previous !== null && previous.state === 'running' && !restart;
  const journal: FleetJournal = carry ? { ...fresh, startedAt: previous.startedAt, pairs: {} } : fresh;
  for (const [name, entry] of Object.entries(fresh.pairs)) {
    const before = carry ? previous.pairs[name] : undefined;
    // A pair given another cluster since is another pair: it starts afresh.
    const same =
      before &&
      before.primary === entry.primary &&
      before.secondary === entry.secondary &&
      before.cluster?.name === entry.cluster?.name &&
      before.cluster?.address === entry.cluster?.address;
    if (!same) {
      journal.pairs[name] = entry;
      points.set(name, { steps: [] });
      continue;
    }
    const kept: FleetJournalPair = {
      ...entry,
      steps: [...before.steps],
      ...(before.servers ? { servers: before.servers } : {}),
    };
    // A pair whose last step is recorded finished, even when the run stopped before it wrote the result.
    const result = before.result ?? (before.steps.includes('drift') ? 'protected' : undefined);
    if (result && FINISHED.has(result)) {
      kept.result = result;
      if (before.changed !== undefined) kept.changed = before.changed;
      points.set(name, {
        steps: [...before.steps],
        finished: { result: result as 'protected' | 'unchanged', servers: before.servers },
      });
    } else points.set(name, { steps: [...before.steps] });
    journal.pairs[name] = kept;
  }
  return { journal, points };
}

/** A new journal for a fleet's pairs: nothing finished yet. */
export function newJournal(
  id: string,
  source: string,
  bundle: string,
  pairs: readonly FleetPair[],
  now: string,
): FleetJournal {
  return {
    format: 'twinlock-fleet-journal/1',
    id,
    source,
    bundle,
    state: 'running',
    startedAt: now,
    updatedAt: now,
    pairs: Object.fromEntries(
      pairs.map((p) => [
        p.name,
        {
          primary: endpointId(p.primary),
          secondary: endpointId(p.secondary),
          ...(p.cluster ? { cluster: { name: p.cluster.name, address: p.cluster.address } } : {}),
          steps: [],
        },
      ]),
    ),
  };
}

export async function readFleetJournal(path: string): Promise<FleetJournal | null> {
  try {
    return await readJsonFile(path, FleetJournalSchema);
  } catch {
    // A damaged journal is no reason to refuse the run: every pair then starts from the start,
    // and each step of Twinlock's is safe to run again (installs and pairings check first).
    return null;
  }
}

/**
 * Writes a journal as its run changes it: one write at a time, each the whole document, atomic and
 * under the file's cross-process lock. A failed write is reported, never thrown into the run.
 */
export function journalWriter(path: string, journal: FleetJournal, onError: (err: unknown) => void) {
  let chain: Promise<void> = Promise.resolve();
  const flush = () => {
    journal.updatedAt = new Date().toISOString();
    const snapshot = structuredClone(journal);
    chain = chain
      .then(() => withFileLock(path, () => writeJsonFile(path, snapshot)))
      .catch((err: unknown) => onError(err));
    return chain;
  };
  return {
    journal,
    flush,
    /** Records that a pair finished a step. */
    step(name: string, step: JournalStep): Promise<void> {
      const entry = journal.pairs[name];
      if (entry && !entry.steps.includes(step)) entry.steps.push(step);
      return flush();
    },
    servers(name: string, servers: [string, string]): Promise<void> {
      const entry = journal.pairs[name];
      if (entry) entry.servers = servers;
      return flush();
    },
    /** Records how a pair ended. */
    ended(name: string, result: FleetJournalPair['result'], changed: boolean): Promise<void> {
      const entry = journal.pairs[name];
      if (entry) {
        if (result === undefined) delete entry.result;
        else entry.result = result;
        entry.changed = changed || entry.changed === true;
      }
      return flush();
    },
    /** Marks the run complete when every pair finished well; the next run then starts afresh. */
    close(): Promise<void> {
      if (Object.values(journal.pairs).every((p) => p.result !== undefined && FINISHED.has(p.result)))
        journal.state = 'complete';
      return flush();
    },
  };
}
export type FleetJournalWriter = ReturnType<typeof journalWriter>;

/** Who runs a fleet: written beside its journal while the run holds it, so a second run can say who. */
const RunOwnerSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
  source: z.string(),
});
export type FleetRunOwner = z.infer<typeof RunOwnerSchema>;

/** A run's claim not refreshed for this long was left by a process that died (proper-lockfile's minimum is 2 s). */
const RUN_STALE_MS = 5_000;
/** Waits a little longer than RUN_STALE_MS, only when the recorded holder is known to be gone. */
const RUN_STALE_RETRIES = { retries: 16, factor: 1, minTimeout: 350, maxTimeout: 500, randomize: true };

function runLockPath(journalPath: string): string {
  return `${journalPath}.run.lock`;
}
function runOwnerPath(journalPath: string): string {
  return `${journalPath}.run.json`;
}

/** False only when `owner` is a process of this computer that no longer exists. */
function ownerAlive(owner: FleetRunOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockRun(journalPath: string, retries: number | typeof RUN_STALE_RETRIES, onLost: () => void) {
  // proper-lockfile keeps its locks by the locked file's path: the run locks `<journal>.run` (its
  // folder `<journal>.run.lock`), not the journal itself, whose writes take and release their own lock.
  return lockfile.lock(runLockPath(journalPath).replace(/\.lock$/, ''), {
    realpath: false,
    stale: RUN_STALE_MS,
    update: 1_000,
    retries,
    onCompromised: onLost,
  });
}

function alreadyRunning(source: string, owner: FleetRunOwner | null, cause: unknown): TwinlockError {
  const who = owner
    ? `process ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, started ${owner.startedAt}`
    : 'another Twinlock process on this workstation';
  return new TwinlockError(
    {
      code: 'invalid-input',
      message: `The fleet ${source} is already being run by ${who}; the same fleet cannot run twice at once.`,
      hint: owner
        ? `Wait for that run to end, or stop it (Ctrl+C where it runs, or kill ${owner.pid}); then run the fleet again: it resumes where that run stopped.`
        : 'Wait for that run to end, or stop it; then run the fleet again: it resumes where that run stopped.',
      detail: {
        field: 'fleet',
        ...(owner ? { pid: owner.pid, host: owner.host, startedAt: owner.startedAt } : {}),
      },
    },
    { cause },
  );
}

/** This process's claim on a fleet's journal, held while its run lasts. */
export interface FleetRunClaim {
  /** Gives the fleet up (when the run ended); harmless twice. */
  release(): Promise<void>;
}

/**
 * Claims the run of a fleet for this process, across processes: a `<journal>.run.lock` folder
 * (proper-lockfile, refreshed every second) and `<journal>.run.json` naming who holds it. A second
 * run while a live process holds it is refused at once, naming that process and when it started.
 * A claim left by a process that died (killed, crashed) does not block: when its recorded process
 * is gone the claim is waited out until stale (5 to 8 s) and taken over.
 */
export async function claimFleetRun(
  journalPath: string,
  source: string,
  onLost: () => void = () => undefined,
): Promise<FleetRunClaim> {
  await mkdir(dirname(journalPath), { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockRun(journalPath, 0, onLost);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    const owner = await readJsonFile(runOwnerPath(journalPath), RunOwnerSchema).catch(() => null);
    if (owner && ownerAlive(owner)) throw alreadyRunning(source, owner, err);
    // The recorded holder is gone (or was never recorded): its claim goes stale within seconds.
    try {
      release = await lockRun(journalPath, RUN_STALE_RETRIES, onLost);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'ELOCKED') throw again;
      const now = await readJsonFile(runOwnerPath(journalPath), RunOwnerSchema).catch(() => null);
      throw alreadyRunning(source, now, again);
    }
  }
  const owner: FleetRunOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    source,
  };
  try {
    await writeJsonFile(runOwnerPath(journalPath), owner);
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await rm(runOwnerPath(journalPath), { force: true }).catch(() => undefined);
      await release().catch(() => undefined);
    },
  };
}
