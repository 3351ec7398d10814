/**
 * Roll back at Level 1: removes Failover Clustering and its tools from a server where a Twinlock
 * installation added them (Uninstall-WindowsFeature Failover-Clustering -IncludeManagementTools),
 * never where the admin had the feature before, restarting the server as Windows requires when
 * the admin allowed it. Safe to repeat.
 */
import type { RollbackOutcome } from '../api/models';
import type { JobContext } from '../jobs/types';
import type { ClusterFeatureRecord } from './cluster-feature-record';
import { changeFeature, readInventory, restartNeeded } from './cluster-feature';
import type { InstallTimings, InstallTarget } from './install-types';
import { INSTALL_DEFAULTS } from './install';
import { ReconnectingHost } from './reconnecting-host';
import { rebootAndWait } from './reboot-step';

/** The admin's choices for a Level 1 Roll back. */
export interface ClusterRollbackRun {
  record: ClusterFeatureRecord;
  /** Restart the server when Windows needs it to finish the removal, and wait for it. */
  allowReboot: boolean;
}

/** A Roll back is one call, not a job: the restart's progress lines have nowhere to go. */
function quietContext(): JobContext<'install'> {
  return {
    jobId: 'rollback',
    signal: new AbortController().signal,
    progress: () => undefined,
    host: () => undefined,
    partial: () => undefined,
  };
}

export async function rollbackClusterFeature(
  t: InstallTarget,
  run: ClusterRollbackRun,
  options: InstallTimings = {},
): Promise<RollbackOutcome> {
  const opts = { ...INSTALL_DEFAULTS, ...options };
  const connection = new ReconnectingHost(t);
  const host = await connection.live();
  const base = {
    computerName: t.label,
    component: 'failover-clustering' as const,
    removedRules: 0,
    removedFiles: [],
  };
  const added = await run.record.find(host.fingerprint);
  const inv = await readInventory(host);
  if (!added) {
    return {
      ...base,
      removedVersion: null,
      removedFeatures: [],
      rebootRequired: false,
      message: inv.roles.failoverClustering
        ? `${t.label}: Failover Clustering was already there before Twinlock's installation (or was added another way), so it stays.`
        : `${t.label}: Failover Clustering is not installed; nothing to roll back.`,
    };
  }
  if (!inv.roles.failoverClustering) {
    await run.record.removed(host.fingerprint);
    return {
      ...base,
      removedVersion: null,
      removedFeatures: [],
      rebootRequired: false,
      message: `${t.label}: Failover Clustering is no longer installed; nothing to roll back.`,
    };
  }
  const result = await changeFeature(host, 'uninstall', t.label, inv);
  const needsRestart = restartNeeded(result);
  let rebooted = false;
  if (needsRestart && run.allowReboot) {
    await rebootAndWait(quietContext(), t, connection, opts, () => undefined, false);
    rebooted = true;
    const after = await readInventory(await connection.live());
    if (!after.roles.failoverClustering) await run.record.removed(host.fingerprint);
  } else if (!needsRestart) {
    await run.record.removed(host.fingerprint);
  }
  const removed = result.features.length > 0 ? result.features : ['Failover-Clustering'];
  const pending = needsRestart && !rebooted;
  return {
    ...base,
    removedVersion: 'Failover-Clustering',
    removedFeatures: removed,
    rebootRequired: pending,
    ...(rebooted ? { rebooted: true } : {}),
    message: pending
      ? `${t.label}: Failover Clustering and its tools are removed at the next restart; restart ${t.label} to finish (or roll back again allowing Twinlock to restart it).`
      : `${t.label}: Failover Clustering and its tools removed${rebooted ? ` (Twinlock restarted ${t.label} to finish)` : ''}.`,
  };
}
