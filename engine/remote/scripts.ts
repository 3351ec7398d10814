/**
 * The catalogue of remote operations. Each is a file `resources/scripts/<name>.ps1` whose body is
 * a script block taking one argument, `$P`: the parameters object, decoded by the bootstrap from
 * base64 JSON. The script returns one object; the bootstrap wraps it as
 * `{"ok":true,"data":…}` (or `{"ok":false,"error":{message,category,id}}`, exit 1) and prints it
 * as JSON. User input therefore only ever travels as data, never as code.
 */

/** Parameters each script accepts (the JSON object the script sees as `$P`). */
export interface ScriptParams extends FixScriptParams, ClusterScriptParams {
  /** Computer name, domain, OS caption and build, whether the account is an elevated admin. */
  'get-identity': Record<string, never>;
  /** The full hardware/software inventory (PowerShell 5.1 shapes; see engine/inventory). */
  'get-inventory': Record<string, never>;
  /** Get-FileHash and Get-AuthenticodeSignature of an uploaded package, its signer compared with the pinned thumbprint. */
  'test-agent-package': { path: string; trustedThumbprint: string };
  /** Runs msiexec /i silently with a verbose log; returns the exit code and the log's tail. */
  'install-agent': { path: string; logPath: string; arguments: string[] };
  /** Runs msiexec /x {productCode} silently; returns the exit code. */
  'uninstall-agent': { productCode: string; logPath: string };
  /** Installed product version, service state, firewall rules, `twinlockctl version`. */
  'get-agent-state': { productName: string; service: string; ctlPath: string; firewallGroup: string };
  /**
   * Runs `twinlockctl <verb words> --input -` with `input` as JSON on stdin (the verb from the
   * agent contract's closed list; never a value on the command line) and returns its exit code,
   * parsed JSON output and raw text.
   */
  'invoke-twinlockctl': { ctlPath: string; verb: string[]; input: Record<string, unknown> };
  /**
   * Schedules a restart in `delaySeconds` (shutdown.exe /r, logged with the reason; `cluster-feature`:
   * to finish adding or removing Failover Clustering) and returns the current boot time.
   */
  'restart-host': { delaySeconds: number; reason: 'agent-install' | 'fix' | 'cluster-feature' };
  /**
   * Reaches the quorum witness from this server: a TCP connect to a host's port within
   * `timeoutMs`, or a probe file `twinlock-witness-<probeId>.tmp` written into a share, read
   * back, compared and deleted.
   */
  'test-witness': {
    kind: 'host' | 'file-share';
    address: string;
    port: number | null;
    timeoutMs: number;
    probeId: string;
  };
  /** Deletes uploaded package files and the agent's firewall rule group. */
  'remove-agent-package': { paths: string[]; firewallGroup: string };
  /**
   * One end of a sync-link measurement, .NET sockets only. `listen`: a TCP listener and a UDP echo
   * on `localAddress:port`, serving one sender; `send`: UDP probes (round trip, loss) then a TCP
   * stream for `seconds` (throughput) to `remoteAddress:port`. A link address missing from
   * `adapter` is added for the measurement only (ActiveStore, SkipAsSource) and removed after.
   */
  'measure-link': {
    mode: 'listen' | 'send';
    adapter: string;
    localAddress: string;
    prefixLength: number;
    remoteAddress: string;
    port: number;
    seconds: number;
    /** How long the sender keeps trying to connect (and the listener waits for it), seconds. */
    connectSeconds: number;
    probes: number;
  };
  /** Get-VM for each name (verbatim): found, state (VMState as a number), uptime, addresses. */
  'get-vm-state': { names: string[] };
  /**
   * New-NetIPAddress of a sync link's address on its adapter (by InterfaceAlias), recorded in
   * C:\ProgramData\Twinlock\link-addresses.json; an address already there is reported, not added twice, nor recorded.
   */
  'set-link-address': { adapter: string; address: string; prefixLength: number };
  /**
   * Remove-NetIPAddress of a sync link's address from its adapter, and its entry from the record
   * of the addresses Twinlock added; an absent address is nothing to do. With `onlyIfRecorded`,
   * an address the record does not hold (the admin set it) is left alone.
   */
  'remove-link-address': { adapter: string; address: string; onlyIfRecorded?: boolean };
  /** The record of the link addresses set-link-address added (C:\ProgramData\Twinlock\link-addresses.json), read only. */
  'get-link-addresses': Record<string, never>;
}

/**
 * Level 1: Windows' own failover clustering (cmdlets of the FailoverClusters module). Results are
 * the `*ResultSchema`s of engine/api/models/cluster.ts. A cluster-wide script runs on one server
 * and reaches the other as the logged-on admin, which needs a password logon (network credentials).
 */
