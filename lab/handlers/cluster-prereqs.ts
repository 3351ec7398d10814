/**
 * test-cluster-prereqs.ps1: what a failover cluster needs, read on one server, from its profile
 * and the lab's directory and network (lab/cluster-prereqs.ts). Nothing changes but a probe file
 * written to and deleted from each SMB share the VMs' files are on.
 */
import {
  accountNameOf,
  addressesInUse,
  clusterObjectState,
  containerOf,
  csvPaths,
  dnsSuffixOf,
  resolveName,
  shareAt,
  shareRoot,
  sharedDiskNumber,
  vmFiles,
} from '../cluster-prereqs';
import { scriptThrow } from '../powershell-shapes';
import { list, str } from './types';
import type { ScriptHandler } from './types';

const GiB = 1024 ** 3;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function toNumber(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The address is a dotted quad of octets (what the script's regular expression and IPAddress.TryParse accept). */
export function isIpv4(address: string): boolean {
  return IPV4.test(address) && address.split('.').every((p) => Number(p) <= 255);
}

/** Both addresses in one subnet of `prefixLength` bits. */
export function sameSubnet(a: string, b: string, prefixLength: number): boolean {
  if (prefixLength <= 0) return true;
  const shift = 32 - prefixLength;
  return Math.floor(toNumber(a) / 2 ** shift) === Math.floor(toNumber(b) / 2 ** shift);
}

/** What an LDAP search answers a session whose token carries no network credentials (a key logon). */
export const NO_CREDENTIALS_LDAP = 'An operations error occurred.';

export const testClusterPrereqs: ScriptHandler = ({ host, world, params, account, logon }) => {
  const p = host.profile;
  const clusterName = str(params, 'clusterName');
  const clusterAddress = str(params, 'clusterAddress');
  if (clusterAddress !== '' && !isIpv4(clusterAddress)) {
    throw scriptThrow(`The cluster address '${clusterAddress}' is not an IPv4 address such as 10.0.0.50.`);
  }

  const accountName = accountNameOf(host, account.username);
  const unread = { clusterObject: 'not-checked', canCreateComputer: false, container: '' };
  const directory = !p.partOfDomain
    ? { ...unread, error: '' }
    : logon === 'key'
      ? { ...unread, error: NO_CREDENTIALS_LDAP }
      : {
          clusterObject: clusterName === '' ? 'not-checked' : clusterObjectState(host, world, clusterName),
          canCreateComputer: world.clustering.directory.canCreateComputer,
          container: containerOf(host, world),
          error: '',
        };

  let address: { inUse: boolean; onLinkAdapter: string | null } = { inUse: false, onLinkAdapter: null };
  if (clusterAddress !== '') {
    const onLink = p.nics.find((nic) =>
      nic.ipv4.some(
        (ip) => !ip.address.startsWith('127.') && sameSubnet(ip.address, clusterAddress, ip.prefixLength),
      ),
    );
    address = {
      inUse: addressesInUse(world).includes(clusterAddress),
      onLinkAdapter: onLink?.name ?? null,
    };
  }

  const vmPaths: Record<string, string[]> = {};
  if (p.roles.hyperV) {
    for (const name of list(params, 'vms')) {
      if (!host.vms.some((vm) => vm.name === name) || name in vmPaths) continue;
      const files = vmFiles(host, name);
      vmPaths[name] = [files.path, ...files.hardDisks];
    }
  }
  const roots: string[] = [];
  for (const path of [...Object.values(vmPaths).flat(), ...list(params, 'sharePaths')]) {
    const root = shareRoot(path);
    if (root && !roots.some((r) => r.toLowerCase() === root.toLowerCase())) roots.push(root);
  }
  const smbShares = roots.map((root) => {
    const share = shareAt(host, root);
    return { path: root, reachable: share?.writable ?? false, smb3: share?.smb3 ?? false };
  });

  return {
    computerName: host.name,
    partOfDomain: p.partOfDomain,
    domain: p.domain,
    dnsSuffix: dnsSuffixOf(host),
    featureAvailable: true,
    featureInstalled: p.roles.failoverClustering,
    account: { name: accountName, local: !p.partOfDomain },
    directory,
    address,
    nameResolves: clusterName === '' ? [] : resolveName(host, world, clusterName),
    storage: {
      sharedDisks: p.storage.sharedDisks.map((d, i) => ({
        number: sharedDiskNumber(host, i),
        uniqueId: d.uniqueId,
        busType: d.busType,
        sizeBytes: d.sizeGiB * GiB,
      })),
      poolableDisks: p.disks.filter((d) => d.canPool === true).length,
      vmPaths,
      smbShares,
      csvPaths: csvPaths(host),
    },
  };
};
