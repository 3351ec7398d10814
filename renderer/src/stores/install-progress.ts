/**
 * Turns an install job's per-host progress into what a host card shows: the steps with their
 * status, the upload's percent and rate, and the log tail on failure. At Level 1 the steps are
 * Failover Clustering's (Windows' own feature, no agent package).
 */
import type { HostProgressOf, InstallProgressStep, ProtectionLevel } from '../../../engine/api';
import { assertNever } from '../../../engine/api/rules';

/** The install steps in order, with the words the admin reads. */
export const INSTALL_STEPS = [
  { id: 'check', label: 'Check what is installed' },
  { id: 'upload', label: 'Upload the agent package' },
  { id: 'verify', label: 'Check its SHA-256 and signature' },
  { id: 'msiexec', label: 'Install it (Windows Installer, silently)' },
  { id: 'reboot', label: 'Restart the server' },
  { id: 'health', label: 'Start the service and check its health' },
] as const;

/** Level 1's steps: Windows' Failover Clustering feature instead of the agent. */
export const FEATURE_STEPS = [
  { id: 'check', label: 'Check what is installed' },
  { id: 'feature', label: 'Enable Failover Clustering and its tools' },
  { id: 'reboot', label: 'Restart the server' },
  { id: 'health', label: 'Check the feature' },
] as const;

/** The steps a host card lists at a level. */
export function installSteps(
  level: ProtectionLevel,
): ReadonlyArray<{ readonly id: InstallStepId; readonly label: string }> {
  return level === 1 ? FEATURE_STEPS : INSTALL_STEPS;
}

/** Steps shown only when a host went through them (most installs need no restart). */
const OPTIONAL_STEPS: readonly InstallStepId[] = ['reboot'];

export type InstallStepId = (typeof INSTALL_STEPS)[number]['id'] | (typeof FEATURE_STEPS)[number]['id'];
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'stopped';

/** One step on a host card. */
export interface StepView {
  id: InstallStepId;
  label: string;
  status: StepStatus;
}

/** One host card. */
export interface InstallHostView {
  sessionId: string;
  label: string;
  state: HostProgressOf<'install'>['state'];
  /** The job ended (failed on the other host, or was stopped) while this host was still at work. */
  interrupted: boolean;
  /** 0..100 for the whole host. */
  percent: number;
  message: string;
  steps: StepView[];
  /** 0..100 of the upload, while or after it ran; null before. */
  uploadPercent: number | null;
  /** Upload rate in MB/s (10^6 bytes), one decimal; null when unknown. */
  rateMBps: number | null;
  /** Bytes as "12.3 MB of 48.0 MB" while uploading. */
  uploadText: string | null;
  logTail: string[];
  /** "About 12 s left" while uploading at a known rate; null otherwise. */
  etaText: string | null;
  /** The server must restart to finish (msiexec asked for it and Twinlock was not allowed to). */
  rebootRequired: boolean;
}

/** The row an install step the engine reports belongs on; null before the first. */
function stepRow(step: InstallProgressStep, level: ProtectionLevel): InstallStepId | null {
  switch (step) {
    case 'waiting':
      return null;
    case 'check':
    case 'upload':
    case 'verify':
    case 'msiexec':
    case 'reboot':
    case 'health':
      return step;
    // Level 1's Install-WindowsFeature has its own row; an agent card has none for it.
    case 'feature':
      return level === 1 ? 'feature' : 'msiexec';
    // Installed, but the restart that finishes it is still to come: shown on the restart's row.
    case 'reboot-required':
      return 'reboot';
    default:
      return assertNever(step);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function clampPercent(value: number): number {
  return Math.max(0, Math.min(100, Math.round(value)));
}

/**
 * The card for one host's progress; `jobRunning` false once the whole job has ended; `level` the
 * level installed for (1: Failover Clustering's steps).
 */
export function toInstallHostView(
  sessionId: string,
  progress: HostProgressOf<'install'>,
  jobRunning = true,
  level: ProtectionLevel = 3,
): InstallHostView {
  const interrupted = !jobRunning && (progress.state === 'running' || progress.state === 'pending');
  const rows = installSteps(level);
  const current = stepRow(progress.step, level);
  const currentIndex = current === null ? -1 : rows.findIndex((s) => s.id === current);
  const rebootRequired = progress.step === 'reboot-required';
  const steps = rows
    .map((step, index): StepView => {
      let status: StepStatus;
      switch (progress.state) {
        case 'done':
          // Installed, but the restart that finishes it is still to come.
          status = rebootRequired && step.id === 'reboot' ? 'pending' : 'done';
          break;
        case 'skipped':
          status = 'skipped';
          break;
        case 'pending':
          status = 'pending';
          break;
        case 'running':
          status =
            index < currentIndex
              ? 'done'
              : index === currentIndex
                ? interrupted
                  ? 'stopped'
                  : 'running'
                : 'pending';
          break;
        case 'failed':
          status = index < currentIndex ? 'done' : index === currentIndex ? 'failed' : 'pending';
          break;
        default:
          return assertNever(progress.state);
      }
      if (rebootRequired && step.id === 'reboot') {
        return {
          id: step.id,
          label: 'Restart the server to finish',
          status: status === 'running' ? 'pending' : status,
        };
      }
      return { id: step.id, label: step.label, status };
    })
    .filter((step) => !OPTIONAL_STEPS.includes(step.id) || step.id === current);

  const { bytesDone, bytesTotal, rateBps } = progress;
  const uploadIndex = rows.findIndex((s) => s.id === 'upload');
  let uploadPercent: number | null = null;
  if (bytesTotal !== undefined && bytesTotal > 0 && bytesDone !== undefined) {
    uploadPercent = clampPercent((bytesDone / bytesTotal) * 100);
  } else if (uploadIndex === -1) {
    // Level 1 uploads nothing.
    uploadPercent = null;
  } else if (currentIndex > uploadIndex || progress.state === 'done') {
    uploadPercent = 100;
  }
  const uploading = current === 'upload' && progress.state === 'running';

  return {
    sessionId,
    label: progress.label,
    state: progress.state,
    interrupted,
    // A finished server's bar is full whatever its last progress line said.
    percent: progress.state === 'done' || progress.state === 'skipped' ? 100 : clampPercent(progress.percent),
    message: progress.message,
    steps,
    uploadPercent,
    rateMBps: rateBps !== undefined && rateBps > 0 ? Math.round(rateBps / 100_000) / 10 : null,
    uploadText:
      uploading && bytesDone !== undefined && bytesTotal !== undefined
        ? `${mb(bytesDone)} of ${mb(bytesTotal)}`
        : null,
    logTail: progress.state === 'failed' ? (progress.logTail ?? []) : [],
    etaText: uploading && progress.etaSeconds !== undefined ? etaText(progress.etaSeconds) : null,
    rebootRequired,
  };
}

function etaText(seconds: number): string {
  if (seconds < 1) return 'almost done';
  if (seconds < 90) return `about ${Math.ceil(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}
