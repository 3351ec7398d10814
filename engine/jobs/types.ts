/** How engine modules report progress from inside a job. Implemented in job-runner.ts. */
import type { HostProgressOf, JobKind, JobSnapshotOf, ScanCounts } from '../api/jobs';

export interface JobContext<K extends JobKind> {
  readonly jobId: string;
  /** Aborted when the job is cancelled. */
  readonly signal: AbortSignal;
  /** Overall progress: 0..100 and one line for the admin. */
  progress(percent: number, message: string): void;
  /** Per-host progress, merged into the host's entry (created on first call); the step is one of the job kind's. */
  host(sessionId: string, patch: Partial<HostProgressOf<K>> & { label?: string }): void;
  /** Replaces the partial result visible while running (scan results stream this way). */
  partial(result: JobSnapshotOf<K>['result']): void;
  /** A scan's counts (probed / total / found), published with the next snapshot. */
  counts?(counts: ScanCounts): void;
}

/** The work of a job: resolves to its result, throws TwinlockError on failure. */
export type JobWork<K extends JobKind> = (
  ctx: JobContext<K>,
) => Promise<NonNullable<JobSnapshotOf<K>['result']>>;
