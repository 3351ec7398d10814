/**
 * What Twinlock can do with a host, from what its ports said, in one sentence an admin can act on;
 * and how results merge and sort.
 */
import ipaddr from 'ipaddr.js';
import type { DiscoveredHost, HostKind } from '../api/models';
import { endpointId } from '../api/rules';
import type { PortProbe } from './probe';

/** Microsoft's OpenSSH server announces itself with this token (Windows Server 2019 and later). */
export const WINDOWS_SSH_TOKEN = 'OpenSSH_for_Windows';

/** Ports that only Windows servers usually answer on, by service. */
export const WINDOWS_SERVICES: Readonly<Record<number, string>> = {
  445: 'SMB',
  3389: 'RDP',
  5985: 'WinRM',
  5986: 'WinRM over HTTPS',
};

/**
 * Enabling Microsoft's OpenSSH server on Windows Server 2019/2022, in an elevated PowerShell
 * (the capability name is the same on both; the firewall rule is created by the capability on
 * most builds, but not on every one, hence the check).
 */
export const ENABLE_OPENSSH_STEPS: readonly string[] = [
  'Add-WindowsCapability -Online -Name OpenSSH.Server~~~~0.0.1.0',
  'Start-Service sshd',
  "Set-Service -Name sshd -StartupType 'Automatic'",
  "if (-not (Get-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -ErrorAction SilentlyContinue)) { New-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -DisplayName 'OpenSSH Server (sshd)' -Enabled True -Direction Inbound -Protocol TCP -Action Allow -LocalPort 22 }",
];

/** Everything known about one host when it is classified. */
export interface Evidence {
  /** The port Twinlock would connect to. */
  sshPort: number;
  probes: PortProbe[];
  /** Probe timeouts, to quote them in reasons. */
  timeoutMs: number;
  bannerMs: number;
}

export interface Classification {
  kind: HostKind;
  reason: string;
  fix?: string[];
}

function serviceName(port: number): string {
  return port === 22 ? 'SSH' : (WINDOWS_SERVICES[port] ?? `TCP ${port}`);
}

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/**
 * The probe that stands for the host's SSH server: one that sent an SSH line, else the SSH port
 * when open, else any open port that was read and stayed silent or reset (an SSH candidate that
 * is not answering properly).
 */
export function sshCandidate(probes: readonly PortProbe[], sshPort: number): PortProbe | undefined {
  const open = probes.filter((p) => p.state === 'open');
  return (
    open.find((p) => p.banner?.includes(WINDOWS_SSH_TOKEN)) ??
    open.find((p) => p.banner !== null) ??
    open.find((p) => p.port === sshPort) ??
    open.find((p) => p.note === 'silent' || p.note === 'reset')
  );
}

/** Classifies a host from its probes. */
export function classify(evidence: Evidence): Classification {
  const { sshPort } = evidence;
  const probes = [...evidence.probes].sort((a, b) => a.port - b.port);
  const open = probes.filter((p) => p.state === 'open');
  const ssh = open.find((p) => p.banner?.includes(WINDOWS_SSH_TOKEN)) ?? open.find((p) => p.banner !== null);
  const windows = open.filter((p) => WINDOWS_SERVICES[p.port] !== undefined);
  const windowsText = list(windows.map((p) => `${WINDOWS_SERVICES[p.port]!} (${p.port})`));
  if (ssh?.banner?.includes(WINDOWS_SSH_TOKEN)) {
    return {
      kind: 'windows-ssh',
      reason: `Windows server with OpenSSH on port ${ssh.port}: ready to connect.`,
    };
  }
  if (ssh) {
    return windows.length > 0
      ? {
          kind: 'ssh-not-windows',
          reason: `Answers ${windowsText} like a Windows server, but its SSH server on port ${ssh.port} is not Microsoft’s OpenSSH (${ssh.banner!}): install the OpenSSH Server capability, which Twinlock needs.`,
          fix: [...ENABLE_OPENSSH_STEPS],
        }
      : {
          kind: 'ssh-not-windows',
          reason: `Answers SSH on port ${ssh.port} as ${ssh.banner!}, not a Windows server: Twinlock pairs Windows servers only.`,
        };
  }
  const sshProbe = sshCandidate(probes, sshPort);
  const sshSilent =
    sshProbe && (sshProbe.port === sshPort || sshProbe.note !== null)
      ? sshProbe.note === 'reset'
        ? `port ${sshProbe.port} accepts connections but closes them before identifying itself`
        : `port ${sshProbe.port} accepts connections but sent no SSH identification within ${evidence.bannerMs} ms`
      : null;
  if (windows.length > 0) {
    return {
      kind: 'windows-no-ssh',
      reason: sshSilent
        ? `Windows server (${windowsText}) where ${sshSilent}: make sure the OpenSSH Server (sshd) runs there and nothing else holds port ${sshProbe!.port}.`
        : `Windows server (${windowsText}) without an SSH server on port ${sshPort}: enable the OpenSSH Server on it (the steps are below), then scan again.`,
      fix: [...ENABLE_OPENSSH_STEPS],
    };
  }
  if (sshSilent) {
    return {
      kind: 'unknown',
      reason: `${sshSilent[0]!.toUpperCase()}${sshSilent.slice(1)}: something other than an SSH server listens there, or it hangs.`,
    };
  }
  if (open.length > 0) {
    return {
      kind: 'unknown',
      reason: `Only ${list(open.map((p) => serviceName(p.port)))} answer${open.length === 1 ? 's' : ''}, neither SSH nor a Windows service: Twinlock cannot use this host.`,
    };
  }
  const ports = list(probes.map((p) => String(p.port)));
  if (probes.length > 0 && probes.every((p) => p.state === 'closed')) {
    return {
      kind: 'unknown',
      reason: `The host answers but refuses port${probes.length === 1 ? '' : 's'} ${ports}: start its SSH server (sshd) or allow TCP ${sshPort} in its firewall.`,
    };
  }
  return {
    kind: 'unknown',
    reason: `Nothing answered on port${probes.length === 1 ? '' : 's'} ${ports} within ${evidence.timeoutMs} ms: check the address, that the server is on, and that its firewall allows SSH (TCP ${sshPort}).`,
  };
}

