/**
 * Installs the lockstep agent on both servers side by side: check what is there, upload, verify
 * on the server, msiexec, health check; skip the same version, upgrade an older one, refuse a
 * downgrade, and roll a failed fresh install back so the server is left as it was.
 */
import { z } from 'zod';
import type { InstallOutcome, RollbackOutcome } from '../api/models';
import { TwinlockError, assertNever, toErrorData } from '../api/errors';
import type { ErrorCode } from '../api/errors';
import type { StepJournal } from '../jobs/journal';
import type { JobContext } from '../jobs/types';
import { REMOTE_PATHS } from '../remote/scripts';
import type { RemoteHost } from '../remote/types';
import type { AgentPackage } from './manifest';
import { compareVersions } from './manifest';
import { classifyMsiExit, msiExitMeaning } from './msi-exit';
import type { AgentState, PackageCheck } from './script-results';
import { AgentStateSchema, MsiRunSchema, PackageCheckSchema, asArray, parseScriptResult } from './script-results';

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

/** What the admin allowed for this run, and where it records its steps. */
export interface InstallRun {
  /** Restart a server that needs it (3010) and wait for it to come back. */
  allowReboot?: boolean;
  /** Install over a newer agent (removing it first). */
  force?: boolean;
  /** Completed steps are recorded here, and skipped when the job is resumed. */
  journal?: StepJournal;
  /** True while the engine shuts down: an interrupted install is then left to resume, not undone. */
  shuttingDown?: () => boolean;
}

/** Timings, overridable so that tests do not wait. */
export interface InstallOptions {
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
}

const DEFAULTS: Required<InstallOptions> = {
  busyRetryDelaysMs: [5_000, 10_000, 20_000, 40_000, 60_000],
  healthTimeoutMs: 60_000,
  healthIntervalMs: 1_000,
  msiTimeoutMs: 20 * 60_000,
  uploadRetryDelaysMs: [1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
  rebootTimeoutMs: 15 * 60_000,
  rebootPollMs: 2_000,
  rebootDelaySeconds: 5,
};

/** Failures worth another attempt after reconnecting: the network, not the server's answer. */
const TRANSIENT: readonly ErrorCode[] = ['connection-lost', 'unreachable', 'timeout'];

/** Properties that make msiexec reinstall over the same product code (a minor upgrade, 1638). */
const MINOR_UPGRADE_ARGS = ['REINSTALL=ALL', 'REINSTALLMODE=vomus'];

/** Installs on every target in parallel; resolves with one outcome per target or throws the first failure. */
export async function installAgent(
  ctx: JobContext<'install'>,
  targets: InstallTarget[],
  pkg: AgentPackage,
  options: InstallOptions = {},
  run: InstallRun = {},
): Promise<InstallOutcome[]> {
  const opts = { ...DEFAULTS, ...options };
  const percents = new Map<string, number>(targets.map((t) => [t.sessionId, 0]));
  const report = (t: InstallTarget, percent: number, step: string, message: string, extra: Record<string, unknown> = {}) => {
    percents.set(t.sessionId, percent);
    ctx.host(t.sessionId, { label: t.label, state: 'running', step, percent, message, ...extra });
    const overall = [...percents.values()].reduce((s, p) => s + p, 0) / Math.max(percents.size, 1);
    ctx.progress(Math.round(overall), `Installing agent ${pkg.manifest.version}: ${t.label} — ${message}`);
  };
  for (const t of targets) {
    ctx.host(t.sessionId, { label: t.label, state: 'pending', step: 'check', percent: 0, message: 'Waiting to start' });
  }
  const results = await Promise.allSettled(targets.map((t) => installOne(ctx, t, pkg, opts, run, report)));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ target: targets[i]!, error: r.reason as unknown }] : []));
  const first = failures[0];
  if (first) {
    const err = first.error instanceof TwinlockError ? first.error : new TwinlockError(toErrorData(first.error, 'the installation'));
    if (failures.length === 1) throw err;
    const others = failures.slice(1).map((f) => f.target.label).join(' and ');
    throw new TwinlockError(
      {
        code: err.code,
        message: `${err.message} The installation failed on ${others} too; see its progress.`,
        ...(err.hint ? { hint: err.hint } : {}),
        detail: { ...err.detail, failed: failures.map((f) => f.target.label) },
      },
      { cause: err },
    );
  }
  ctx.progress(100, `Agent ${pkg.manifest.version} is ready on ${targets.map((t) => t.label).join(' and ')}`);
  return results.map((r) => (r as PromiseFulfilledResult<InstallOutcome>).value);
}

