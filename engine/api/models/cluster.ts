/**
 * Level 1: Windows' own failover clustering, set up by Twinlock with no agent. The cluster a pair
 * makes (its name and static address), what the cluster scripts read back from a server, and the
 * results of Windows' `Test-Cluster` as they join the verification report.
 *
 * The shapes of the cluster scripts' results live here so the engine, the lab and the PowerShell
 * tier agree on them: each `*ResultSchema` is what `resources/scripts/<name>.ps1` returns.
 */
import { z } from 'zod';
import { CLUSTER_NAME, CLUSTER_NAME_MESSAGE } from '../rules';

// In rules.ts (no imports) so that the command line checks --cluster-name without loading schemas.
export { CLUSTER_NAME, CLUSTER_NAME_MESSAGE };

/** The failover cluster a Level 1 pair makes. */
export const ClusterConfigSchema = z.object({
  /** The cluster's name (its computer object in the directory, and its DNS name). */
  name: z.string().regex(CLUSTER_NAME, CLUSTER_NAME_MESSAGE),
  /** The cluster's static IPv4 address on the business network (free, in an adapter's subnet). */
  address: z.ipv4({ message: 'The cluster address is an IPv4 address such as 10.0.0.50.' }),
});
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** Windows' names for a node's state (Get-ClusterNode `.State`). */
export const ClusterNodeStateSchema = z.enum(['Up', 'Down', 'Paused', 'Joining', 'Unknown']);
/** Windows' names for a group's (role's) state (Get-ClusterGroup `.State`). */
export const ClusterGroupStateSchema = z.enum([
  'Online',
  'Offline',
  'Failed',
  'PartialOnline',
  'Pending',
  'Unknown',
]);

/** `get-cluster-state`: the feature, and the cluster this server is a node of (null: none). */
export const ClusterStateResultSchema = z.object({
  /** Failover-Clustering is installed (Get-WindowsFeature `.Installed`). */
  featureInstalled: z.boolean(),
  /** RSAT-Clustering-PowerShell is installed (the cmdlets the other scripts use). */
  toolsInstalled: z.boolean(),
  cluster: z
    .object({
      name: z.string(),
      /** The cluster's static address(es) (its "Cluster IP Address" resources). */
      addresses: z.array(z.string()),
      /** (Get-Cluster).Description: Twinlock writes `twinlock pair=<name>; level=1` here. */
      description: z.string(),
      domain: z.string(),
      nodes: z.array(z.object({ name: z.string(), state: ClusterNodeStateSchema })),
      /** Get-ClusterQuorum: QuorumType and its witness resource (null: node majority). */
      quorum: z.object({
        type: z.string(),
        witness: z
          .object({
            kind: z.enum(['file-share', 'disk', 'cloud']),
            /** The share path, the disk resource name, or the storage account name. */
            address: z.string(),
            state: ClusterGroupStateSchema,
          })
          .nullable(),
      }),
      /** Virtual machine roles (groups of GroupType VirtualMachine). */
      roles: z.array(
        z.object({
          name: z.string(),
          /** The VM's name in Hyper-V. */
          vm: z.string(),
          ownerNode: z.string(),
          state: ClusterGroupStateSchema,
        }),
      ),
      /** Get-ClusterNetwork: name, subnet, state, role (0 none, 1 cluster only, 3 cluster and client). */
      networks: z.array(
        z.object({
          name: z.string(),
          address: z.string(),
          prefixLength: z.number().int(),
          state: z.string(),
          role: z.number().int(),
        }),
      ),
    })
    .nullable(),
});
export type ClusterStateResult = z.infer<typeof ClusterStateResultSchema>;

/** How a Level 1 pair looks through its cluster (part of `AgentStatus` for a clustered server). */
export const ClusterStatusSchema = ClusterStateResultSchema.shape.cluster.unwrap();
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;

/** `test-cluster-prereqs`: what a Level 1 cluster needs, read on one server. */
export const ClusterPrereqsResultSchema = z.object({
  computerName: z.string(),
  /** Win32_ComputerSystem: PartOfDomain and Domain (a workgroup's name when not joined). */
  partOfDomain: z.boolean(),
  domain: z.string(),
  /** The primary DNS suffix (a workgroup cluster needs one). */
  dnsSuffix: z.string(),
  /** Failover-Clustering can be installed on this edition (Get-WindowsFeature finds it). */
  featureAvailable: z.boolean(),
  featureInstalled: z.boolean(),
  /** The logged-on account, `DOMAIN\user`, and whether it is a local account. */
  account: z.object({ name: z.string(), local: z.boolean() }),
  /** The directory: an object named like the cluster already (prestaged, or taken) and the account's right to create one. */
  directory: z.object({
    /** `missing`, `prestaged` (disabled, this account may use it), `taken` (enabled: another cluster or computer has it). */
    clusterObject: z.enum(['missing', 'prestaged', 'taken', 'not-checked']),
    /** The account may create computer objects in the servers' container. */
    canCreateComputer: z.boolean(),
    /** The container checked (its distinguished name), or '' in a workgroup. */
    container: z.string(),
  }),
  /** The cluster address: answered a ping or ARP from this server (in use), and whether it is in a connected subnet. */
  address: z.object({ inUse: z.boolean(), onLinkAdapter: z.string().nullable() }),
  /** The cluster name already resolves in DNS, to these addresses. */
  nameResolves: z.array(z.string()),
  /** Storage both servers can reach. */
  storage: z.object({
    /** Disks on a shared bus (SAS, iSCSI, Fibre Channel) with their unique ids, which the peer must see too. */
    sharedDisks: z.array(
      z.object({ number: z.number(), uniqueId: z.string(), busType: z.string(), sizeBytes: z.number() }),
    ),
    /** Physical disks that can be pooled (Storage Spaces Direct eligibility). */
    poolableDisks: z.number().int(),
    /** Where each VM's files are (Get-VM .Path, and its disks), by VM name. */
    vmPaths: z.record(z.string(), z.array(z.string())),
    /** Each VM path that is an SMB share (\\server\share…): whether this server can write there. */
    smbShares: z.array(z.object({ path: z.string(), reachable: z.boolean(), smb3: z.boolean() })),
    /** Cluster Shared Volumes this server already sees (C:\ClusterStorage\…). */
    csvPaths: z.array(z.string()),
  }),
});
export type ClusterPrereqsResult = z.infer<typeof ClusterPrereqsResultSchema>;

