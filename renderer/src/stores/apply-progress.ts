/** Turns an apply job's per-host progress into the stage a host is in, in the admin's words. */
import type { HostProgress } from '../../../engine/api';
import { isPairState } from '../../../engine/api/rules';

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

/** The stage for one host's progress; `jobRunning` false once the whole job has ended. */
export function toApplyHostView(sessionId: string, progress: HostProgress, jobRunning = true): ApplyHostView {
  let stage: ApplyStage;
  if (progress.state === 'failed') stage = 'failed';
  else if (!jobRunning && progress.state !== 'done') stage = 'stopped';
  else if (progress.state === 'pending') stage = 'waiting';
  else if (progress.state === 'done') stage = 'protected';
  else if (progress.step === 'preflight') stage = 'checking';
  // A step after the pair was created failed: what was made is being removed again.
  else if (progress.step === 'undo') stage = 'undoing';
  else if (isPairState(progress.step)) {
    const s = progress.step;
    stage =
      s === 'mirroring' || s === 'syncing' || s === 'protected' ? s : s === 'pairing' ? 'pairing' : 'failed';
  } else {
    // Links tested, pair created or joined, VMs registered: all part of pairing.
    stage = 'pairing';
  }
  return {
    sessionId,
    label: progress.label,
    stage,
    stageLabel: STAGE_LABELS[stage],
    percent: Math.max(0, Math.min(100, Math.round(progress.percent))),
    message: progress.message,
  };
}
