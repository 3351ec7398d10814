/**
 * Restarts a server after msiexec asked for it, and waits until it answers SSH again with the
 * same host key. A server is restarted at most once per job, even when the job is resumed after
 * a crash: the server's boot time (LastBootUpTime), recorded before anything could restart it,
 * tells whether the restart already happened, and a restart already asked for is waited for,
 * never asked for again.
 */
import { TwinlockError } from '../api/errors';
import type { JobContext } from '../jobs/types';
import { sleep } from '../jobs/sleep';
import type { RemoteHost } from '../remote/types';
import type { InstallTimings, InstallTarget, Report } from './install-types';
import { isTransient } from './reconnecting-host';
import type { ReconnectingHost } from './reconnecting-host';
import { RestartScheduleSchema, parseScriptResult } from './script-results';

/** What the job's journal knows about a server's restart. */
export interface RestartRecord {
  /** The server's LastBootUpTime (ISO 8601) before anything in this job could restart it. */
  bootTime?: string | undefined;
  /** When the server accepted Twinlock's request to restart (ISO 8601, this workstation's clock). */
  restartRequestedAt?: string | undefined;
}

/** Where the restart's facts are kept: the job's journal on disk, so that a resumed job sees them. */
export interface RestartJournal {
  read(): RestartRecord;
  note(facts: RestartRecord): Promise<void>;
}

/** A journal that lives as long as the job (used when the job has none on disk). */
export function memoryRestartJournal(): RestartJournal {
  const facts: RestartRecord = {};
  return { read: () => ({ ...facts }), note: (more) => Promise.resolve(void Object.assign(facts, more)) };
}

/**
 * LastBootUpTime moves by a fraction of a second between queries (Windows derives it from the
 * clock and the tick count), and by a clock correction; a real restart moves it by the length of
 * the restart at least.
 */
const BOOT_TIME_JITTER_MS = 2_000;

/** True when `now` is a later boot of the server than `before`. */
export function bootedSince(before: string, now: string): boolean {
  const a = Date.parse(before);
  const b = Date.parse(now);
  return Number.isFinite(a) && Number.isFinite(b) && b - a > BOOT_TIME_JITTER_MS;
}

/** The server's LastBootUpTime as get-identity reports it (ISO 8601), or null when it has none. */
export async function readBootTime(host: RemoteHost, signal?: AbortSignal): Promise<string | null> {
  const raw = await host.runScript('get-identity', {}, signal ? { signal } : {});
  const value =
    raw && typeof raw === 'object' ? (raw as { lastBootUpTime?: unknown }).lastBootUpTime : undefined;
  return typeof value === 'string' && Number.isFinite(Date.parse(value)) ? value : null;
}

/** Records the server's boot time once, before the first thing in the job that may restart it. */
export async function recordBootTime(
  host: RemoteHost,
  journal: RestartJournal,
  signal?: AbortSignal,
): Promise<void> {
  if (journal.read().bootTime !== undefined) return;
  const bootTime = await readBootTime(host, signal);
  if (bootTime) await journal.note({ bootTime });
}

/**
 * Restarts the server once and waits for SSH with the same host key. `alreadyStarted`: msiexec
 * began the restart itself (1641). Returns `already-restarted` when the journal shows the
 * restart happened before this call (a resumed job), `restarted` otherwise.
 */
