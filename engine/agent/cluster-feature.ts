/**
 * Level 1's installation: Windows' own Failover Clustering feature and its tools on both servers,
 * instead of the lockstep agent. Per server: check what is installed (the inventory's
 * Failover-Clustering feature), enable it (Install-WindowsFeature Failover-Clustering
 * -IncludeManagementTools), restart when Windows asks and the admin allowed it, and check the
 * feature again. Nothing is uploaded and no product is installed. The steps are journalled like
 * the agent's, so an interrupted installation resumes without redoing them.
 */
import type { ClusterFeatureResult, HostInventory, InstallOutcome } from '../api/models';
import { ClusterFeatureResultSchema } from '../api/models/cluster';
import { TwinlockError, toErrorData } from '../api/errors';
import type { StepJournal } from '../jobs/journal';
import type { JobContext } from '../jobs/types';
import { parseInventory } from '../inventory/parse';
import type { RemoteHost } from '../remote/types';
import type { ClusterFeatureRecord } from './cluster-feature-record';
import type { InstallTimings, InstallTarget, Report } from './install-types';
import { INSTALL_DEFAULTS, retrying, settleInstalls } from './install';
import { ReconnectingHost } from './reconnecting-host';
import { memoryRestartJournal, rebootAndWait, recordBootTime } from './reboot-step';
import type { RestartJournal } from './reboot-step';
import { parseScriptResult } from './script-results';

/** The feature, as Windows names it. */
export const CLUSTER_FEATURE = 'Failover-Clustering';

/** What the admin allowed for a Level 1 run, and where it records its steps. */
export interface ClusterFeatureRun {
  /** Restart a server when Windows needs it to finish, and wait for it to come back. */
  allowReboot?: boolean;
  /** Completed steps are recorded here, and skipped when the job is resumed. */
  journal?: StepJournal;
  /** Where the servers Twinlock added the feature to are remembered (for Roll back). */
  record?: ClusterFeatureRecord;
  /** True while the engine shuts down: an interrupted install is then left to resume. */
  shuttingDown?: () => boolean;
}

/** Reads the server's inventory (one round trip). */
export async function readInventory(host: RemoteHost, signal?: AbortSignal): Promise<HostInventory> {
  return parseInventory(
    await host.runScript('get-inventory', {}, { timeoutMs: 120_000, ...(signal ? { signal } : {}) }),
  );
}

/** The Windows build Failover Clustering comes with: the version an outcome reports. */
export function windowsBuild(inv: HostInventory): string {
  return `${inv.os.build}.${inv.os.ubr}`;
}

/** An edition's name for the admin: the caption, or the edition id when Windows gave none. */
function editionOf(inv: HostInventory | null): string {
  if (!inv) return 'its Windows edition';
  const caption = inv.os.caption.replace(/^Microsoft /, '');
  return inv.os.editionId ? `${caption} (edition ${inv.os.editionId})` : caption;
}

/**
 * Windows' refusals, in plain words with the next step: an edition without the feature, a
 * server that is a cluster node (removal), anything else Install-WindowsFeature reported.
 */
export function featureError(
  err: unknown,
  label: string,
  inv: HostInventory | null,
  verb: 'install' | 'uninstall',
): TwinlockError {
  const data = toErrorData(err, `Failover Clustering on ${label}`);
  const errorId = typeof data.detail?.errorId === 'string' ? data.detail.errorId : '';
  if (errorId.startsWith('NameDoesNotExist')) {
    return new TwinlockError(
      {
        code: 'incompatible',
        message: `${label} runs ${editionOf(inv)}, which does not have Failover Clustering; Level 1 needs Windows Server Standard or Datacenter on both servers.`,
        hint: `Upgrade ${label} to Windows Server Standard or Datacenter, or protect this pair at Level 2 or 3 with the Twinlock agent.`,
        detail: { host: label, editionId: inv?.os.editionId ?? '', errorId },
      },
      { cause: err },
    );
  }
  if (verb === 'uninstall' && errorId.startsWith('Alteration_PrerequisiteCheck_Failed')) {
    return new TwinlockError(
      {
        code: 'install-failed',
        message: `${label} is still a node of a failover cluster, and Windows does not remove Failover Clustering from a cluster node.`,
        hint: `Remove the pair first (twinlock unpair, or Remove in the wizard), which destroys the cluster, then roll back ${label} again.`,
        detail: { host: label, errorId },
      },
      { cause: err },
    );
  }
  if (err instanceof TwinlockError && err.code !== 'script-failed') return err;
  const cmdlet = verb === 'install' ? 'Install-WindowsFeature' : 'Uninstall-WindowsFeature';
  return new TwinlockError(
    {
      code: 'install-failed',
      message: `${cmdlet} ${CLUSTER_FEATURE} -IncludeManagementTools failed on ${label}: ${data.message}`,
      hint: `Fix what Windows reports on ${label} (Server Manager shows the same), then ${verb === 'install' ? 'install' : 'roll back'} again; completed steps are not repeated.`,
      detail: { host: label, ...(errorId ? { errorId } : {}) },
    },
    { cause: err },
  );
}

