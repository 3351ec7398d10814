/** The mutable software state of one simulated server, as the scripts observe it. */

/** An entry under HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall. */
export interface InstalledProduct {
  productCode: string;
  upgradeCode: string;
  /** DisplayName. */
  name: string;
  /** DisplayVersion. */
  version: string;
  publisher: string;
  /** InstallDate as the registry holds it: `yyyyMMdd`. */
  installDate: string;
}

/** A Windows service. */
export interface ServiceState {
  name: string;
  displayName: string;
  status: 'Running' | 'Stopped' | 'StartPending' | 'StopPending';
  startType: 'Automatic' | 'Manual' | 'Disabled';
}

/** A Windows Defender Firewall rule. */
export interface FirewallRule {
  name: string;
  displayName: string;
  group: string;
  enabled: boolean;
  direction: 'Inbound' | 'Outbound';
  action: 'Allow' | 'Block';
  protocol: 'TCP' | 'UDP';
  localPorts: number[];
}

/** A Hyper-V virtual machine. */
export interface VmState {
  name: string;
  state: 'Running' | 'Off' | 'Saved' | 'Paused';
  memoryBytes: number;
  processorCount: number;
  generation: number;
}

/** Hyper-V's VMState enum, as ConvertTo-Json prints it. */
export const VM_STATE_NUMBER: Record<VmState['state'], number> = { Running: 2, Off: 3, Saved: 6, Paused: 9 };

/** The firewall group and rules the agent's MSI creates. */
export const AGENT_FIREWALL_GROUP = 'Twinlock Agent';

export function agentFirewallRules(ports: { sync: number[]; control: number }): FirewallRule[] {
  const rule = (name: string, displayName: string, port: number): FirewallRule => ({
    name,
    displayName,
    group: AGENT_FIREWALL_GROUP,
    enabled: true,
    direction: 'Inbound',
    action: 'Allow',
    protocol: 'TCP',
    localPorts: [port],
  });
  return [
    ...ports.sync.map((port, i) =>
      rule(`TwinlockAgent-Sync${i + 1}-TCP-In`, `Twinlock Agent sync link ${i + 1} (TCP ${port})`, port),
    ),
    rule('TwinlockAgent-Control-TCP-In', `Twinlock Agent control (TCP ${ports.control})`, ports.control),
  ];
}
