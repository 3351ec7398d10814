/**
 * Installs the lockstep agent on both servers side by side: check what is there, upload, verify
 * on the server, msiexec, health check; skip the same version, upgrade an older one, refuse a
 * downgrade, and roll a failed fresh install back so the server is left as it was.
 */
import type { InstallOutcome } from '../api/models';
import { TwinlockError, toErrorData } from '../api/errors';
import type { JobContext } from '../jobs/types';
import { REMOTE_PATHS } from '../remote/scripts';
import type { RemoteHost } from '../remote/types';
import type { AgentPackage } from './manifest';
import { compareVersions } from './manifest';
import { classifyMsiExit, msiExitMeaning } from './msi-exit';
import type { AgentState, PackageCheck } from './script-results';
import { AgentStateSchema, MsiRunSchema, PackageCheckSchema, parseScriptResult } from './script-results';

/** One server to install on. */
export interface InstallTarget {
  sessionId: string;
  /** Computer name shown to the admin. */
  label: string;
  host: RemoteHost;
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
}

const DEFAULTS: Required<InstallOptions> = {
  busyRetryDelaysMs: [5_000, 10_000, 20_000, 40_000, 60_000],
  healthTimeoutMs: 60_000,
  healthIntervalMs: 1_000,
  msiTimeoutMs: 20 * 60_000,
};

/** Properties that make msiexec reinstall over the same product code (a minor upgrade, 1638). */
const MINOR_UPGRADE_ARGS = ['REINSTALL=ALL', 'REINSTALLMODE=vomus'];