/** Runs install-cluster-feature or uninstall-cluster-feature and reads Windows' answer. */
export async function changeFeature(
  host: RemoteHost,
  verb: 'install' | 'uninstall',
  label: string,
  inv: HostInventory | null,
  signal?: AbortSignal,
): Promise<ClusterFeatureResult> {
  const script = verb === 'install' ? 'install-cluster-feature' : 'uninstall-cluster-feature';
  let raw: unknown;
  try {
    // Enabling a feature takes a minute or two on a real server; removing one as long.
    raw = await host.runScript(script, {}, { timeoutMs: 20 * 60_000, ...(signal ? { signal } : {}) });
  } catch (err) {
    throw featureError(err, label, inv, verb);
  }
  const result = parseScriptResult(script, ClusterFeatureResultSchema, raw, label);
  if (!result.success || result.exitCode === 'Failed') {
    throw new TwinlockError({
      code: 'install-failed',
      message: `Windows could not ${verb === 'install' ? 'enable' : 'remove'} Failover Clustering on ${label} (exit code ${result.exitCode}).`,
      hint: `Look at Server Manager's notifications (or the CBS log, C:\\Windows\\Logs\\CBS\\CBS.log) on ${label}, fix the cause and try again.`,
      detail: { host: label, exitCode: result.exitCode },
    });
  }
  return result;
}

/** True when Windows says the server must restart to finish (`Maybe` counts: Windows cannot tell). */
export function restartNeeded(result: ClusterFeatureResult): boolean {
  return result.restartNeeded !== 'No';
}