type Report = (t: InstallTarget, percent: number, step: string, message: string, extra?: Record<string, unknown>) => void;

/** The session of one target, reopened when its connection dropped. */
class Link {
  private current: RemoteHost;

  constructor(private readonly t: InstallTarget) {
    this.current = t.host;
  }

  /** The host as it is now, without reconnecting (for best-effort clean-up). */
  get host(): RemoteHost {
    return this.current;
  }

  async live(): Promise<RemoteHost> {
    if (this.current.isConnected()) return this.current;
    if (!this.t.reconnect) {
      throw new TwinlockError({
        code: 'connection-lost',
        message: `The connection to ${this.t.label} dropped.`,
        hint: 'Check that the server is up and reachable, then install again; completed steps are not repeated.',
        detail: { host: this.t.label },
      });
    }
    this.current = await this.t.reconnect();
    return this.current;
  }
}

function isTransient(err: unknown): boolean {
  return err instanceof TwinlockError && TRANSIENT.includes(err.code);
}

async function installOne(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  pkg: AgentPackage,
  opts: Required<InstallOptions>,
  run: InstallRun,
  report: Report,
): Promise<InstallOutcome> {
  const { manifest } = pkg;
  const version = manifest.version;
  const journal = run.journal;
  const completed = journal?.completed(t.sessionId) ?? new Set<string>();
  const link = new Link(t);
  const remoteFile = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;
  let msiStarted = journal?.host(t.sessionId)?.msiexecStarted === true;
  let previous: string | null = null;
  let uploadedByUs = false;
  try {
    report(t, 2, 'check', completed.size > 0 ? 'Resuming: checking what is installed' : 'Checking what is installed');
    const state = await retrying(link, opts, ctx.signal, (h) => getAgentState(h, pkg, ctx.signal));
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
          await rebootAndWait(ctx, t, link, opts, report, false);
          await journal?.done(t.sessionId, 'reboot');
          report(t, 85, 'health', 'Waiting for the agent service to start');
          await waitHealthy(t, await link.live(), pkg, opts, ctx.signal);
          await journal?.done(t.sessionId, 'health');
          const note = `Agent ${version} was already installed on ${t.label}; Twinlock restarted the server to finish it.`;
          ctx.host(t.sessionId, { label: t.label, state: 'done', step: 'health', percent: 100, message: note });
          return { sessionId: t.sessionId, computerName: t.label, action: 'already-installed', version, exitCode: 0, rebootRequired: false, rebooted: true, note };
        }
        const note = pending
          ? `Agent ${version} is already installed on ${t.label}, which still waits for a restart to finish it.`
          : `Agent ${version} is already installed on ${t.label}: nothing to do.`;
        ctx.host(t.sessionId, { label: t.label, state: 'skipped', step: pending ? 'reboot-required' : 'check', percent: 100, message: note });
        await journal?.done(t.sessionId, 'health');
        return { sessionId: t.sessionId, computerName: t.label, action: 'already-installed', version, exitCode: 0, rebootRequired: pending, note };
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
      const existing = await retrying(link, opts, ctx.signal, (h) => checkPackage(h, remoteFile, ctx.signal));
      if (existing.exists && existing.sha256?.toLowerCase() === manifest.sha256) {
        report(t, 60, 'upload', `The package is already on ${t.label}`);
      } else {
        uploadedByUs = true;
        await uploadPackage(ctx, t, link, pkg, opts, report);
      }
      await journal?.done(t.sessionId, 'upload');
    } else {
      uploadedByUs = true;
    }

    if (!completed.has('msiexec')) {
      report(t, 62, 'verify', 'Checking the package’s hash and signature on the server');
      const check = await retrying(link, opts, ctx.signal, (h) => checkPackage(h, remoteFile, ctx.signal));
      verifyRemotePackage(t.label, pkg, check);
      await journal?.done(t.sessionId, 'verify');
    }

    let exitCode = journal?.host(t.sessionId)?.exitCode ?? 0;
    if (!completed.has('msiexec')) {
      const host = await link.live();
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
        await rebootAndWait(ctx, t, link, opts, report, rebootStarted);
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
    await waitHealthy(t, await link.live(), pkg, opts, ctx.signal);
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
      action,
      version,
      exitCode,
      rebootRequired: pendingRestart,
    };
    if (rebooted) outcome.rebooted = true;
    return outcome;
  } catch (err) {
    const failure = err instanceof TwinlockError ? err : new TwinlockError(toErrorData(err, `the installation on ${t.label}`), { cause: err });
    // Closing Twinlock mid-install leaves the journal to resume from; a changed host key means
    // the server must not be spoken to at all.
    if (run.shuttingDown?.() || failure.code === 'host-key-changed') {
      ctx.host(t.sessionId, { label: t.label, state: 'failed', message: failure.message });
      throw failure;
    }
    let final = msiStarted && previous === null ? await rollback(link, t.label, pkg, failure) : failure;
    if (uploadedByUs || msiStarted) final = await cleanUp(link, pkg, final, previous === null && msiStarted);
    ctx.host(t.sessionId, { label: t.label, state: 'failed', message: final.message });
    throw final;
  }
}

