/**
 * Follows a job to its end: snapshots arrive as `job` events, with a poll of `job` as a safety
 * net for a WebSocket that dropped (and for a job that ended before the subscription started).
 */
import type { JobKind, JobSnapshotOf, TwinlockErrorData } from '../../../engine/api';
import type { ApiClient } from './client';
import { toUiError } from './errors';

/** A job being followed. */
export interface JobFollower<K extends JobKind> {
  /** Resolves with the final snapshot (done, failed or cancelled). */
  done: Promise<JobSnapshotOf<K>>;
  /** Stops following (the job itself goes on). */
  stop(): void;
}

/** Follows job `jobId`, calling `onSnapshot` with each new snapshot. */
export function followJob<K extends JobKind>(
  client: ApiClient,
  jobId: string,
  onSnapshot: (snapshot: JobSnapshotOf<K>) => void,
  pollMs = 1500,
): JobFollower<K> {
  let stopped = false;
  let lastEventAt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let resolveDone!: (s: JobSnapshotOf<K>) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<JobSnapshotOf<K>>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  const stop = (): void => {
    stopped = true;
    unsubscribe();
    if (timer !== null) clearTimeout(timer);
  };

  const accept = (snapshot: JobSnapshotOf<K>): void => {
    if (stopped) return;
    onSnapshot(snapshot);
    if (snapshot.state !== 'running') {
      stop();
      resolveDone(snapshot);
    }
  };

  const unsubscribe = client.subscribe((event) => {
    if (event.type === 'job' && event.job.id === jobId) {
      lastEventAt = Date.now();
      accept(event.job as JobSnapshotOf<K>);
    }
  });

  const poll = async (): Promise<void> => {
    if (stopped) return;
    // While events flow, a poll answer could be older than the last event: skip it.
    if (Date.now() - lastEventAt >= pollMs) {
      try {
        accept((await client.call('job', { jobId })) as JobSnapshotOf<K>);
      } catch (err) {
        stop();
        rejectDone(err);
        return;
      }
    }
    if (!stopped) timer = setTimeout(() => void poll(), pollMs);
  };
  void poll();

  return { done, stop };
}

/** The result of a job that finished; its error (or `missing`, when it gave none) otherwise. */
export function resultOf<K extends JobKind>(
  final: JobSnapshotOf<K>,
  missing: TwinlockErrorData,
): NonNullable<JobSnapshotOf<K>['result']> {
  if (final.state === 'done' && final.result !== null)
    return final.result as NonNullable<JobSnapshotOf<K>['result']>;
  throw final.error ?? missing;
}

/** Asks the engine to cancel a job; the error to show when it could not, else null. */
export async function requestCancel(
  client: ApiClient,
  jobId: string,
  doing: string,
): Promise<TwinlockErrorData | null> {
  try {
    await client.call('cancelJob', { jobId });
    return null;
  } catch (err) {
    return toUiError(err, doing);
  }
}
