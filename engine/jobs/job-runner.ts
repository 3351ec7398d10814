/**
 * Runs long operations as jobs: each call returns at once with a {@link JobRef}; progress is
 * published as whole, immutable {@link JobSnapshot}s, throttled per job so that a flood of
 * progress (a scan of a /16, an upload) does not flood the shells; the final snapshot always goes out.
 */
import { randomUUID } from 'node:crypto';
import { TwinlockError, toErrorData } from '../api/errors';
import type { HostProgress, JobKind, JobRef, JobSnapshot, JobSnapshotOf } from '../api/jobs';
import { systemClock } from './sleep';
import type { Clock } from './sleep';
import { WAITING_STEP } from '../api/rules';
import type { JobContext, JobWork } from './types';

/**
 * A change to a job's snapshot. The runner merges host entries of any kind; the steps in them are
 * the job kind's, since each kind's work reports through its own typed {@link JobContext}.
 */
type SnapshotChange = Partial<Omit<JobSnapshot, 'hosts'>> & { hosts?: Record<string, HostProgress> };

/**
 * Where a journal on disk plugs in (to resume after a crash): it sees the first snapshot, every
 * published one, and the final one. Errors it throws are ignored; it must not block.
 */
export interface JobJournal {
  record(snapshot: JobSnapshot): void;
}

export interface JobRunnerOptions {
  /** Minimum milliseconds between two published snapshots of one job (default 100). */
  throttleMs?: number;
  /** Finished jobs kept for `get`/`wait` (default 200); the oldest are forgotten first. */
  keepFinished?: number;
  /** Receives snapshots for a journal on disk. */
  journal?: JobJournal;
  /** Reads the time and sets the throttle's and the cancel grace's timers (engine/jobs/sleep.ts); real time by default. */
  clock?: Clock;
  /** Job ids, for tests. */
  newId?: () => string;
}

export interface JobRunner {
  /** Starts `work` as a job of `kind`; `hosts` (sessionId → label) pre-fills per-host progress. */
  start<K extends JobKind>(kind: K, work: JobWork<K>, hosts?: Record<string, string>): JobRef;
  /** The job's latest snapshot; TwinlockError `not-found` for an unknown id. */
  get(id: string): JobSnapshot;
  /** Resolves with the final snapshot (done, failed or cancelled); never rejects for a known id. */
  wait(id: string): Promise<JobSnapshot>;
  /** Asks the job to stop (its signal aborts); no effect on a finished job. */
  cancel(id: string): void;
  /** Cancels every running job and waits up to `graceMs` (default 5 s) for them to end. */
  cancelAll(graceMs?: number): Promise<void>;
  /** Every known job, newest first. */
  list(): JobSnapshot[];
}

interface JobRecord {
  snapshot: JobSnapshot;
  controller: AbortController;
  done: Promise<JobSnapshot>;
  finished: boolean;
  lastPublished: number;
  /** Cancels the pending throttled publish. */
  timer: (() => void) | undefined;
  /** Latest partial result, copied into the snapshot only when one is read or published. */
  pendingResult?: { value: unknown };
}

/** Copies a pending partial result into the snapshot (cloning once, not on every call). */
function materialize(job: JobRecord): JobSnapshot {
  if (job.pendingResult) {
    const value = structuredClone(job.pendingResult.value);
    job.pendingResult = undefined;
    job.snapshot = freeze({ ...job.snapshot, result: value } as JobSnapshot);
  }
  return job.snapshot;
}