export interface ClusterScriptParams {
  /** Get-WindowsFeature Failover-Clustering, and Get-Cluster / nodes / quorum / VM groups / networks when this server is a node. */
  'get-cluster-state': Record<string, never>;
  /**
   * What a cluster needs, read on this server: domain or workgroup (and DNS suffix), the feature's
   * availability, the directory (an object named `clusterName`, the right to create one), whether
   * `clusterAddress` answers and is in a connected subnet, and the storage `vms` sit on. Empty
   * `clusterName` / `clusterAddress`: not chosen yet, not checked.
   */
  'test-cluster-prereqs': {
    clusterName: string;
    clusterAddress: string;
    vms: string[];
    /**
     * VM paths the other server holds (its VMs' Get-VM .Path and disks): this server checks the
     * SMB shares they are on too, since the VMs' files must be reachable from both.
     */
    sharePaths?: string[];
  };
  /** Test-Cluster -Node … [-Include …] -ReportName under C:\ProgramData\Twinlock\reports; results per category and test. */
  'test-cluster': { nodes: string[]; include: string[] };
  /** Install-WindowsFeature Failover-Clustering -IncludeManagementTools. */
  'install-cluster-feature': Record<string, never>;
  /** Uninstall-WindowsFeature Failover-Clustering -IncludeManagementTools. */
  'uninstall-cluster-feature': Record<string, never>;
  /**
   * New-Cluster -Name -Node -StaticAddress -NoStorage (-AdministrativeAccessPoint Dns in a
   * workgroup), then (Get-Cluster).Description = `description`. Returns the cluster's name, addresses, description, domain and nodes.
   */
  'new-cluster': { name: string; nodes: string[]; staticAddress: string[]; description: string };
  /** Set-ClusterQuorum -FileShareWitness / -DiskWitness / -CloudWitness -AccountName -AccessKey / -NodeMajority. */
  'set-cluster-quorum': {
    kind: 'file-share' | 'disk' | 'cloud' | 'node-majority';
    path: string;
    disk: string;
    accountName: string;
    /** A secret: given at apply time, shown as a placeholder in the plan. */
    accessKey: string;
  };
  /** Add-ClusterVirtualMachineRole -VMName; an existing role for the VM is reported, not added twice. */
  'add-cluster-vm-role': { vm: string };
  /** Remove-ClusterGroup -RemoveResources of the VM's role (the VM itself stays on its node). */
  'remove-cluster-vm-role': { vm: string };
  /** Polls Get-ClusterGroup until each VM's role is Online or `timeoutSeconds` pass. */
  'wait-cluster-roles': { vms: string[]; timeoutSeconds: number };
  /** Remove-Cluster -Force -CleanupAD of the cluster named `name` (nothing when this server is in none). */
  'remove-cluster': { name: string };
  /**
   * A drill's action: `stop-node` (Stop-ClusterNode), `start-node` (Start-ClusterNode),
   * `drain` (Suspend-ClusterNode -Drain), `resume` (Resume-ClusterNode -Failback Immediate),
   * `live-migrate` (Move-ClusterVirtualMachineRole -MigrationType Live of `vm` to `node`).
   */
  'invoke-cluster-drill': {
    action: 'stop-node' | 'start-node' | 'drain' | 'resume' | 'live-migrate';
    node: string;
    vm: string;
  };
}

/** The Level 1 scripts, by name. */
export const CLUSTER_SCRIPT_NAMES: readonly (keyof ClusterScriptParams)[] = [
  'get-cluster-state',
  'test-cluster-prereqs',
  'test-cluster',
  'install-cluster-feature',
  'uninstall-cluster-feature',
  'new-cluster',
  'set-cluster-quorum',
  'add-cluster-vm-role',
  'remove-cluster-vm-role',
  'wait-cluster-roles',
  'remove-cluster',
  'invoke-cluster-drill',
];

/** Fixes offered by verification findings (see engine/verify/fixes.ts). */
export interface FixScriptParams {
  /** Install-WindowsFeature of an allowed role (Hyper-V) with its management tools. */
  'fix-install-feature': { name: string };
  /** One inbound TCP allow rule per port in the agent's firewall group. */
  'fix-open-firewall-ports': { group: string; ports: number[] };
  /** w32tm resync with the domain hierarchy (`source` empty) or the given time source. */
  'fix-resync-time': { source: string };
  /** powercfg /setactive of a power plan GUID. */
  'fix-power-plan': { guid: string };
  /** wusa.exe /quiet /norestart of staged .msu packages. */
  'fix-install-hotfix': { paths: string[] };
}

export type ScriptName = keyof ScriptParams;

/** The fix scripts, by name. */
export const FIX_SCRIPT_NAMES: readonly (keyof FixScriptParams)[] = [
  'fix-install-feature',
  'fix-open-firewall-ports',
  'fix-resync-time',
  'fix-power-plan',
  'fix-install-hotfix',
];

export const SCRIPT_NAMES: readonly ScriptName[] = [
  ...FIX_SCRIPT_NAMES,
  'get-identity',
  'get-inventory',
  'test-agent-package',
  'install-agent',
  'uninstall-agent',
  'get-agent-state',
  'invoke-twinlockctl',
  'restart-host',
  'remove-agent-package',
  'measure-link',
  'get-vm-state',
  'test-witness',
  'set-link-address',
  'remove-link-address',
  'get-link-addresses',
  'test-cluster-prereqs',
  'test-cluster',
  'get-cluster-state',
  'new-cluster',
  'set-cluster-quorum',
  'add-cluster-vm-role',
  'remove-cluster-vm-role',
  'wait-cluster-roles',
  'remove-cluster',
  'install-cluster-feature',
  'uninstall-cluster-feature',
  'invoke-cluster-drill',
];

/** Where things live on the server. Windows paths, and their SFTP form. */
export const REMOTE_PATHS = {
  packagesDir: 'C:\\ProgramData\\Twinlock\\packages',
  packagesSftpDir: '/C:/ProgramData/Twinlock/packages',
  logsDir: 'C:\\ProgramData\\Twinlock\\logs',
  logsSftpDir: '/C:/ProgramData/Twinlock/logs',
  ctlPath: 'C:\\Program Files\\Twinlock\\Agent\\twinlockctl.exe',
  firewallGroup: 'Twinlock Agent',
  /** The record of the link addresses Twinlock added (set-link-address writes it, remove-link-address takes from it). */
  linkAddressRecord: 'C:\\ProgramData\\Twinlock\\link-addresses.json',
} as const;
