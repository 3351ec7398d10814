/** Turns an apply job's per-host progress into the stage a host is in, in the admin's words. */
import type { HostProgressOf, PairProgressStep } from '../../../engine/api';
import { assertNever } from '../../../engine/api/rules';
import { formatDuration } from '../format';

/** The stages shown while applying, in order. */
export const APPLY_STAGES = ['pairing', 'mirroring', 'syncing', 'protected'] as const;
export type ApplyStage =
  (typeof APPLY_STAGES)[number] | 'failed' | 'waiting' | 'stopped' | 'checking' | 'undoing';

const STAGE_LABELS: Record<ApplyStage, string> = {
  waiting: 'Waiting',
  pairing: 'Pairing',
  mirroring: 'Mirroring storage',
  syncing: 'Synchronising memory',
  protected: 'Protected',
  failed: 'Failed',
  stopped: 'Stopped',
  checking: 'Checking',
  undoing: 'Undoing',
};

/** One host's row on the Apply screen. */
export interface ApplyHostView {
  sessionId: string;
  label: string;
  stage: ApplyStage;
  stageLabel: string;
  percent: number;
  message: string;
}

/** The stage a running host is in at a pairing step. */
function stageOf(step: PairProgressStep): ApplyStage {
  switch (step) {
    case 'preflight':
      return 'checking';
    // A step after the pair was created failed: what was made is being removed again.
    case 'undo':
      return 'undoing';
    case 'mirroring':
    case 'syncing':
    case 'protected':
      return step;
    case 'degraded':
    case 'failed-over':
    case 'broken':
      return 'failed';
    // Waiting for its turn, read back, links tested, pair created or joined, VMs registered, the
    // agent's pair coming up: all part of pairing.
    case 'waiting':
    case 'resume':
    case 'links':
    case 'pair':
    case 'protect':
    case 'none':
    case 'pairing':
      return 'pairing';
    default:
      return assertNever(step);
  }
}

/** The stage for one host's progress; `jobRunning` false once the whole job has ended. */
export function toApplyHostView(
  sessionId: string,
  progress: HostProgressOf<'pair'>,
  jobRunning = true,
): ApplyHostView {
  let stage: ApplyStage;
  if (progress.state === 'failed') stage = 'failed';
  else if (!jobRunning && progress.state !== 'done') stage = 'stopped';
  else if (progress.state === 'pending') stage = 'waiting';
  else if (progress.state === 'done') stage = 'protected';
  else stage = stageOf(progress.step);
  return {
    sessionId,
    label: progress.label,
    stage,
    stageLabel: STAGE_LABELS[stage],
    percent: Math.max(0, Math.min(100, Math.round(progress.percent))),
    message: progress.message,
  };
}

/** When and at which share copied a host's mirroring was first seen, to judge its pace. */
export interface MirrorStart {
  at: number;
  copied: number;
}

/** The share of storage the agent reports copied, from its line ("Mirroring storage: 42%"); null when it gives none. */
export function mirroredShare(message: string): number | null {
  const m = /(\d+(?:\.\d+)?)\s*%/.exec(message);
  if (m === null) return null;
  const share = Number(m[1]);
  return share >= 0 && share <= 100 ? share : null;
}

/**
 * What is known of a mirroring, in words: the share the agent reports copied and, once it has
 * moved, the time left at the pace seen so far. The agent reports a share, not a size, and the
 * line says so rather than guess one.
 */
export function mirroringLine(copied: number, start: MirrorStart | null, now: number): string {
  const head = `${Math.round(copied)} % of the protected VMs’ storage copied`;
  const tail = 'the agent reports the share copied, not the size';
  const elapsed = start === null ? 0 : now - start.at;
  const moved = start === null ? 0 : copied - start.copied;
  if (start === null || elapsed < 1000 || moved <= 0) return `${head}; time left not known yet (${tail}).`;
  const leftMs = ((100 - copied) / moved) * elapsed;
  return `${head}; about ${formatDuration(leftMs)} left at the current pace (${tail}).`;
}