/** Creates a runner that calls `onEvent` with each published snapshot. */
export function createJobRunner(
  onEvent: (snapshot: JobSnapshot) => void,
  options: JobRunnerOptions = {},
): JobRunner {
  const throttleMs = options.throttleMs ?? 100;
  const keepFinished = options.keepFinished ?? 200;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const newId = options.newId ?? (() => `job-${randomUUID()}`);
  const jobs = new Map<string, JobRecord>();

  const emit = (snapshot: JobSnapshot) => {
    try {
      options.journal?.record(snapshot);
    } catch {
      // The journal is best effort: a full disk must not fail the operation itself.
    }
    try {
      onEvent(snapshot);
    } catch {
      // A broken listener must not break the job.
    }
  };

  const publish = (job: JobRecord) => {
    if (job.timer !== undefined) {
      job.timer();
      job.timer = undefined;
    }
    job.lastPublished = now();
    emit(materialize(job));
  };

  const schedule = (job: JobRecord) => {
    if (job.finished || job.timer !== undefined) return;
    const wait = job.lastPublished + throttleMs - now();
    if (wait <= 0) publish(job);
    else job.timer = clock.timer(wait, () => publish(job));
  };

  const update = (job: JobRecord, change: SnapshotChange) => {
    if (job.finished) return;
    job.snapshot = freeze({ ...job.snapshot, ...change } as JobSnapshot);
    schedule(job);
  };

  const forgetOld = () => {
    const finished = [...jobs.entries()].filter(([, j]) => j.finished);
    for (const [id] of finished.slice(0, Math.max(0, finished.length - keepFinished))) jobs.delete(id);
  };

  const lookup = (id: string): JobRecord => {
    const job = jobs.get(id);
    if (!job) {
      throw new TwinlockError({
        code: 'not-found',
        message: `There is no operation with id ${id} (it may have finished long ago).`,
        detail: { jobId: id },
      });
    }
    return job;
  };

  return {
    start<K extends JobKind>(kind: K, work: JobWork<K>, hosts: Record<string, string> = {}): JobRef {
      const id = newId();
      const controller = new AbortController();
      const hostEntries: Record<string, HostProgress> = {};
      for (const [sessionId, label] of Object.entries(hosts)) {
        hostEntries[sessionId] = {
          label,
          state: 'pending',
          step: WAITING_STEP,
          percent: 0,
          message: 'Waiting',
        };
      }
      const initial = {
        id,
        kind,
        state: 'running',
        startedAt: new Date(now()).toISOString(),
        finishedAt: null,
        percent: 0,
        message: 'Starting',
        hosts: hostEntries,
        error: null,
        result: kind === 'scan' ? [] : null,
      } as unknown as JobSnapshotOf<K>;

      let resolveDone!: (s: JobSnapshot) => void;
      const job: JobRecord = {
        snapshot: freeze(initial as JobSnapshot),
        controller,
        done: new Promise<JobSnapshot>((r) => (resolveDone = r)),
        finished: false,
        lastPublished: now(),
        timer: undefined,
      };
      jobs.set(id, job);
      emit(job.snapshot);

      const ctx: JobContext<K> = {
        jobId: id,
        signal: controller.signal,
        progress(percent, message) {
          update(job, { percent: clampPercent(percent), message });
        },
        host(sessionId, patch) {
          const current = job.snapshot.hosts[sessionId] ?? {
            label: sessionId,
            state: 'pending' as const,
            step: WAITING_STEP,
            percent: 0,
            message: '',
          };
          const next: HostProgress = { ...current, ...patch };
          if (patch.percent !== undefined) next.percent = clampPercent(patch.percent);
          // The throttle coalesces percentages, never steps: a step that starts and ends within
          // one interval (a small upload on a fast link) is still published, with its last figures.
          const stepChanged = next.step !== current.step && !job.finished;
          if (stepChanged && job.timer !== undefined) publish(job);
          update(job, { hosts: { ...job.snapshot.hosts, [sessionId]: next } });
          if (stepChanged) publish(job);
        },
        partial(result) {
          if (job.finished) return;
          job.pendingResult = { value: result };
          schedule(job);
        },
        counts(counts) {
          if (kind === 'scan') update(job, { counts: { ...counts } } as SnapshotChange);
        },
      };

      const finish = (change: SnapshotChange) => {
        job.timer?.();
        job.timer = undefined;
        materialize(job);
        job.snapshot = freeze({
          ...job.snapshot,
          ...change,
          finishedAt: new Date(now()).toISOString(),
        } as JobSnapshot);
        job.finished = true;
        publish(job);
        resolveDone(job.snapshot);
        forgetOld();
      };

      Promise.resolve()
        .then(() => {
          if (controller.signal.aborted) throw controller.signal.reason;
          return work(ctx);
        })
        .then(
          (result) => {
            // Work that ignored the abort and finished anyway still reports what it did.
            if (controller.signal.aborted) {
              finish({
                ...cancelledChange(job.snapshot),
                result: structuredClone(result),
              } as SnapshotChange);
              return;
            }
            finish({
              state: 'done',
              percent: 100,
              message: job.snapshot.message === 'Starting' ? 'Done' : job.snapshot.message,
              result: structuredClone(result),
              error: null,
            } as SnapshotChange);
          },
          (err: unknown) => {
            const data = toErrorData(err, `the ${kind}`);
            if (controller.signal.aborted || data.code === 'cancelled') {
              // The work's own words, when it said what a cancel left behind ("the restart goes on").
              finish(
                data.code === 'cancelled'
                  ? { ...cancelledChange(job.snapshot), error: data }
                  : cancelledChange(job.snapshot),
              );
              return;
            }
            finish({
              state: 'failed',
              message: data.message,
              error: data,
              hosts: settleHosts(job.snapshot.hosts, 'failed'),
            });
          },
        );

      return { jobId: id, kind };
    },

    get(id) {
      return materialize(lookup(id));
    },

    wait(id) {
      try {
        return lookup(id).done;
      } catch (err) {
        return Promise.reject(err);
      }
    },

    cancel(id) {
      const job = lookup(id);
      if (!job.finished) job.controller.abort(cancelledError());
    },

    async cancelAll(graceMs = 5000) {
      const running = [...jobs.values()].filter((j) => !j.finished);
      for (const job of running) job.controller.abort(cancelledError());
      if (running.length === 0) return;
      let cancelTimer: (() => void) | undefined;
      await Promise.race([
        Promise.all(running.map((j) => j.done)),
        new Promise<void>((r) => (cancelTimer = clock.timer(graceMs, r))),
      ]);
      cancelTimer?.();
    },

    list() {
      return [...jobs.values()].map(materialize).reverse();
    },
  };
}

function cancelledError(): TwinlockError {
  return new TwinlockError({ code: 'cancelled', message: 'The operation was cancelled.' });
}

function cancelledChange(snapshot: JobSnapshot): SnapshotChange {
  return {
    state: 'cancelled',
    message: 'Cancelled',
    error: cancelledError().toData(),
    hosts: settleHosts(snapshot.hosts, 'skipped'),
  };
}

/** Hosts still waiting or working when the job ends did not finish: say so. */
function settleHosts(
  hosts: Record<string, HostProgress>,
  running: 'failed' | 'skipped',
): Record<string, HostProgress> {
  const out: Record<string, HostProgress> = {};
  for (const [id, h] of Object.entries(hosts)) {
    out[id] =
      h.state === 'running'
        ? { ...h, state: running }
        : h.state === 'pending'
          ? { ...h, state: 'skipped' }
          : h;
  }
  return out;
}

function clampPercent(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(100, p));
}

/** Snapshots are shared with every listener; freezing them makes accidental edits fail loudly. */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) freeze(v);
  }
  return value;
}