export async function rebootAndWait(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  connection: ReconnectingHost,
  opts: Required<InstallTimings>,
  report: Report,
  alreadyStarted: boolean,
  journal: RestartJournal = memoryRestartJournal(),
  /** What the restart is for, as the System event log records it (Level 1: `cluster-feature`). */
  reason: 'agent-install' | 'cluster-feature' = 'agent-install',
): Promise<'restarted' | 'already-restarted'> {
  const started = opts.clock.now();
  const facts = journal.read();
  const requestedAt = facts.restartRequestedAt ? Date.parse(facts.restartRequestedAt) : Number.NaN;
  // A request this job made less than the restart timeout ago is still running its course.
  let asked =
    alreadyStarted || (Number.isFinite(requestedAt) && started - requestedAt < opts.rebootTimeoutMs);
  const deadline = (asked && Number.isFinite(requestedAt) ? requestedAt : started) + opts.rebootTimeoutMs;
  report(
    t,
    78,
    'reboot',
    asked
      ? `${t.label} is restarting to finish the installation`
      : `Restarting ${t.label} to finish the installation`,
  );

  for (let round = 0; ; round++) {
    let up: RemoteHost | null = null;
    try {
      up = await connection.live();
    } catch (err) {
      // Down: a restart is under way, or the server is out of reach, which its boot time tells once it is back.
      if (!isTransient(err) || !(asked || journal.read().bootTime !== undefined)) throw err;
    }
    const bootTime = journal.read().bootTime;
    if (up && bootTime !== undefined) {
      // A dropped connection is not a restart: the boot time says whether the server really restarted.
      const now = await readBootTime(up, ctx.signal);
      if (now && bootedSince(bootTime, now)) {
        if (round > 0) {
          report(
            t,
            82,
            'reboot',
            `${t.label} is back after ${Math.round((opts.clock.now() - started) / 1000)} s`,
          );
          return 'restarted';
        }
        report(
          t,
          82,
          'reboot',
          `${t.label} has already restarted (it booted at ${now}); not restarting it again`,
        );
        return 'already-restarted';
      }
    } else if (up && round > 0) {
      // Without a boot time to compare (an older journal), coming back is taken as the restart.
      report(
        t,
        82,
        'reboot',
        `${t.label} is back after ${Math.round((opts.clock.now() - started) / 1000)} s`,
      );
      return 'restarted';
    }
    if (up && !asked) {
      if (bootTime === undefined) await recordBootTime(up, journal, ctx.signal);
      const answer = parseScriptResult(
        'restart-host',
        RestartScheduleSchema,
        await up.runScript(
          'restart-host',
          { delaySeconds: opts.rebootDelaySeconds, reason },
          { signal: ctx.signal },
        ),
        t.label,
      );
      if (answer.alreadyPending) {
        // Asked before a crash whose journal write was lost: shutdown.exe says a restart is pending (1190, 1115).
        report(t, 78, 'reboot', `${t.label} already has a restart scheduled; waiting for it`);
      } else {
        await journal.note({ restartRequestedAt: new Date(opts.clock.now()).toISOString() });
      }
      asked = true;
    }
    // The restart begins a few seconds after shutdown.exe answered: wait for the session to drop.
    while (connection.host.isConnected()) {
      if (opts.clock.now() >= deadline) throw rebootTimeout(t, opts);
      await sleep(Math.min(opts.rebootPollMs, 250), ctx.signal, opts.clock);
    }
    await waitForReturn(ctx, t, connection, opts, report, started, deadline);
  }
}

async function waitForReturn(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  connection: ReconnectingHost,
  opts: Required<InstallTimings>,
  report: Report,
  started: number,
  deadline: number,
): Promise<RemoteHost> {
  for (;;) {
    const waited = Math.round((opts.clock.now() - started) / 1000);
    report(t, 80, 'reboot', `Waiting for ${t.label} to come back (${waited} s)`);
    try {
      return await connection.live();
    } catch (err) {
      // host-key-changed and auth-failed stop here: the server that came back is not the one we knew.
      if (!isTransient(err)) throw err;
      if (opts.clock.now() >= deadline) throw rebootTimeout(t, opts);
      await sleep(opts.rebootPollMs, ctx.signal, opts.clock);
    }
  }
}

function rebootTimeout(t: InstallTarget, opts: Required<InstallTimings>): TwinlockError {
  return new TwinlockError({
    code: 'timeout',
    message: `${t.label} did not come back within ${Math.round(opts.rebootTimeoutMs / 60_000)} min of its restart.`,
    hint: 'Check the server’s console (it may wait on an update or a boot prompt), then resume the installation.',
    detail: { host: t.label },
  });
}
