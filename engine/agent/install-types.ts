/** The types the install steps share: a target server, the run's timings, and the progress callback. */
import type { Clock } from '../jobs/sleep';
import type { InstallProgressStep } from '../api/models';
import type { RemoteHost } from '../remote/types';

/** One server to install on. */
export interface InstallTarget {
  sessionId: string;
  /** Computer name shown to the admin. */
  label: string;
  host: RemoteHost;
  /**
   * Opens the session again after a dropped connection or a restart, checking the pinned host key
   * (a changed key fails with `host-key-changed`). Without it a dropped connection fails the install.
   */
  reconnect?: () => Promise<RemoteHost>;
}

/** The waits of an install; the defaults suit real servers, tests shorten them. */
export interface InstallTimings {
  /** Waits before each new attempt while another installation runs (1618). */
  busyRetryDelaysMs?: number[];
  /** How long the service may take to come up after msiexec. */
  healthTimeoutMs?: number;
  healthIntervalMs?: number;
  /** msiexec's own time limit. */
  msiTimeoutMs?: number;
  /** Waits before each new attempt after a dropped connection (exponential backoff). */
  uploadRetryDelaysMs?: number[];
  /** How long a restarting server may take to answer SSH again. */
  rebootTimeoutMs?: number;
  /** How often to look for the server during a restart. */
  rebootPollMs?: number;
  /** Seconds shutdown.exe waits before restarting (so its answer gets back first). */
  rebootDelaySeconds?: number;
  /** What every wait and deadline above is measured on (engine/jobs/sleep.ts); real time by default. */
  clock?: Clock;
}

export type Report = (
  t: InstallTarget,
  percent: number,
  step: InstallProgressStep,
  message: string,
  extra?: Record<string, unknown>,
) => void;
