/**
 * Installs the lockstep agent on both servers side by side: check what is there, upload, verify
 * on the server, msiexec, health check; skip the same version, upgrade an older one, refuse a
 * downgrade, and roll a failed fresh install back so the server is left as it was.
 */
import type { InstallOutcome, InstallProgressStep } from '../api/models';
import { TwinlockError, toErrorData } from '../api/errors';
import type { TwinlockErrorData } from '../api/errors';
import type { StepJournal } from '../jobs/journal';
import type { JobContext } from '../jobs/types';
import { sleep, systemClock } from '../jobs/sleep';
import { REMOTE_PATHS } from '../remote/scripts';
import type { RemoteHost } from '../remote/types';
import type { InstallTimings, InstallTarget, Report } from './install-types';
import { ReconnectingHost, isTransient } from './reconnecting-host';
import type { AgentPackage } from './manifest';
import { compareVersions } from './manifest';
import { classifyMsiExit } from './msi-exit';
import { runMsiexec, uninstall } from './msiexec-step';
import { memoryRestartJournal, rebootAndWait, recordBootTime } from './reboot-step';
import type { RestartJournal } from './reboot-step';
import { checkPackage, getAgentState, verifyRemotePackage, waitHealthy } from './remote-checks';
import { cleanUp, rollback } from './rollback';
import type { TrustedPublisher } from './trusted-publishers';
import { uploadPackage } from './upload-step';

export type { InstallTimings, InstallTarget } from './install-types';
/** Loaded from here by engine/service/installs.ts. */
export { rollbackHost } from './rollback';

/** What the admin allowed for this run, and where it records its steps. */
export interface InstallRun {
  /** The publisher this workstation pinned for the package: each server checks its copy against it. */
  publisher: TrustedPublisher;
  /** Restart a server that needs it (3010) and wait for it to come back. */
  allowReboot?: boolean;
  /** Install over a newer agent (removing it first). */
  force?: boolean;
  /** Completed steps are recorded here, and skipped when the job is resumed. */
  journal?: StepJournal;
  /** True while the engine shuts down: an interrupted install is then left to resume, not undone. */
  shuttingDown?: () => boolean;
}

const DEFAULTS: Required<InstallTimings> = {
  busyRetryDelaysMs: [5_000, 10_000, 20_000, 40_000, 60_000],
  healthTimeoutMs: 60_000,
  healthIntervalMs: 1_000,
  msiTimeoutMs: 20 * 60_000,
  uploadRetryDelaysMs: [1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
  rebootTimeoutMs: 15 * 60_000,
  rebootPollMs: 2_000,
  rebootDelaySeconds: 5,
  clock: systemClock,
};

/** The waits an install uses when the caller sets none (real servers). */
export const INSTALL_DEFAULTS = DEFAULTS;

/**
 * One outcome per target, or the first failure (naming the other servers that failed too): how
 * the installs that ran side by side end.
 */
export function settleInstalls(
  targets: InstallTarget[],
  results: PromiseSettledResult<InstallOutcome>[],
  what: string,
): InstallOutcome[] {
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ target: targets[i]!, error: r.reason as unknown }] : [],
  );
  const first = failures[0];
  if (first) {
    const err =
      first.error instanceof TwinlockError ? first.error : new TwinlockError(toErrorData(first.error, what));
    if (failures.length === 1) throw err;
    const others = failures
      .slice(1)
      .map((f) => f.target.label)
      .join(' and ');
    throw new TwinlockError(
      {
        code: err.code,
        message: `${err.message} The installation failed on ${others} too; see its progress.`,
        ...(err.hint ? { hint: err.hint } : {}),
        detail: { ...err.detail, failed: failures.map((f) => f.target.label) },
      } as TwinlockErrorData,
      { cause: err },
    );
  }
  return results.map((r) => (r as PromiseFulfilledResult<InstallOutcome>).value);
}

/** Installs on every target in parallel; resolves with one outcome per target or throws the first failure. */
export async function installAgent(
  ctx: JobContext<'install'>,
  targets: InstallTarget[],
  pkg: AgentPackage,
  options: InstallTimings = {},
  run: InstallRun,
): Promise<InstallOutcome[]> {
  const opts = { ...DEFAULTS, ...options };
  const percents = new Map<string, number>(targets.map((t) => [t.sessionId, 0]));
  const report = (
    t: InstallTarget,
    percent: number,
    step: InstallProgressStep,
    message: string,
    extra: Record<string, unknown> = {},
  ) => {
    percents.set(t.sessionId, percent);
    ctx.host(t.sessionId, { label: t.label, state: 'running', step, percent, message, ...extra });
    const overall = [...percents.values()].reduce((s, p) => s + p, 0) / Math.max(percents.size, 1);
    ctx.progress(Math.round(overall), `Installing agent ${pkg.manifest.version}: ${t.label} — ${message}`);
  };
  for (const t of targets) {
    ctx.host(t.sessionId, {
      label: t.label,
      state: 'pending',
      step: 'check',
      percent: 0,
      message: 'Waiting to start',
    });
  }
  const results = await Promise.allSettled(targets.map((t) => installOne(ctx, t, pkg, opts, run, report)));
  const outcomes = settleInstalls(targets, results, 'the installation');
  ctx.progress(100, `Agent ${pkg.manifest.version} is ready on ${targets.map((t) => t.label).join(' and ')}`);
  return outcomes;
}