/** Runs `fn` on the live session, reconnecting and retrying with backoff when the network fails. */
async function retrying<T>(link: Link, opts: Required<InstallOptions>, signal: AbortSignal, fn: (host: RemoteHost) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(await link.live());
    } catch (err) {
      const delay = opts.uploadRetryDelaysMs[attempt];
      if (!isTransient(err) || delay === undefined || signal.aborted) throw err;
      await sleep(delay, signal);
    }
  }
}

/** Uploads the MSI, resuming from what the server already holds after each dropped connection. */
async function uploadPackage(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  link: Link,
  pkg: AgentPackage,
  opts: Required<InstallOptions>,
  report: Report,
): Promise<void> {
  const { manifest } = pkg;
  report(t, 5, 'upload', 'Preparing the upload');
  let lastDone = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const host = await link.live();
      await host.mkdirp(REMOTE_PATHS.packagesSftpDir);
      await host.upload(pkg.msiPath, `${REMOTE_PATHS.packagesSftpDir}/${manifest.file}`, {
        signal: ctx.signal,
        resume: true,
        onProgress: (p) => {
          const total = p.bytesTotal || manifest.size;
          lastDone = p.bytesDone;
          const extra: Record<string, unknown> = { bytesDone: p.bytesDone, bytesTotal: total, rateBps: p.rateBps };
          if (p.rateBps > 0) extra.etaSeconds = Math.ceil((total - p.bytesDone) / p.rateBps);
          report(t, 5 + Math.round((55 * p.bytesDone) / Math.max(total, 1)), 'upload', uploadMessage(p.bytesDone, total, p.rateBps), extra);
        },
      });
      return;
    } catch (err) {
      const delay = opts.uploadRetryDelaysMs[attempt];
      if (!isTransient(err) || delay === undefined || ctx.signal.aborted) throw err;
      const mb = (lastDone / 1_000_000).toFixed(1);
      report(
        t,
        5 + Math.round((55 * lastDone) / Math.max(manifest.size, 1)),
        'upload',
        `The connection to ${t.label} dropped at ${mb} MB; resuming in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${attempt + 2} of ${opts.uploadRetryDelaysMs.length + 1})`,
      );
      await sleep(delay, ctx.signal);
    }
  }
}

