/**
 * Runs msiexec on a server through the install and uninstall scripts, reading its exit code with
 * the table in msi-exit.ts, and keeps the lines of its log that explain a failure.
 */
import { TwinlockError } from '../api/errors';
import { assertNever } from '../api/rules';
import type { JobContext } from '../jobs/types';
import { sleep } from '../jobs/sleep';
import { REMOTE_PATHS } from '../remote/scripts';
import type { RemoteHost } from '../remote/types';
import type { InstallTimings, InstallTarget, Report } from './install-types';
import type { AgentPackage } from './manifest';
import { classifyMsiExit, msiExitMeaning } from './msi-exit';
import { MsiRunSchema, parseScriptResult } from './script-results';

/** Properties that make msiexec reinstall over the same product code (a minor upgrade, 1638). */
const MINOR_UPGRADE_ARGS = ['REINSTALL=ALL', 'REINSTALLMODE=vomus'];

/** msiexec with the exit-code table: waits out 1618, upgrades on 1638; returns a success code. */
export async function runMsiexec(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  host: RemoteHost,
  pkg: AgentPackage,
  opts: Required<InstallTimings>,
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
    report(
      t,
      70,
      'msiexec',
      previous === null ? `Installing agent ${version}` : `Upgrading agent ${previous} to ${version}`,
    );
    await started();
    const result = parseScriptResult(
      'install-agent',
      MsiRunSchema,
      await host.runScript(
        'install-agent',
        { path: remoteFile, logPath, arguments: args },
        { signal: ctx.signal, timeoutMs: opts.msiTimeoutMs },
      ),
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
        report(
          t,
          70,
          'msiexec',
          `Another installation is running on ${t.label}; trying again in ${Math.max(1, Math.round(delay / 1000))} s`,
        );
        await sleep(delay, ctx.signal, opts.clock);
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
          detail: {
            host: t.label,
            exitCode: result.exitCode,
            meaning: msiExitMeaning(result.exitCode),
            logPath,
            logTail,
          },
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
  const noise = [
    /Note: 1: 2205 /,
    /Note: 1: 2265 /,
    /Machine policy value/,
    /Resetting cached policy values/,
    /^=== Verbose logging (started|stopped)/,
    /Property\(/,
  ];
  const kept = lines.filter((l) => !noise.some((re) => re.test(l)));
  return kept.slice(-max);
}

export async function uninstall(host: RemoteHost, productCode: string, version: string): Promise<number> {
  const raw = await host.runScript(
    'uninstall-agent',
    { productCode, logPath: `${REMOTE_PATHS.logsDir}\\uninstall-${version}-${Date.now()}.log` },
    { timeoutMs: 10 * 60_000 },
  );
  return parseScriptResult('uninstall-agent', MsiRunSchema, raw, host.label).exitCode;
}