/** Enables Failover Clustering on every target in parallel; one outcome per target, or the first failure. */
export async function installClusterFeature(
  ctx: JobContext<'install'>,
  targets: InstallTarget[],
  options: InstallTimings = {},
  run: ClusterFeatureRun = {},
): Promise<InstallOutcome[]> {
  const opts = { ...INSTALL_DEFAULTS, ...options };
  const percents = new Map<string, number>(targets.map((t) => [t.sessionId, 0]));
  const report: Report = (t, percent, step, message, extra = {}) => {
    percents.set(t.sessionId, percent);
    ctx.host(t.sessionId, { label: t.label, state: 'running', step, percent, message, ...extra });
    const overall = [...percents.values()].reduce((s, p) => s + p, 0) / Math.max(percents.size, 1);
    ctx.progress(Math.round(overall), `Enabling Failover Clustering: ${t.label} — ${message}`);
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
  const results = await Promise.allSettled(targets.map((t) => enableOne(ctx, t, opts, run, report)));
  const outcomes = settleInstalls(targets, results, 'enabling Failover Clustering');
  ctx.progress(100, `Failover Clustering is enabled on ${targets.map((t) => t.label).join(' and ')}`);
  return outcomes;
}

async function enableOne(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  opts: Required<InstallTimings>,
  run: ClusterFeatureRun,
  report: Report,
): Promise<InstallOutcome> {
  const journal = run.journal;
  const completed = journal?.completed(t.sessionId) ?? new Set<string>();
  const connection = new ReconnectingHost(t);
  const restarts: RestartJournal = journal
    ? {
        read: () => {
          const h = journal.host(t.sessionId);
          return { bootTime: h?.bootTime, restartRequestedAt: h?.restartRequestedAt };
        },
        note: (facts) => journal.note(t.sessionId, facts),
      }
    : memoryRestartJournal();
  let inv: HostInventory | null = null;
  try {
    report(
      t,
      5,
      'check',
      completed.size > 0 ? 'Resuming: checking what is installed' : 'Checking what is installed',
    );
    inv = await retrying(connection, opts, ctx.signal, (h) => readInventory(h, ctx.signal));
    const recorded = journal?.host(t.sessionId)?.featureInstalledBefore;
    // On resume, what was there before this job started decides whether this job added the feature.
    const before = recorded ?? inv.roles.failoverClustering;
    if (recorded === undefined) await journal?.note(t.sessionId, { featureInstalledBefore: before });

    let needsRestart = journal?.host(t.sessionId)?.featureRestartNeeded === true;
    let changed: string[] = [];
    if (!completed.has('feature')) {
      // Windows may want a restart after this: the boot time before it tells a resumed job whether it happened.
      if (journal)
        await retrying(connection, opts, ctx.signal, (h) => recordBootTime(h, restarts, ctx.signal));
      report(
        t,
        25,
        'feature',
        before
          ? 'Failover Clustering is already installed; checking its tools (Install-WindowsFeature Failover-Clustering -IncludeManagementTools)'
          : 'Enabling Failover Clustering and its tools (Install-WindowsFeature Failover-Clustering -IncludeManagementTools)',
      );
      const live = await connection.live();
      const result = await changeFeature(live, 'install', t.label, inv, ctx.signal);
      needsRestart = restartNeeded(result);
      changed = result.features;
      if (!before && run.record) {
        await run.record.added({
          fingerprint: live.fingerprint,
          computerName: t.label,
          address: live.address,
          port: live.port,
          addedAt: new Date().toISOString(),
          jobId: journal?.snapshot().jobId ?? '',
        });
      }
      await journal?.done(t.sessionId, 'feature', { featureRestartNeeded: needsRestart });
      report(
        t,
        60,
        'feature',
        changed.length > 0
          ? `Windows enabled ${changed.join(', ')}${needsRestart ? '; it must restart to finish' : ''}`
          : `Failover Clustering and its tools were already there${needsRestart ? '; a restart is still pending to finish them' : ''}`,
      );
    }

    let rebooted = completed.has('reboot');
    if (needsRestart && !rebooted) {
      if (run.allowReboot) {
        await rebootAndWait(ctx, t, connection, opts, report, false, restarts);
        rebooted = true;
        await journal?.done(t.sessionId, 'reboot');
      } else {
        report(t, 80, 'reboot-required', `${t.label} must restart to finish enabling Failover Clustering`);
      }
    }

    report(t, 88, 'health', 'Checking the feature');
    const after = await retrying(connection, opts, ctx.signal, (h) => readInventory(h, ctx.signal));
    const pendingRestart = needsRestart && !rebooted;
    if (!after.roles.failoverClustering && !pendingRestart) {
      throw new TwinlockError({
        code: 'install-failed',
        message: `Windows answered that Failover Clustering was enabled on ${t.label}, but Get-WindowsFeature does not show it installed${rebooted ? ' after the restart' : ''}.`,
        hint: `Open Server Manager on ${t.label} (Manage › Add Roles and Features) to see the feature's state, then install again.`,
        detail: { host: t.label },
      });
    }
    await journal?.done(t.sessionId, 'health');
    const action: InstallOutcome['action'] = before ? 'already-installed' : 'installed';
    const note =
      action === 'already-installed'
        ? `Failover Clustering was already installed on ${t.label}${rebooted ? '; Twinlock restarted the server to finish it' : ': nothing to do'}.`
        : `Failover Clustering and its tools enabled on ${t.label}${rebooted ? ` after a restart of ${t.label}` : ''}${pendingRestart ? `; ${t.label} must restart to finish (allow Twinlock to restart it, or restart it when convenient)` : ''}.`;
    ctx.host(t.sessionId, {
      label: t.label,
      state: action === 'already-installed' && !rebooted && !pendingRestart ? 'skipped' : 'done',
      step: pendingRestart ? 'reboot-required' : 'health',
      percent: 100,
      message: note,
    });
    const outcome: InstallOutcome = {
      sessionId: t.sessionId,
      computerName: t.label,
      component: 'failover-clustering',
      action,
      version: windowsBuild(after),
      exitCode: 0,
      rebootRequired: pendingRestart,
      note,
    };
    if (rebooted) outcome.rebooted = true;
    return outcome;
  } catch (err) {
    const failure = err instanceof TwinlockError ? err : featureError(err, t.label, inv, 'install');
    // Install-WindowsFeature changes all or nothing: a failure leaves the server as it was, so
    // there is nothing to undo here (Roll back removes a feature this installation did add).
    ctx.host(t.sessionId, { label: t.label, state: 'failed', message: failure.message });
    throw failure;
  }
}