/** msiexec with the exit-code table: waits out 1618, upgrades on 1638; returns a success code. */
async function runMsiexec(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  host: RemoteHost,
  pkg: AgentPackage,
  opts: Required<InstallOptions>,
  previous: string | null,
  report: Report,
  started: () => Promise<void>,
): Promise<number> {
  const { manifest } = pkg;
  const version = manifest.version;
  const remoteFile = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;
  const logPath = `${REMOTE_PATHS.logsDir}\\install-${version}-${Date.now()}.log`;
  let args = [...manifest.installArgs];
  let busyAttempt = 0;
  let upgraded = false;
  for (;;) {
    report(t, 70, 'msiexec', previous === null ? `Installing agent ${version}` : `Upgrading agent ${previous} to ${version}`);
    await started();
    const result = parseScriptResult(
      'install-agent',
      MsiRunSchema,
      await host.runScript('install-agent', { path: remoteFile, logPath, arguments: args }, { signal: ctx.signal, timeoutMs: opts.msiTimeoutMs }),
      t.label,
    );
    const exit = classifyMsiExit(result.exitCode);
    switch (exit.kind) {
      case 'success':
        return result.exitCode;
      case 'retry': {
        const delay = opts.busyRetryDelaysMs[busyAttempt];
        if (delay === undefined) {
          throw new TwinlockError({
            code: 'install-failed',
            message: `Another installation kept Windows Installer busy on ${t.label} (1618) through ${busyAttempt + 1} attempts.`,
            hint: 'Wait for Windows Update or the other installation to finish on that server (or restart it), then install again.',
            detail: { host: t.label, exitCode: result.exitCode },
          });
        }
        busyAttempt++;
        report(t, 70, 'msiexec', `Another installation is running on ${t.label}; trying again in ${Math.max(1, Math.round(delay / 1000))} s`);
        await sleep(delay, ctx.signal);
        continue;
      }
      case 'upgrade': {
        if (upgraded) {
          throw new TwinlockError({
            code: 'install-failed',
            message: `Windows Installer on ${t.label} still reports another version installed (1638) after an in-place upgrade.`,
            hint: 'Uninstall the Twinlock agent from Programs and Features on that server, then install again.',
            detail: { host: t.label, exitCode: result.exitCode },
          });
        }
        upgraded = true;
        args = [...manifest.installArgs, ...MINOR_UPGRADE_ARGS];
        continue;
      }
      case 'fail': {
        const logTail = meaningfulLines(result.logTail ?? []);
        ctx.host(t.sessionId, { label: t.label, logTail });
        throw new TwinlockError({
          code: 'install-failed',
          message: `The agent could not be installed on ${t.label}: ${exit.reason}.`,
          hint: exit.hint,
          detail: { host: t.label, exitCode: result.exitCode, meaning: msiExitMeaning(result.exitCode), logPath, logTail },
        });
      }
      default:
        return assertNever(exit);
    }
  }
}

/**
 * The lines of an msiexec log tail that explain something: msiexec's own bookkeeping (policy
 * values, "Note: 1: 2205" table misses, rollback chatter) is dropped, the error lines stay.
 */
