/**
 * What a server finds when it checks a failover cluster's prerequisites (test-cluster-prereqs.ps1):
 * the computer objects of the directory, the addresses that answer on the business network, the
 * names DNS resolves, and where the VMs' files are. One lab-wide view, so that both servers of a
 * pair, and the PowerShell tier's shim, see the same directory and the same network.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { LabHost } from './host';
import type { LabWorld } from './world';

/** A computer object as an LDAP search finds it. */
export interface DirectoryEntry {
  name: string;
  /** False for a disabled object (a cluster name prestaged by a domain admin). */
  enabled: boolean;
  distinguishedName: string;
}

/** The distinguished name of a DNS domain (`contoso.local` → `DC=contoso,DC=local`). */
function domainDn(domain: string): string {
  return domain
    .split('.')
    .filter((p) => p !== '')
    .map((p) => `DC=${p}`)
    .join(',');
}

/** The container a domain member's computer object sits in ('' in a workgroup). */
export function containerOf(host: LabHost, world: LabWorld): string {
  if (!host.profile.partOfDomain) return '';
  const own = world.clustering.directory.container;
  const dc = domainDn(host.profile.domain);
  // The lab's directory is the first server's domain; a server of another domain has its own Computers container.
  return own !== '' && own.toLowerCase().endsWith(dc.toLowerCase()) ? own : `CN=Computers,${dc}`;
}

/**
 * Every computer object the directory holds, seen from `host`: the lab's servers (enabled), the
 * clusters' names (enabled), the names the `clusterNamesTaken` fault of any server gives other
 * computers (enabled), and the profile's taken and prestaged objects.
 */
export function directoryEntries(host: LabHost, world: LabWorld): DirectoryEntry[] {
  const out = new Map<string, DirectoryEntry>();
  const container = world.clustering.directory.container || containerOf(host, world);
  const add = (name: string, enabled: boolean, dn?: string): void => {
    const key = name.toLowerCase();
    const known = out.get(key);
    // An enabled object of that name wins: the name is taken whatever else is prestaged.
    if (known && (known.enabled || !enabled)) return;
    out.set(key, { name, enabled, distinguishedName: dn ?? `CN=${name},${container}` });
  };
  for (const h of world.hosts) {
    if (h.profile.partOfDomain) add(h.name, true, `CN=${h.name},${containerOf(h, world)}`);
  }
  for (const c of world.clustering.clusters) add(c.name, true);
  for (const h of world.hosts) for (const name of h.faults.clusterNamesTaken) add(name, true);
  for (const o of world.clustering.directory.objects.values()) add(o.name, o.enabled);
  return [...out.values()];
}

/** `missing`, `prestaged` or `taken`: what the directory holds under `name`. */
export function clusterObjectState(
  host: LabHost,
  world: LabWorld,
  name: string,
): 'missing' | 'prestaged' | 'taken' {
  const entry = directoryEntries(host, world).find((e) => e.name.toLowerCase() === name.toLowerCase());
  if (!entry) return 'missing';
  return entry.enabled ? 'taken' : 'prestaged';
}

/**
 * Addresses that answer a ping on the business network: every address of the lab's servers, each
 * cluster's static addresses, the directory's other devices, and the `addressesInUse` fault of
 * any server.
 */
export function addressesInUse(world: LabWorld): string[] {
  const out = new Set<string>();
  for (const h of world.hosts)
    for (const nic of h.profile.nics) for (const ip of nic.ipv4) out.add(ip.address);
  for (const c of world.clustering.clusters) for (const a of c.addresses) out.add(a);
  for (const a of world.clustering.directory.addressesInUse) out.add(a);
  for (const h of world.hosts) for (const a of h.faults.addressesInUse) out.add(a);
  return [...out];
}

/** The A records DNS holds: each cluster's addresses, each server's business adapter's addresses. */
export function dnsRecords(world: LabWorld): Array<{ name: string; addresses: string[] }> {
  const out: Array<{ name: string; addresses: string[] }> = [];
  for (const c of world.clustering.clusters) out.push({ name: c.name, addresses: [...c.addresses] });
  for (const h of world.hosts) {
    out.push({ name: h.name, addresses: (h.profile.nics[0]?.ipv4 ?? []).map((ip) => ip.address) });
  }
  return out;
}

/** What Resolve-DnsName -Type A finds for `name` (a single label gets the primary DNS suffix, so the domain part is optional). */
export function resolveName(host: LabHost, world: LabWorld, name: string): string[] {
  const n = name.toLowerCase();
  const suffix = dnsSuffixOf(host).toLowerCase();
  const record = dnsRecords(world).find(
    (r) => r.name.toLowerCase() === n || (suffix !== '' && `${r.name}.${suffix}`.toLowerCase() === n),
  );
  return record ? record.addresses : [];
}

/** The primary DNS suffix (Tcpip\Parameters `NV Domain`): the profile's, else the domain of a member, else none. */
export function dnsSuffixOf(host: LabHost): string {
  const p = host.profile;
  return p.dnsSuffix ?? (p.partOfDomain ? p.domain : '');
}

/** The account as `DOMAIN\user` (the domain's NetBIOS name, or the computer name for a local account). */
export function accountNameOf(host: LabHost, username: string): string {
  const p = host.profile;
  const netbios = p.partOfDomain ? p.domain.split('.')[0]!.toUpperCase() : host.name;
  return `${netbios}\\${username}`;
}

/** A VM's configuration folder (Get-VM .Path) and its virtual disks (Get-VMHardDiskDrive .Path). */
export function vmFiles(host: LabHost, vm: string): { path: string; hardDisks: string[] } {
  const storage = host.profile.storage;
  const path = storage.vmPaths[vm] ?? `${storage.vmPath.replace(/\\+$/, '')}\\${vm}`;
  return { path, hardDisks: [`${path}\\Virtual Hard Disks\\${vm}.vhdx`] };
}

/** `\\server\share` of a UNC path, or null for a local path. */
export function shareRoot(path: string): string | null {
  const m = /^\\\\([^\\]+)\\([^\\]+)/.exec(path);
  return m ? `\\\\${m[1]}\\${m[2]}` : null;
}

/** The share of this server's storage at `root` (compared case-insensitively), or undefined. */
export function shareAt(
  host: LabHost,
  root: string,
): LabHost['profile']['storage']['shares'][number] | undefined {
  return host.profile.storage.shares.find((s) => s.path.toLowerCase() === root.toLowerCase());
}

/** The shared disks' numbers follow the local disks' (Get-Disk numbers the boot disk 0). */
export function sharedDiskNumber(host: LabHost, index: number): number {
  return host.profile.disks.length + index;
}

/** Folders under C:\ClusterStorage (Cluster Shared Volumes' mount points), in name order. */
export function csvPaths(host: LabHost): string[] {
  const dir = host.localPath('C:\\ClusterStorage');
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    .map((name) => `C:\\ClusterStorage\\${name}`);
}

/** What the PowerShell tier's shim needs to answer test-cluster-prereqs.ps1 as the lab does. */
export function prereqsDocument(host: LabHost, world: LabWorld): Record<string, unknown> {
  return {
    directory: {
      entries: host.profile.partOfDomain ? directoryEntries(host, world) : [],
      container: containerOf(host, world),
      canCreateComputer: host.profile.partOfDomain && world.clustering.directory.canCreateComputer,
    },
    addressesInUse: addressesInUse(world),
    dnsSuffix: dnsSuffixOf(host),
    dns: dnsRecords(world),
  };
}
