/**
 * Leaves a server as it was: removes the uploaded package after a failure, rolls a failed fresh
 * install back, and the admin's Roll back that removes the agent altogether.
 */
import { z } from 'zod';
import type { RollbackOutcome } from '../api/models';
import { TwinlockError, toErrorData } from '../api/errors';
import type { TwinlockErrorData } from '../api/errors';
import { REMOTE_PATHS } from '../remote/scripts';
import type { RemoteHost } from '../remote/types';
import type { ReconnectingHost } from './reconnecting-host';
import type { AgentPackage } from './manifest';
import { msiExitMeaning } from './msi-exit';
import { uninstall } from './msiexec-step';
import { getAgentState } from './remote-checks';
import { MsiRunSchema, asArray, parseScriptResult } from './script-results';

/** Removes the uploaded package (and, after a fresh install, the agent's firewall rules); says so. */
export async function cleanUp(
  connection: ReconnectingHost,
  pkg: AgentPackage,
  failure: TwinlockError,
  rules: boolean,
): Promise<TwinlockError> {
  let removed: string[] = [];
  try {
    const host = await connection.live();
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
    } as TwinlockErrorData,
    { cause: failure },
  );
}

const RemovedSchema = z.object({ removedFiles: asArray(z.string()), removedRules: z.number().nullish() });

/**
 * Roll back (the admin's button): removes the agent by its product code, its firewall rules and
 * the uploaded package, so the server is as before the installation. Safe to repeat.
 */
export async function rollbackHost(
  host: RemoteHost,
  label: string,
  pkg: AgentPackage,
): Promise<RollbackOutcome> {
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
    component: 'agent',
    removedVersion,
    removedRules: removed.removedRules ?? 0,
    removedFiles: removed.removedFiles,
    message: `${label}: ${parts.join('; ')}.`,
  };
}

/** Removes a failed fresh install so the server is as it was; says in the error what happened. */
export async function rollback(
  connection: ReconnectingHost,
  label: string,
  pkg: AgentPackage,
  failure: TwinlockError,
): Promise<TwinlockError> {
  const code = pkg.manifest.productCode;
  const t = { label };
  let note: string;
  let rolledBack = false;
  try {
    const host = await connection.live();
    // Not tied to the job's signal: a cancelled install still has to be undone.
    const raw = await host.runScript(
      'uninstall-agent',
      {
        productCode: code,
        logPath: `${REMOTE_PATHS.logsDir}\\uninstall-${pkg.manifest.version}-${Date.now()}.log`,
      },
      { timeoutMs: 10 * 60_000 },
    );
    const run = parseScriptResult('uninstall-agent', MsiRunSchema, raw, t.label);
    // 1605: the product was never registered, which is exactly the state to return to.
    rolledBack = run.exitCode === 0 || run.exitCode === 1605 || run.exitCode === 3010;
    note = rolledBack
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
      detail: { ...failure.detail, rolledBack },
    } as TwinlockErrorData,
    { cause: failure },
  );
}