export const CLUSTER_TEST_RESULTS = ['passed', 'warning', 'failed', 'not-run'] as const;
export const ClusterTestResultSchema = z.enum(CLUSTER_TEST_RESULTS);

/** Windows' `Test-Cluster`, per category and test, with Windows' own words (what `test-cluster` returns). */
export const ClusterValidationSchema = z.object({
  /** The nodes it ran on. */
  nodes: z.array(z.string()),
  /** The report Windows wrote (on the server that ran it), e.g. C:\Windows\Cluster\Reports\Validation Report 2026.12.02 At 19.40.11.htm. */
  reportPath: z.string(),
  ranAt: z.string(),
  /** `passed` when every test passed, `warning` when some warned, `failed` when any failed. */
  result: ClusterTestResultSchema,
  categories: z.array(
    z.object({
      /** e.g. `Inventory`, `Network`, `Storage`, `System Configuration`, `Hyper-V Configuration`. */
      name: z.string(),
      result: ClusterTestResultSchema,
      tests: z.array(
        z.object({
          /** e.g. `Validate Active Directory Configuration`. */
          name: z.string(),
          result: ClusterTestResultSchema,
          /** Windows' own text for a warning or failure ('' when it passed). */
          message: z.string(),
        }),
      ),
    }),
  ),
});
export type ClusterValidation = z.infer<typeof ClusterValidationSchema>;

/** `install-cluster-feature` / `uninstall-cluster-feature`: Install-WindowsFeature's answer. */
export const ClusterFeatureResultSchema = z.object({
  success: z.boolean(),
  /** `No`, `Yes`, `Maybe` as Windows says it. */
  restartNeeded: z.enum(['No', 'Yes', 'Maybe']),
  /** `Success`, `NoChangeNeeded`, `SuccessRestartRequired`, `Failed`. */
  exitCode: z.string(),
  /** Feature names changed. */
  features: z.array(z.string()),
});
export type ClusterFeatureResult = z.infer<typeof ClusterFeatureResultSchema>;

/** `set-cluster-quorum`: Get-ClusterQuorum after the change. */
export const ClusterQuorumResultSchema = ClusterStateResultSchema.shape.cluster.unwrap().shape.quorum;
export type ClusterQuorumResult = z.infer<typeof ClusterQuorumResultSchema>;

/** One VM role, as `add-cluster-vm-role` and `wait-cluster-roles` report it. */
export const ClusterRoleSchema = ClusterStateResultSchema.shape.cluster.unwrap().shape.roles.element;
export type ClusterRole = z.infer<typeof ClusterRoleSchema>;

/** `wait-cluster-roles`: the roles asked for as they stood when all were online or the time ran out. */
export const ClusterRolesResultSchema = z.object({
  allOnline: z.boolean(),
  roles: z.array(ClusterRoleSchema),
  /** VMs asked for that have no role in the cluster. */
  missing: z.array(z.string()),
});
export type ClusterRolesResult = z.infer<typeof ClusterRolesResultSchema>;

/** `remove-cluster-vm-role`: the role was there and is gone (false: there was none). */
export const ClusterRoleRemovedSchema = z.object({ removed: z.boolean() });

/** `remove-cluster`: Remove-Cluster -CleanupAD, and whether the computer object is gone from the directory. */
export const ClusterRemovedResultSchema = z.object({
  /** False when this server was in no cluster (nothing to do). */
  removed: z.boolean(),
  /** The cluster's computer object was deleted (false in a workgroup, or when the account may not). */
  computerObjectRemoved: z.boolean(),
});
export type ClusterRemovedResult = z.infer<typeof ClusterRemovedResultSchema>;

/** `invoke-cluster-drill`: what the action did, and the roles as they stood after it. */
export const ClusterDrillResultSchema = z.object({
  action: z.enum(['stop-node', 'start-node', 'drain', 'resume', 'live-migrate']),
  node: z.string(),
  /** Each node's state after the action. */
  nodes: z.array(z.object({ name: z.string(), state: ClusterNodeStateSchema })),
  roles: z.array(ClusterRoleSchema),
});
export type ClusterDrillResult = z.infer<typeof ClusterDrillResultSchema>;
