/**
 * Follows a job: progress bars on a terminal (one per host, or one for the job), NDJSON progress
 * events with --json, nothing on a pipe without --json. Resolves with the final snapshot.
 */
import type * as CliProgress from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import type { HostProgress, JobRef, JobSnapshot, TwinlockEngine } from '../engine/api';
import { TwinlockError } from '../engine/api/errors';
import type { Output } from './output';

type ProgressBars = Pick<typeof CliProgress, 'MultiBar' | 'SingleBar' | 'Presets'>;
let progressBars: Promise<ProgressBars> | undefined;

/**
 * The progress bar library, loaded for a terminal only: a command whose output is piped or JSON
 * never evaluates it. Its CommonJS exports are the `default` of the module namespace (bundled or not).
 */
export function loadProgressBars(): Promise<ProgressBars> {
  return (progressBars ??= import('cli-progress').then(
    (m) => (m as { default?: ProgressBars }).default ?? m,
  ));
}

export async function followJob(engine: TwinlockEngine, ref: JobRef, out: Output): Promise<JobSnapshot> {
  const tty = !out.json && process.stderr.isTTY === true;
  const { MultiBar, Presets } = tty ? await loadProgressBars() : { MultiBar: null, Presets: null };
  const multibar =
    MultiBar && Presets
      ? new MultiBar(
          { format: ' {label} |{bar}| {percentage}% {message}', hideCursor: true, clearOnComplete: false },
          Presets.shades_classic,
        )
      : null;
  const bars = new Map<string, SingleBar>();

  const draw = (job: JobSnapshot): void => {
    out.event({
      event: 'progress',
      jobId: job.id,
      kind: job.kind,
      state: job.state,
      percent: job.percent,
      message: job.message,
      hosts: job.hosts,
    });
    if (!multibar) return;
    const entries = Object.entries(job.hosts);
    const rows =
      entries.length > 0
        ? entries.map(([id, h]) => [id, h.label, h.percent, withEta(h)] as const)
        : [['job', job.kind, job.percent, job.message] as const];
    for (const [id, label, percent, message] of rows) {
      let bar = bars.get(id);
      if (!bar) {
        bar = multibar.create(100, 0, { label: label.padEnd(16), message: '' });
        bars.set(id, bar);
      }
      bar.update(Math.round(percent), { label: label.padEnd(16), message });
    }
  };

  const unsubscribe = engine.subscribe((event) => {
    if (event.type === 'job' && event.job.id === ref.jobId) draw(event.job);
  });
  try {
    const final = await engine.api.waitJob({ jobId: ref.jobId });
    draw(final);
    return final;
  } finally {
    unsubscribe();
    multibar?.stop();
  }
}

/** An upload's line with the time it should still take. */
function withEta(h: HostProgress): string {
  if (h.step !== 'upload' || h.etaSeconds === undefined || h.state !== 'running') return h.message;
  const eta = h.etaSeconds;
  return `${h.message}, ${eta < 60 ? `${eta} s` : `${Math.floor(eta / 60)} min ${eta % 60} s`} left`;
}

/** Throws the job's error when it did not finish. */
export function requireDone(job: JobSnapshot): void {
  if (job.state === 'done') return;
  const error = job.error ?? { code: 'cancelled', message: 'The operation was cancelled.' };
  throw new TwinlockError(error);
}