/** The reason for a name that does not resolve. */
export function unresolvedReason(name: string, code: string): string {
  return code === 'ETIMEOUT'
    ? `The name ${name} did not resolve in time: check the DNS server, or type the server’s IP address.`
    : `The name ${name} does not resolve (${code}): check its spelling and the DNS server, or type the server’s IP address.`;
}

const KIND_RANK: Record<HostKind, number> = {
  'windows-ssh': 3,
  'windows-no-ssh': 2,
  'ssh-not-windows': 1,
  unknown: 0,
};

/** Merges two results for the same address and port (a name and its address both typed, say). */
export function mergeHosts(a: DiscoveredHost, b: DiscoveredHost): DiscoveredHost {
  const [best, other] =
    KIND_RANK[b.kind] > KIND_RANK[a.kind] ||
    (KIND_RANK[b.kind] === KIND_RANK[a.kind] && b.openPorts.length > a.openPorts.length)
      ? [b, a]
      : [a, b];
  const rtts = [a.rttMs, b.rttMs].filter((r): r is number => r !== null);
  return {
    ...best,
    name: best.name ?? other.name,
    banner: best.banner ?? other.banner,
    openPorts: [...new Set([...a.openPorts, ...b.openPorts])].sort((x, y) => x - y),
    rttMs: rtts.length > 0 ? Math.min(...rtts) : null,
  };
}

/** Sort key: IPv4 by value, then IPv6, then names that did not resolve; then the port. */
function sortKey(address: string): [number, string] {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    return [
      0,
      ipaddr.IPv4.parse(address)
        .toByteArray()
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(''),
    ];
  }
  const bare = address.split('%')[0]!;
  if (ipaddr.IPv6.isValid(bare)) {
    return [
      1,
      ipaddr.IPv6.parse(bare)
        .toByteArray()
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(''),
    ];
  }
  return [2, address.toLowerCase()];
}

/** Orders results by address (numerically), then port. */
export function compareHosts(
  a: Pick<DiscoveredHost, 'address' | 'port'>,
  b: Pick<DiscoveredHost, 'address' | 'port'>,
): number {
  const [fa, ka] = sortKey(a.address);
  const [fb, kb] = sortKey(b.address);
  if (fa !== fb) return fa - fb;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.port - b.port;
}

/** A sorted, merged collection of results. */
export class HostTable {
  private readonly byKey = new Map<string, DiscoveredHost>();
  private sorted: DiscoveredHost[] | null = [];

  /** Adds a host (merging with one of the same key); returns the stored, merged host. */
  add(host: DiscoveredHost): DiscoveredHost {
    // Results merge by endpoint: the same address (in any case) and SSH port.
    const key = endpointId(host);
    const existing = this.byKey.get(key);
    const merged = existing ? mergeHosts(existing, host) : host;
    this.byKey.set(key, merged);
    this.sorted = null;
    return merged;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The hosts sorted by address. */
  list(): DiscoveredHost[] {
    this.sorted ??= [...this.byKey.values()].sort(compareHosts);
    return this.sorted;
  }
}
