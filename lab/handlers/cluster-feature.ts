/**
 * Windows' Failover Clustering feature on a lab server (Level 1): which editions have it, and
 * Install-WindowsFeature / Uninstall-WindowsFeature of it with its management tools, answered and
 * applied as Windows Server 2016 and later do.
 */
import { clusterOf } from '../cluster';
import type { LabHost } from '../host';
import type { HostProfile } from '../profile';
import { PsError } from '../powershell-shapes';
import type { ScriptHandler } from './types';

/**
 * Edition ids (CurrentVersion `EditionID`) whose feature catalogue holds Failover-Clustering:
 * Standard and Datacenter (evaluation and Azure editions included), Azure Stack HCI and Hyper-V
 * Server. Others (Essentials, `ServerSolution`) do not list it.
 */
export const CLUSTER_FEATURE_EDITIONS: readonly string[] = [
  'ServerStandard',
  'ServerStandardEval',
  'ServerDatacenter',
  'ServerDatacenterEval',
  'ServerDatacenterACor',
  'ServerTurbine',
  'ServerAzureStackHCICor',
  'ServerHyperCore',
];

/** True when Get-WindowsFeature finds Failover-Clustering on this server's edition. */
export function clusterFeatureAvailable(profile: Pick<HostProfile, 'os'>): boolean {
  return CLUSTER_FEATURE_EDITIONS.some((e) => e.toLowerCase() === profile.os.editionId.toLowerCase());
}

/**
 * What `-IncludeManagementTools` adds with the feature (FeatureResult's names, in Windows'
 * order): the management console needs the Desktop Experience, so Server Core gets the module only.
 */
export function clusterFeatureNames(profile: Pick<HostProfile, 'os'>): string[] {
  return [
    'Failover-Clustering',
    'RSAT-Clustering',
    ...(profile.os.installationType === 'Server' ? ['RSAT-Clustering-Mgmt'] : []),
    'RSAT-Clustering-PowerShell',
  ];
}

/** ServerManager's refusal of a name the edition's catalogue does not hold. */
function nameNotFound(command: 'AddWindowsFeatureCommand' | 'RemoveWindowsFeatureCommand'): PsError {
  return new PsError(
    "ArgumentNotValid: The role, role service, or feature name is not valid: 'Failover-Clustering'. The name was not found.",
    'InvalidArgument',
    `NameDoesNotExist,Microsoft.Windows.ServerManager.Commands.${command}`,
  );
}

/** The feature's state changes at the next boot as `host.clusterFeaturePending` says by then. */
function applyAtNextBoot(host: LabHost): void {
  host.pendingReboot = true;
  host.onNextBoot.push(() => {
    if (host.clusterFeaturePending === 'install') host.profile.roles.failoverClustering = true;
    if (host.clusterFeaturePending === 'uninstall') host.profile.roles.failoverClustering = false;
    host.clusterFeaturePending = null;
  });
}

export const installClusterFeature: ScriptHandler = ({ host }) => {
  const p = host.profile;
  if (!clusterFeatureAvailable(p)) throw nameNotFound('AddWindowsFeatureCommand');
  if (host.clusterFeaturePending === 'install')
    return { success: true, restartNeeded: 'Yes', exitCode: 'NoChangeNeeded', features: [] };
  const features = clusterFeatureNames(p);
  if (host.clusterFeaturePending === 'uninstall') {
    // A removal waiting for the restart, unstaged again: the feature stays.
    host.clusterFeaturePending = null;
    return { success: true, restartNeeded: 'No', exitCode: 'Success', features };
  }
  if (p.roles.failoverClustering)
    return { success: true, restartNeeded: 'No', exitCode: 'NoChangeNeeded', features: [] };
  if (host.pendingReboot) {
    // With a restart already pending, servicing stages the feature for it.
    host.clusterFeaturePending = 'install';
    applyAtNextBoot(host);
    return { success: true, restartNeeded: 'Yes', exitCode: 'SuccessRestartRequired', features };
  }
  p.roles.failoverClustering = true;
  return { success: true, restartNeeded: 'No', exitCode: 'Success', features };
};

/**
 * Windows' refusal to remove the feature from a server that is still a node of a cluster (the
 * prerequisite check of the removal).
 */
export const CLUSTER_NODE_REMOVAL_MESSAGE =
  'Failover Clustering cannot be removed: This server is a node of a failover cluster. Remove the node from the cluster, or destroy the cluster, before removing the feature.';

export const uninstallClusterFeature: ScriptHandler = ({ host, world }) => {
  const p = host.profile;
  if (!clusterFeatureAvailable(p)) throw nameNotFound('RemoveWindowsFeatureCommand');
  if (p.roles.failoverClustering && clusterOf(world.clustering, host)) {
    throw new PsError(
      CLUSTER_NODE_REMOVAL_MESSAGE,
      'InvalidOperation',
      'Alteration_PrerequisiteCheck_Failed,Microsoft.Windows.ServerManager.Commands.RemoveWindowsFeatureCommand',
    );
  }
  if (host.clusterFeaturePending === 'uninstall')
    return { success: true, restartNeeded: 'Yes', exitCode: 'NoChangeNeeded', features: [] };
  if (host.clusterFeaturePending === 'install') {
    // Staged for the next restart, and unstaged again.
    host.clusterFeaturePending = null;
    return { success: true, restartNeeded: 'No', exitCode: 'Success', features: clusterFeatureNames(p) };
  }
  if (!p.roles.failoverClustering)
    return { success: true, restartNeeded: 'No', exitCode: 'NoChangeNeeded', features: [] };
  host.clusterFeaturePending = 'uninstall';
  applyAtNextBoot(host);
  return {
    success: true,
    restartNeeded: 'Yes',
    exitCode: 'SuccessRestartRequired',
    features: clusterFeatureNames(p),
  };
};