/** Installs on every target in parallel; resolves with one outcome per target or throws the first failure. */
export async function installAgent(
  ctx: JobContext<'install'>,
  targets: InstallTarget[],
  pkg: AgentPackage,
  options: InstallOptions = {},
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
  const results = await Promise.allSettled(targets.map((t) => installOne(ctx, t, pkg, opts, report)));
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

async function installOne(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  pkg: AgentPackage,
  opts: Required<InstallOptions>,
  report: Report,
): Promise<InstallOutcome> {
  const { manifest } = pkg;
  const version = manifest.version;
  let msiStarted = false;
  let previous: string | null = null;
  try {
    report(t, 2, 'check', 'Checking what is installed');
    const state = await getAgentState(t.host, pkg, ctx.signal);
    previous = state.product?.version ?? null;
    if (previous !== null) {
      const cmp = compareVersions(previous, version);
      if (cmp === 0) {
        ctx.host(t.sessionId, {
          label: t.label,
          state: 'skipped',
          step: 'check',
          percent: 100,
          message: `Agent ${version} is already installed: nothing to do`,
        });
        return { sessionId: t.sessionId, computerName: t.label, action: 'already-installed', version, exitCode: 0, rebootRequired: false };
      }
      if (cmp > 0) {
        throw new TwinlockError({
          code: 'install-failed',
          message: `${t.label} already runs agent ${previous}, newer than the package's ${version}; Twinlock does not downgrade.`,
          hint: `Use the agent package ${previous} or newer, or uninstall the agent from ${t.label} first if you really mean to go back.`,
          detail: { host: t.label, installed: previous, package: version },
        });
      }
    }

    const remoteFile = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;
    const existing = await checkPackage(t.host, remoteFile, ctx.signal);
    if (existing.exists && existing.sha256?.toLowerCase() === manifest.sha256) {
      report(t, 60, 'upload', `The package is already on ${t.label}`);
    } else {
      report(t, 5, 'upload', 'Preparing the upload');
      await t.host.mkdirp(REMOTE_PATHS.packagesSftpDir);
      await t.host.upload(pkg.msiPath, `${REMOTE_PATHS.packagesSftpDir}/${manifest.file}`, {
        signal: ctx.signal,
        onProgress: (p) => {
          const total = p.bytesTotal || manifest.size;
          report(t, 5 + Math.round((55 * p.bytesDone) / Math.max(total, 1)), 'upload', uploadMessage(p.bytesDone, total, p.rateBps), {
            bytesDone: p.bytesDone,
            bytesTotal: total,
            rateBps: p.rateBps,
          });
        },
      });
    }
    await t.host.mkdirp(REMOTE_PATHS.logsSftpDir);

    report(t, 62, 'verify', 'Checking the package’s hash and signature on the server');
    verifyRemotePackage(t.label, pkg, await checkPackage(t.host, remoteFile, ctx.signal));

    const logPath = `${REMOTE_PATHS.logsDir}\\install-${version}-${Date.now()}.log`;
    const action: InstallOutcome['action'] = previous === null ? 'installed' : 'upgraded';
    let args = [...manifest.installArgs];
    let busyAttempt = 0;
    let upgraded = false;
    for (;;) {
      report(t, 70, 'msiexec', previous === null ? `Installing agent ${version}` : `Upgrading agent ${previous} to ${version}`);
      msiStarted = true;
      const run = parseScriptResult(
        'install-agent',
        MsiRunSchema,
        await t.host.runScript('install-agent', { path: remoteFile, logPath, arguments: args }, { signal: ctx.signal, timeoutMs: opts.msiTimeoutMs }),
        t.label,
      );
      const exit = classifyMsiExit(run.exitCode);
      switch (exit.kind) {
        case 'success': {
          if (exit.rebootStarted) {
            ctx.host(t.sessionId, {
              label: t.label,
              state: 'done',
              step: 'msiexec',
              percent: 100,
              message: `Agent ${version} installed; ${t.label} is restarting to finish`,
            });
            return { sessionId: t.sessionId, computerName: t.label, action, version, exitCode: run.exitCode, rebootRequired: true };
          }
          report(t, 85, 'health', 'Waiting for the agent service to start');
          await waitHealthy(t, pkg, opts, ctx.signal);
          ctx.host(t.sessionId, {
            label: t.label,
            state: 'done',
            step: 'health',
            percent: 100,
            message: `Agent ${version} ${action === 'installed' ? 'installed' : `upgraded from ${previous}`} and running${exit.rebootRequired ? '; restart the server when convenient' : ''}`,
          });
          return { sessionId: t.sessionId, computerName: t.label, action, version, exitCode: run.exitCode, rebootRequired: exit.rebootRequired };
        }
        case 'retry': {
          const delay = opts.busyRetryDelaysMs[busyAttempt];
          if (delay === undefined) {
            throw new TwinlockError({
              code: 'install-failed',
              message: `Another installation kept Windows Installer busy on ${t.label} (1618) through ${busyAttempt + 1} attempts.`,
              hint: 'Wait for Windows Update or the other installation to finish on that server (or restart it), then install again.',
              detail: { host: t.label, exitCode: run.exitCode },
            });
          }
          busyAttempt++;
          report(t, 70, 'msiexec', `Another installation is running on ${t.label}; trying again in ${Math.round(delay / 1000)} s`);
          await sleep(delay, ctx.signal);
          continue;
        }
        case 'upgrade': {
          if (upgraded) {
            throw new TwinlockError({
              code: 'install-failed',
              message: `Windows Installer on ${t.label} still reports another version installed (1638) after an in-place upgrade.`,
              hint: 'Uninstall the Twinlock agent from Programs and Features on that server, then install again.',
              detail: { host: t.label, exitCode: run.exitCode },
            });
          }
          upgraded = true;
          args = [...manifest.installArgs, ...MINOR_UPGRADE_ARGS];
          continue;
        }
        case 'fail': {
          const logTail = run.logTail ?? [];
          ctx.host(t.sessionId, { label: t.label, logTail });
          throw new TwinlockError({
            code: 'install-failed',
            message: `The agent could not be installed on ${t.label}: ${exit.reason}.`,
            hint: exit.hint,
            detail: { host: t.label, exitCode: run.exitCode, meaning: msiExitMeaning(run.exitCode), logPath, logTail },
          });
        }
      }
    }
  } catch (err) {
    const failure = err instanceof TwinlockError ? err : new TwinlockError(toErrorData(err, `the installation on ${t.label}`), { cause: err });
    const final = msiStarted && previous === null ? await rollback(t, pkg, failure) : failure;
    ctx.host(t.sessionId, { label: t.label, state: 'failed', message: final.message });
    throw final;
  }
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

async function waitHealthy(t: InstallTarget, pkg: AgentPackage, opts: Required<InstallOptions>, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + opts.healthTimeoutMs;
  for (;;) {
    const problems = healthProblems(await getAgentState(t.host, pkg, signal), pkg);
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
async function rollback(t: InstallTarget, pkg: AgentPackage, failure: TwinlockError): Promise<TwinlockError> {
  const code = pkg.manifest.productCode;
  let note: string;
  try {
    // Not tied to the job's signal: a cancelled install still has to be undone.
    const raw = await t.host.runScript(
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