async function installOne(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  pkg: AgentPackage,
  opts: Required<InstallTimings>,
  run: InstallRun,
  report: Report,
): Promise<InstallOutcome> {
  const { manifest } = pkg;
  const version = manifest.version;
  const journal = run.journal;
  const completed = journal?.completed(t.sessionId) ?? new Set<string>();
  const connection = new ReconnectingHost(t);
  const remoteFile = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;
  let msiStarted = journal?.host(t.sessionId)?.msiexecStarted === true;
  const restarts: RestartJournal = journal
    ? {
        read: () => {
          const h = journal.host(t.sessionId);
          return { bootTime: h?.bootTime, restartRequestedAt: h?.restartRequestedAt };
        },
        note: (facts) => journal.note(t.sessionId, facts),
      }
    : memoryRestartJournal();
  let previous: string | null = null;
  let uploadedByUs = false;
  try {
    report(
      t,
      2,
      'check',
      completed.size > 0 ? 'Resuming: checking what is installed' : 'Checking what is installed',
    );
    const state = await retrying(connection, opts, ctx.signal, (h) => getAgentState(h, pkg, ctx.signal));
    const installed = state.product?.version ?? null;
    const recorded = journal?.host(t.sessionId)?.previousVersion;
    // On resume, what was there before this job started decides upgrade versus fresh install.
    previous = recorded !== undefined ? recorded : installed;
    if (recorded === undefined) await journal?.note(t.sessionId, { previousVersion: installed });
    const resumedAfterMsiexec = msiStarted && installed !== null && compareVersions(installed, version) === 0;
    if (resumedAfterMsiexec && !completed.has('msiexec')) {
      await journal?.done(t.sessionId, 'msiexec', { exitCode: journal.host(t.sessionId)?.exitCode ?? 0 });
      completed.add('msiexec');
    }
    if (installed !== null && !msiStarted) {
      const cmp = compareVersions(installed, version);
      if (cmp === 0) {
        const pending = state.rebootPending === true;
        if (pending && run.allowReboot) {
          // The wizard's "Restart now" after a 3010: install again with permission to restart.
          await rebootAndWait(ctx, t, connection, opts, report, false, restarts);
          await journal?.done(t.sessionId, 'reboot');
          report(t, 85, 'health', 'Waiting for the agent service to start');
          await waitHealthy(t, await connection.live(), pkg, opts, ctx.signal);
          await journal?.done(t.sessionId, 'health');
          const note = `Agent ${version} was already installed on ${t.label}; Twinlock restarted the server to finish it.`;
          ctx.host(t.sessionId, {
            label: t.label,
            state: 'done',
            step: 'health',
            percent: 100,
            message: note,
          });
          return {
            sessionId: t.sessionId,
            computerName: t.label,
            component: 'agent',
            action: 'already-installed',
            version,
            exitCode: 0,
            rebootRequired: false,
            rebooted: true,
            note,
          };
        }
        const note = pending
          ? `Agent ${version} is already installed on ${t.label}, which still waits for a restart to finish it.`
          : `Agent ${version} is already installed on ${t.label}: nothing to do.`;
        ctx.host(t.sessionId, {
          label: t.label,
          state: 'skipped',
          step: pending ? 'reboot-required' : 'check',
          percent: 100,
          message: note,
        });
        await journal?.done(t.sessionId, 'health');
        return {
          sessionId: t.sessionId,
          computerName: t.label,
          component: 'agent',
          action: 'already-installed',
          version,
          exitCode: 0,
          rebootRequired: pending,
          note,
        };
      }
      if (cmp > 0 && !run.force) {
        throw new TwinlockError({
          code: 'install-failed',
          message: `${t.label} already runs agent ${installed}, newer than the package's ${version}; Twinlock does not downgrade.`,
          hint: `Use the agent package ${installed} or newer; to go back anyway, install again with “force” (CLI: --force).`,
          detail: { host: t.label, installed, package: version },
        });
      }
    }

    if (!completed.has('upload') && !completed.has('msiexec')) {
      const existing = await retrying(connection, opts, ctx.signal, (h) =>
        checkPackage(h, remoteFile, run.publisher, ctx.signal),
      );
      if (existing.exists && existing.sha256?.toLowerCase() === manifest.sha256) {
        report(t, 60, 'upload', `The package is already on ${t.label}`);
      } else {
        uploadedByUs = true;
        await uploadPackage(ctx, t, connection, pkg, opts, report);
      }
      await journal?.done(t.sessionId, 'upload');
    } else {
      uploadedByUs = true;
    }

    if (!completed.has('msiexec')) {
      report(t, 62, 'verify', 'Checking the package’s hash and signature on the server');
      const check = await retrying(connection, opts, ctx.signal, (h) =>
        checkPackage(h, remoteFile, run.publisher, ctx.signal),
      );
      verifyRemotePackage(t.label, pkg, check, run.publisher);
      await journal?.done(t.sessionId, 'verify');
    }

    let exitCode = journal?.host(t.sessionId)?.exitCode ?? 0;
    if (!completed.has('msiexec')) {
      // msiexec may restart the server itself (1641): the boot time before it tells a resumed job whether it did.
      if (journal)
        await retrying(connection, opts, ctx.signal, (h) => recordBootTime(h, restarts, ctx.signal));
      const host = await connection.live();
      await host.mkdirp(REMOTE_PATHS.logsSftpDir);
      if (installed !== null && compareVersions(installed, version) > 0 && state.product?.productCode) {
        // A forced downgrade: Windows Installer refuses to install under a newer related product.
        report(t, 66, 'msiexec', `Removing agent ${installed} before installing ${version}`);
        msiStarted = true;
        await journal?.note(t.sessionId, { msiexecStarted: true });
        await uninstall(host, state.product.productCode, version);
      }
      exitCode = await runMsiexec(ctx, t, host, pkg, opts, previous, report, async () => {
        msiStarted = true;
        await journal?.note(t.sessionId, { msiexecStarted: true });
      });
      await journal?.done(t.sessionId, 'msiexec', { exitCode });
    }

    const exit = classifyMsiExit(exitCode);
    const rebootRequired = exit.kind === 'success' && exit.rebootRequired;
    const rebootStarted = exit.kind === 'success' && exit.rebootStarted;
    let rebooted = false;
    if (rebootRequired && !completed.has('reboot')) {
      if (rebootStarted || run.allowReboot) {
        await rebootAndWait(ctx, t, connection, opts, report, rebootStarted, restarts);
        rebooted = true;
        await journal?.done(t.sessionId, 'reboot');
      } else {
        report(t, 80, 'reboot-required', `${t.label} must restart to finish installing agent ${version}`);
      }
    } else if (completed.has('reboot')) {
      rebooted = true;
    }

    const action: InstallOutcome['action'] = previous === null ? 'installed' : 'upgraded';
    report(t, 85, 'health', 'Waiting for the agent service to start');
    await waitHealthy(t, await connection.live(), pkg, opts, ctx.signal);
    await journal?.done(t.sessionId, 'health');
    const pendingRestart = rebootRequired && !rebooted;
    ctx.host(t.sessionId, {
      label: t.label,
      state: 'done',
      step: pendingRestart ? 'reboot-required' : 'health',
      percent: 100,
      message: `Agent ${version} ${action === 'installed' ? 'installed' : `upgraded from ${previous}`} and running${rebooted ? ` after a restart of ${t.label}` : ''}${pendingRestart ? `; ${t.label} must restart to finish (allow Twinlock to restart it, or restart it when convenient)` : ''}`,
    });
    const outcome: InstallOutcome = {
      sessionId: t.sessionId,
      computerName: t.label,
      component: 'agent',
      action,
      version,
      exitCode,
      rebootRequired: pendingRestart,
    };
    if (rebooted) outcome.rebooted = true;
    return outcome;
  } catch (err) {
    const failure =
      err instanceof TwinlockError
        ? err
        : new TwinlockError(toErrorData(err, `the installation on ${t.label}`), { cause: err });
    // Closing Twinlock mid-install leaves the journal to resume from; a changed host key means
    // the server must not be spoken to at all.
    if (run.shuttingDown?.() || failure.code === 'host-key-changed') {
      ctx.host(t.sessionId, { label: t.label, state: 'failed', message: failure.message });
      throw failure;
    }
    let final = msiStarted && previous === null ? await rollback(connection, t.label, pkg, failure) : failure;
    if (uploadedByUs || msiStarted)
      final = await cleanUp(connection, pkg, final, previous === null && msiStarted);
    ctx.host(t.sessionId, { label: t.label, state: 'failed', message: final.message });
    throw final;
  }
}

/** Runs `fn` on the live session, reconnecting and retrying with backoff when the network fails. */
export async function retrying<T>(
  connection: ReconnectingHost,
  opts: Required<InstallTimings>,
  signal: AbortSignal,
  fn: (host: RemoteHost) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(await connection.live());
    } catch (err) {
      const delay = opts.uploadRetryDelaysMs[attempt];
      if (!isTransient(err) || delay === undefined || signal.aborted) throw err;
      await sleep(delay, signal, opts.clock);
    }
  }
}