export function meaningfulLines(lines: string[], max = 15): string[] {
  const noise = [/Note: 1: 2205 /, /Note: 1: 2265 /, /Machine policy value/, /Resetting cached policy values/, /^=== Verbose logging (started|stopped)/, /Property\(/];
  const kept = lines.filter((l) => !noise.some((re) => re.test(l)));
  return kept.slice(-max);
}

/** Asks the server to restart (unless it already is), then waits for SSH with the same host key. */
async function rebootAndWait(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  link: Link,
  opts: Required<InstallOptions>,
  report: Report,
  alreadyStarted: boolean,
): Promise<void> {
  const started = Date.now();
  const deadline = started + opts.rebootTimeoutMs;
  if (!alreadyStarted) {
    report(t, 78, 'reboot', `Restarting ${t.label} to finish the installation`);
    const host = await link.live();
    await host.runScript('restart-host', { delaySeconds: opts.rebootDelaySeconds, reason: 'agent-install' }, { signal: ctx.signal });
  } else {
    report(t, 78, 'reboot', `${t.label} is restarting to finish the installation`);
  }
  // The restart begins a few seconds after shutdown.exe answered: wait for the session to drop.
  while (link.host.isConnected()) {
    if (Date.now() >= deadline) throw rebootTimeout(t, opts);
    await sleep(Math.min(opts.rebootPollMs, 250), ctx.signal);
  }
  for (;;) {
    const waited = Math.round((Date.now() - started) / 1000);
    report(t, 80, 'reboot', `Waiting for ${t.label} to come back (${waited} s)`);
    try {
      await link.live();
      report(t, 82, 'reboot', `${t.label} is back after ${Math.round((Date.now() - started) / 1000)} s`);
      return;
    } catch (err) {
      // host-key-changed and auth-failed stop here: the server that came back is not the one we knew.
      if (!isTransient(err)) throw err;
      if (Date.now() >= deadline) throw rebootTimeout(t, opts);
      await sleep(opts.rebootPollMs, ctx.signal);
    }
  }
}

function rebootTimeout(t: InstallTarget, opts: Required<InstallOptions>): TwinlockError {
  return new TwinlockError({
    code: 'timeout',
    message: `${t.label} did not come back within ${Math.round(opts.rebootTimeoutMs / 60_000)} min of its restart.`,
    hint: 'Check the server’s console (it may wait on an update or a boot prompt), then resume the installation.',
    detail: { host: t.label },
  });
}

async function uninstall(host: RemoteHost, productCode: string, version: string): Promise<number> {
  const raw = await host.runScript(
    'uninstall-agent',
    { productCode, logPath: `${REMOTE_PATHS.logsDir}\\uninstall-${version}-${Date.now()}.log` },
    { timeoutMs: 10 * 60_000 },
  );
  return parseScriptResult('uninstall-agent', MsiRunSchema, raw, host.label).exitCode;
}

/** Removes the uploaded package (and, after a fresh install, the agent's firewall rules); says so. */
async function cleanUp(link: Link, pkg: AgentPackage, failure: TwinlockError, rules: boolean): Promise<TwinlockError> {
  let removed: string[] = [];
  try {
    const host = await link.live();
    const raw = await host.runScript('remove-agent-package', {
      paths: [`${REMOTE_PATHS.packagesDir}\\${pkg.manifest.file}`],
      firewallGroup: rules ? REMOTE_PATHS.firewallGroup : '',
    });
    removed = RemovedSchema.parse(raw).removedFiles;
  } catch {
    return failure;
  }
  if (removed.length === 0) return failure;
  return new TwinlockError(
    {
      code: failure.code,
      message: `${failure.message} The uploaded package was removed.`,
      ...(failure.hint ? { hint: failure.hint } : {}),
      detail: { ...failure.detail, removedFiles: removed },
    },
    { cause: failure },
  );
}

const RemovedSchema = z.object({ removedFiles: asArray(z.string()), removedRules: z.number().nullish() });

/**
 * Roll back (the admin's button): removes the agent by its product code, its firewall rules and
 * the uploaded package, so the server is as before the installation. Safe to repeat.
 */
export async function rollbackHost(host: RemoteHost, label: string, pkg: AgentPackage): Promise<RollbackOutcome> {
  const state = await getAgentState(host, pkg, new AbortController().signal);
  let removedVersion: string | null = null;
  if (state.product) {
    const code = state.product.productCode ?? pkg.manifest.productCode;
    const exitCode = await uninstall(host, code, state.product.version ?? pkg.manifest.version);
    if (exitCode !== 0 && exitCode !== 1605 && exitCode !== 3010) {
      throw new TwinlockError({
        code: 'install-failed',
        message: `Removing the agent from ${label} (msiexec /x ${code}) failed with exit code ${exitCode} (${msiExitMeaning(exitCode)}).`,
        hint: `Remove the Twinlock agent in Programs and Features on ${label}, then try again.`,
        detail: { host: label, exitCode },
      });
    }
    removedVersion = state.product.version ?? null;
  }
  const raw = await host.runScript('remove-agent-package', {
    paths: [`${REMOTE_PATHS.packagesDir}\\${pkg.manifest.file}`],
    firewallGroup: REMOTE_PATHS.firewallGroup,
  });
  const removed = RemovedSchema.parse(raw);
  const parts = [
    removedVersion ? `agent ${removedVersion} uninstalled` : 'no agent was installed',
    `${removed.removedRules ?? 0} firewall rule(s) and ${removed.removedFiles.length} uploaded file(s) removed`,
  ];
  return {
    computerName: label,
    removedVersion,
    removedRules: removed.removedRules ?? 0,
    removedFiles: removed.removedFiles,
    message: `${label}: ${parts.join('; ')}.`,
  };
}

/** `Uploading 12.3 of 30.1 MB at 45 MB/s`. */
export function uploadMessage(done: number, total: number, rateBps: number): string {
  const mb = (n: number) => (n / 1_000_000).toFixed(1);
  return `Uploading ${mb(done)} of ${mb(total)} MB at ${Math.round(rateBps / 1_000_000)} MB/s`;
}

async function getAgentState(host: RemoteHost, pkg: AgentPackage, signal: AbortSignal): Promise<AgentState> {
  const raw = await host.runScript(
    'get-agent-state',
    { productName: pkg.manifest.name, service: pkg.manifest.service, ctlPath: REMOTE_PATHS.ctlPath, firewallGroup: REMOTE_PATHS.firewallGroup },
    { signal },
  );
  return parseScriptResult('get-agent-state', AgentStateSchema, raw, host.label);
}

async function checkPackage(host: RemoteHost, path: string, signal: AbortSignal): Promise<PackageCheck> {
  return parseScriptResult('test-agent-package', PackageCheckSchema, await host.runScript('test-agent-package', { path }, { signal }), host.label);
}

/** The server's copy must be the very file the manifest describes, signed by the manifest's signer. */
export function verifyRemotePackage(label: string, pkg: AgentPackage, check: PackageCheck): void {
  const { manifest } = pkg;
  const refuse = (message: string, hint: string, detail: Record<string, unknown>) => {
    throw new TwinlockError({ code: 'install-failed', message, hint, detail: { host: label, ...detail } });
  };
  if (!check.exists) {
    refuse(
      `The uploaded package is missing on ${label}.`,
      'Antivirus software may have removed it: allow C:\\ProgramData\\Twinlock\\packages and install again.',
      {},
    );
  }
  if ((check.sha256 ?? '').toLowerCase() !== manifest.sha256) {
    refuse(
      `The package on ${label} does not have the expected SHA-256: it was altered or damaged in transit. Twinlock did not install it.`,
      'Install again; if it happens again, check for a proxy or security product that rewrites files on that server.',
      { expected: manifest.sha256, actual: check.sha256 ?? null },
    );
  }
  if (check.signatureStatus !== 'Valid') {
    refuse(
      `Windows on ${label} reports the package’s signature as ${check.signatureStatus ?? 'missing'}, so Twinlock did not install it.`,
      'Make sure the server trusts the agent publisher’s certificate chain (Windows Update of root certificates), then install again.',
      { signatureStatus: check.signatureStatus ?? null },
    );
  }
  if ((check.signerThumbprint ?? '').toUpperCase() !== manifest.signer.thumbprint) {
    refuse(
      `The package on ${label} is signed by “${check.signerSubject ?? 'an unknown signer'}”, not by ${manifest.signer.subject} as its manifest says. Twinlock did not install it.`,
      'Use the agent package as shipped by its publisher; do not install a package signed by someone else.',
      { expected: manifest.signer.thumbprint, actual: check.signerThumbprint ?? null },
    );
  }
}

/** The checks that say the agent is really up; empty when healthy. */
export function healthProblems(state: AgentState, pkg: AgentPackage): string[] {
  const problems: string[] = [];
  const { manifest } = pkg;
  if (state.product?.version !== manifest.version) {
    problems.push(`Windows lists agent version ${state.product?.version ?? 'none'} instead of ${manifest.version}`);
  }
  if (!state.service) problems.push(`the ${manifest.service} service does not exist`);
  else {
    if (state.service.status !== 'Running') problems.push(`the ${manifest.service} service is ${state.service.status}, not Running`);
    if (!state.service.startType.startsWith('Automatic')) {
      problems.push(`the ${manifest.service} service starts ${state.service.startType}, not Automatic`);
    }
  }
  const enabled = state.firewallRules.filter((r) => r.enabled);
  const opened = new Set(enabled.flatMap((r) => r.localPorts ?? []));
  const wanted = [...manifest.ports.sync, manifest.ports.control].map(String);
  if (enabled.length === 0) problems.push(`no enabled firewall rules in the “${REMOTE_PATHS.firewallGroup}” group`);
  else {
    const missing = wanted.filter((p) => !opened.has(p) && ![...opened].some((o) => portRangeHas(o, Number(p))));
    if (missing.length > 0 && opened.size > 0) problems.push(`the firewall does not open port${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  if (!state.ctl) problems.push(`twinlockctl does not answer${state.ctlError ? ` (${state.ctlError.slice(0, 200)})` : ''}`);
  else if (state.ctl.version !== manifest.version) problems.push(`twinlockctl reports version ${state.ctl.version} instead of ${manifest.version}`);
  return problems;
}

/** Windows firewall port filters may hold ranges such as `7440-7441`. */
function portRangeHas(filter: string, port: number): boolean {
  const m = /^(\d+)-(\d+)$/.exec(filter);
  return m !== null && port >= Number(m[1]) && port <= Number(m[2]);
}

async function waitHealthy(t: InstallTarget, host: RemoteHost, pkg: AgentPackage, opts: Required<InstallOptions>, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + opts.healthTimeoutMs;
  for (;;) {
    const problems = healthProblems(await getAgentState(host, pkg, signal), pkg);
    if (problems.length === 0) return;
    if (Date.now() >= deadline) {
      throw new TwinlockError({
        code: 'install-failed',
        message: `The agent was installed on ${t.label} but its health check failed: ${problems.join('; ')}.`,
        hint: `Look at the ${pkg.manifest.service} service and the Application event log on that server, fix the cause, and install again.`,
        detail: { host: t.label, problems },
      });
    }
    await sleep(opts.healthIntervalMs, signal);
  }
}

/** Removes a failed fresh install so the server is as it was; says in the error what happened. */
async function rollback(link: Link, label: string, pkg: AgentPackage, failure: TwinlockError): Promise<TwinlockError> {
  const code = pkg.manifest.productCode;
  const t = { label };
  let note: string;
  try {
    const host = await link.live();
    // Not tied to the job's signal: a cancelled install still has to be undone.
    const raw = await host.runScript(
      'uninstall-agent',
      { productCode: code, logPath: `${REMOTE_PATHS.logsDir}\\uninstall-${pkg.manifest.version}-${Date.now()}.log` },
      { timeoutMs: 10 * 60_000 },
    );
    const run = parseScriptResult('uninstall-agent', MsiRunSchema, raw, t.label);
    // 1605: the product was never registered, which is exactly the state to return to.
    note =
      run.exitCode === 0 || run.exitCode === 1605 || run.exitCode === 3010
        ? ` Twinlock rolled the installation back (msiexec /x ${code}), so ${t.label} is as it was.`
        : ` Rolling back (msiexec /x ${code}) also failed with exit code ${run.exitCode}: remove the Twinlock agent in Programs and Features on ${t.label}.`;
  } catch (err) {
    note = ` Rolling back (msiexec /x ${code}) also failed (${toErrorData(err).message}): remove the Twinlock agent in Programs and Features on ${t.label}.`;
  }
  return new TwinlockError(
    {
      code: failure.code,
      message: `${failure.message}${note}`,
      ...(failure.hint ? { hint: failure.hint } : {}),
      detail: { ...failure.detail, rolledBack: note.includes('rolled the installation back') },
    },
    { cause: failure },
  );
}

/** Waits, or rejects with `cancelled` as soon as the job is cancelled. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () =>
      new TwinlockError({ code: 'cancelled', message: 'The operation was cancelled.', hint: 'Start it again when you are ready.' });
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
