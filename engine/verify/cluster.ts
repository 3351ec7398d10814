/**
 * Level 1 rules: what Windows' own failover clustering needs of the two servers, read by
 * `test-cluster-prereqs` on each and by Windows' `Test-Cluster`, plus how Twinlock logged on
 * (the cluster is created from one server reaching the other). They apply at Level 1 only: the
 * lockstep levels run no cluster.
 */
import type {
  ClusterConfig,
  ClusterPrereqsResult,
  ClusterValidation,
  Finding,
  HostInventory,
  HostSession,
  Severity,
} from '../api/models';
import { explanationOf } from './explanations';
import { businessNic } from './network';
import type { Check } from './rule';

/** How a session logged on (HostSession.logon). */
export type LogonKind = HostSession['logon'];

/** What Level 1's rules read besides the two inventories, in the order the servers were verified. */
export interface ClusterEvidence {
  /** `test-cluster-prereqs` on the first server, then the second. */
  prereqs: readonly [ClusterPrereqsResult, ClusterPrereqsResult];
  /** How each session logged on. */
  logons: readonly [LogonKind, LogonKind];
  /** The cluster's name and address as asked for, or null when not chosen yet. */
  cluster: ClusterConfig | null;
  /** Windows' Test-Cluster results, or null when it did not run. */
  validation: ClusterValidation | null;
  /** Why Test-Cluster did not run (one sentence); '' when it ran. */
  validationNotRun: string;
}

/** One Level 1 rule: like a RuleDef, but over the cluster evidence, and a blocker unless its check says otherwise. */
export interface ClusterRuleDef {
  id: string;
  title: string;
  /** The blocker's reason and fix when the check gives none of its own. */
  reason: string;
  remedy: string;
  passReason: string;
  check(a: HostInventory, b: HostInventory, e: ClusterEvidence): Check;
}

const both = <T>(e: ClusterEvidence, f: (p: ClusterPrereqsResult, i: 0 | 1) => T): [T, T] => [
  f(e.prereqs[0], 0),
  f(e.prereqs[1], 1),
];

/** `A` / `A and B` / `A, B and C`. */
export function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The feature: Get-WindowsFeature Failover-Clustering exists (edition) on both. */
export const clusterFeature: ClusterRuleDef = {
  id: 'cluster.feature',
  title: 'Failover Clustering available',
  reason: 'Failover Clustering is not available on this edition of Windows Server.',
  remedy:
    'Run Windows Server Standard or Datacenter on both servers (an Essentials or Foundation server can be upgraded with DISM /Online /Set-Edition and a key), then verify again.',
  passReason:
    'Failover Clustering is available on both servers; the Install step enables it where it is not installed yet.',
  check: (a, b, e) => {
    const values = both(e, (p) =>
      !p.featureAvailable
        ? 'Not available on this edition'
        : p.featureInstalled
          ? 'Installed'
          : 'Available (the Install step enables it)',
    );
    const missing = [a, b].filter((_, i) => !e.prereqs[i]!.featureAvailable).map((h) => h.computerName);
    if (missing.length === 0) return { ok: true, values };
    return {
      ok: false,
      values,
      reason: `Windows on ${listed(missing)} does not offer the Failover Clustering feature (Get-WindowsFeature does not list it), so it cannot be a node of a Level 1 cluster.`,
      remedy: `Run Windows Server Standard or Datacenter on ${listed(missing)} (upgrade the edition with DISM /Online /Set-Edition and a key), then verify again.`,
    };
  },
};

const domainText = (p: ClusterPrereqsResult) => (p.partOfDomain ? p.domain : `Workgroup ${p.domain}`);
/** `CONTOSO\Administrator` → `Administrator`. */
const userPart = (account: string) => account.slice(account.lastIndexOf('\\') + 1);

/** The same domain, or a workgroup cluster's prerequisites. */
export const clusterDomain: ClusterRuleDef = {
  id: 'cluster.domain',
  title: 'Domain or workgroup cluster',
  reason: 'The servers are not in the same domain.',
  remedy: 'Join both servers to the same Active Directory domain, restart them, and verify again.',
  passReason: 'Both servers are members of the same domain.',
  check: (a, b, e) => {
    const [pa, pb] = e.prereqs;
    const values = both(e, domainText);
    const [na, nb] = [a.computerName, b.computerName];
    if (pa.partOfDomain && pb.partOfDomain) {
      if (pa.domain.toLowerCase() === pb.domain.toLowerCase()) return { ok: true, values };
      return {
        ok: false,
        values,
        reason: `${na} is a member of ${pa.domain} and ${nb} of ${pb.domain}, and every node of a failover cluster must be a member of the same domain.`,
        remedy: `Join ${nb} to ${pa.domain} (System Properties → Computer Name → Change, or Add-Computer -DomainName ${pa.domain} -Restart), then connect and verify again.`,
      };
    }
    if (pa.partOfDomain !== pb.partOfDomain) {
      const [member, loner, domain] = pa.partOfDomain ? [na, nb, pa.domain] : [nb, na, pb.domain];
      return {
        ok: false,
        values,
        reason: `${member} is a member of ${domain} while ${loner} is in a workgroup, and a cluster’s nodes are either all in one domain or all in workgroups.`,
        remedy: `Join ${loner} to ${domain} (System Properties → Computer Name → Change, or Add-Computer -DomainName ${domain} -Restart), then connect and verify again.`,
      };
    }
    // A workgroup cluster (Windows Server 2016 and later): the same local account on both, and a DNS suffix.
    const problems: string[] = [];
    const fixes: string[] = [];
    const [ua, ub] = [userPart(pa.account.name), userPart(pb.account.name)];
    const nonLocal = [a, b].filter((_, i) => !e.prereqs[i]!.account.local).map((h) => h.computerName);
    if (nonLocal.length > 0) {
      problems.push(`Twinlock is logged on to ${listed(nonLocal)} with an account that is not a local one`);
      fixes.push('connect to both servers with the same local administrator account');
    } else if (ua.toLowerCase() !== ub.toLowerCase()) {
      problems.push(`${na} is reached as ${ua} and ${nb} as ${ub}`);
      fixes.push(
        `create one local administrator account with the same name and password on both servers (or use ${ua} on both) and connect to both with it`,
      );
    }
    const noSuffix = [a, b].filter((_, i) => e.prereqs[i]!.dnsSuffix === '').map((h) => h.computerName);
    if (noSuffix.length > 0) {
      problems.push(`${listed(noSuffix)} ${noSuffix.length === 1 ? 'has' : 'have'} no primary DNS suffix`);
      fixes.push(
        `set a primary DNS suffix on ${listed(noSuffix)} (System Properties → Computer Name → Change → More…, for example corp.example.com) and restart`,
      );
    }
    const shownValues: [string, string] = [
      `${values[0]}; ${ua}; DNS suffix ${pa.dnsSuffix || 'none'}`,
      `${values[1]}; ${ub}; DNS suffix ${pb.dnsSuffix || 'none'}`,
    ];
    if (problems.length === 0) {
      return {
        ok: true,
        values: shownValues,
        reason:
          'Both servers are in workgroups with the same local administrator account and a primary DNS suffix, as a workgroup cluster needs.',
      };
    }
    return {
      ok: false,
      values: shownValues,
      reason: `A workgroup cluster needs the same local administrator account on both servers and a primary DNS suffix on each, and ${listed(problems)}.`,
      remedy: `${listed(fixes).replace(/^./, (c) => c.toUpperCase())}, then verify again.`,
    };
  },
};

const directoryText = (p: ClusterPrereqsResult, name: string | null) => {
  if (!p.partOfDomain) return 'Workgroup: no directory';
  const right = p.directory.canCreateComputer
    ? 'may create computer objects'
    : 'may not create computer objects';
  const object =
    name === null || p.directory.clusterObject === 'not-checked'
      ? ''
      : p.directory.clusterObject === 'missing'
        ? `; no object ${name}`
        : `; ${name} ${p.directory.clusterObject}`;
  return `${right}${object}`;
};

/** The cluster's computer object: creatable, or prestaged; never one another computer has. */
export const clusterComputerObject: ClusterRuleDef = {
  id: 'cluster.computer-object',
  title: 'Cluster computer object',
  reason: 'Your account may not create the cluster’s computer object in the directory.',
  remedy: 'Have a domain administrator prestage the cluster’s computer object, then verify again.',
  passReason: 'Your account may create the cluster’s computer object in the directory.',
  check: (a, b, e) => {
    const name = e.cluster?.name ?? null;
    const values = both(e, (p) => directoryText(p, name));
    const [pa, pb] = e.prereqs;
    if (!pa.partOfDomain && !pb.partOfDomain)
      return {
        ok: true,
        values,
        reason:
          'A workgroup cluster has no computer object in a directory; its name is registered in DNS only.',
      };
    // A directory that could not be read (a key logon's missing network credentials, an unreachable DC) vouches for nothing.
    const unread = ([0, 1] as const).filter(
      (i) => e.prereqs[i].partOfDomain && (e.prereqs[i].directory.error ?? '') !== '',
    );
    if (unread.length > 0) {
      const i = unread[0]!;
      const server = i === 0 ? a.computerName : b.computerName;
      return {
        ok: false,
        values: both(e, (p) =>
          (p.directory.error ?? '') !== '' ? 'Directory not read' : directoryText(p, name),
        ),
        severity: 'warning',
        reason: `Twinlock could not read the directory from ${server} (Windows: “${e.prereqs[i].directory.error!.trim()}”), so the right to create the cluster’s computer object is not checked yet.`,
        remedy:
          e.logons[i] === 'key'
            ? `Connect to ${server} with the account’s password instead of a key (a key-based logon has no network credentials to ask the directory with), then verify again.`
            : `Make sure ${server} reaches a domain controller (nltest /dsgetdc:${e.prereqs[i].domain}), then verify again.`,
      };
    }
    const container = pa.directory.container || pb.directory.container || 'the servers’ container';
    if (name !== null && e.prereqs.some((p) => p.directory.clusterObject === 'taken')) {
      return {
        ok: false,
        values,
        reason: `The directory already has an enabled computer object named ${name}, in use by another computer or cluster, so New-Cluster cannot claim it.`,
        remedy: `Choose another cluster name (--cluster-name, or the cluster name on the Pair step); if ${name} is a leftover nobody uses, delete it in Active Directory Users and Computers (${container}) and verify again.`,
      };
    }
    if (name !== null && e.prereqs.some((p) => p.directory.clusterObject === 'prestaged'))
      return {
        ok: true,
        values,
        reason: `A prestaged, disabled computer object named ${name} is ready for the cluster to claim.`,
      };
    if (e.prereqs.some((p) => p.partOfDomain && !p.directory.canCreateComputer)) {
      const object = name ?? 'with the cluster’s name';
      return {
        ok: false,
        values,
        reason: `Your account may not create computer objects in ${container}, so New-Cluster cannot create the cluster’s computer object.`,
        remedy: `Have a domain administrator prestage a disabled computer object ${object} in ${container} and give your account Full Control of it (or grant your account Create Computer objects on ${container}), then verify again.`,
      };
    }
    return {
      ok: true,
      values,
      reason:
        name === null
          ? `Your account may create computer objects in ${container}; the cluster’s own name is checked when it is chosen (the plan checks it again).`
          : `Your account may create the computer object ${name} in ${container}.`,
    };
  },
};

const isUnc = (path: string) => path.startsWith('\\\\');
const isCsv = (path: string) => /^[A-Za-z]:\\ClusterStorage\\/i.test(path);
/** A path on a server's own disks: neither a share nor a Cluster Shared Volume. */
const isLocal = (path: string) => !isUnc(path) && !isCsv(path);
const underPath = (path: string, root: string) => {
  const [p, r] = [path.toLowerCase(), root.toLowerCase().replace(/\\+$/, '')];
  return p === r || p.startsWith(`${r}\\`);
};

/** Why a VM file at `path` on server `owner` cannot be reached from both servers, or null when it can. */
function unreachable(path: string, owner: 0 | 1, e: ClusterEvidence, names: [string, string]): string | null {
  if (isUnc(path)) {
    for (const i of [0, 1] as const) {
      const share = e.prereqs[i].storage.smbShares.find((s) => underPath(path, s.path));
      if (!share || !share.reachable) return `${path}, which ${names[i]} cannot write`;
      if (!share.smb3)
        return `${path}, a share that does not speak SMB 3 (Hyper-V runs VMs only from SMB 3 shares)`;
    }
    return null;
  }
  if (isCsv(path)) {
    const missing = ([0, 1] as const).filter(
      (i) => !e.prereqs[i].storage.csvPaths.some((csv) => underPath(path, csv)),
    );
    return missing.length === 0
      ? null
      : `${path}, a Cluster Shared Volume ${listed(missing.map((i) => names[i]))} does not see`;
  }
  return `${path}, a disk of ${names[owner]} alone`;
}

const sharedIds = (e: ClusterEvidence) => {
  const other = new Set(e.prereqs[1].storage.sharedDisks.map((d) => d.uniqueId));
  return e.prereqs[0].storage.sharedDisks.filter((d) => other.has(d.uniqueId));
};

/** The VMs' files on storage both servers reach. */
export const clusterStorage: ClusterRuleDef = {
  id: 'cluster.storage',
  title: 'Storage both servers reach',
  reason: 'A VM’s files are on storage only one server reaches.',
  remedy: 'Move the VM’s storage to a share or volume both servers reach, then verify again.',
  passReason: 'Every VM’s files are on storage both servers reach.',
  check: (a, b, e) => {
    const names: [string, string] = [a.computerName, b.computerName];
    // Each server reports the VMs it holds: the primary's are the ones a Level 1 pair protects.
    const vms = ([0, 1] as const).flatMap((owner) =>
      Object.entries(e.prereqs[owner].storage.vmPaths).map(([vm, paths]) => ({ vm, paths, owner })),
    );
    const common = sharedIds(e);
    const values = both(e, (p, i) => {
      const parts: string[] = [];
      const shares = p.storage.smbShares.filter((s) => s.reachable).map((s) => s.path);
      if (shares.length > 0) parts.push(`writes ${shares.join(', ')}`);
      if (p.storage.csvPaths.length > 0) parts.push(`CSV ${p.storage.csvPaths.join(', ')}`);
      if (p.storage.sharedDisks.length > 0)
        parts.push(
          `${p.storage.sharedDisks.length} shared disk(s), ${common.length} seen by ${names[1 - i]} too`,
        );
      return parts.length > 0 ? parts.join('; ') : 'No shared storage';
    });
    const bad = vms
      .map(({ vm, paths, owner }) => {
        const path = paths.find((p) => unreachable(p, owner, e, names) !== null);
        return {
          vm,
          owner,
          why: path === undefined ? null : unreachable(path, owner, e, names),
          local: path !== undefined && isLocal(path) ? path : null,
        };
      })
      .filter((x): x is { vm: string; owner: 0 | 1; why: string; local: string | null } => x.why !== null);
    if (bad.length > 0) {
      const which = bad.map((x) => x.vm);
      const others = [...new Set(bad.map((x) => names[1 - x.owner]!))];
      // VMs on one server's own disks read as one list: `SQL01 (D:\…) and APP01 (D:\…) are on TL-NODE-A’s own disks`.
      const parts = ([0, 1] as const).flatMap((owner) => {
        const local = bad.filter((x) => x.owner === owner && x.local !== null);
        if (local.length === 0) return [];
        const what = listed(local.map((x) => `${x.vm} (${x.local})`));
        return [`${what} ${local.length === 1 ? 'is' : 'are'} on ${names[owner]}’s own disks`];
      });
      for (const x of bad) if (x.local === null) parts.push(`${x.vm} has its files on ${x.why}`);
      return {
        ok: false,
        values,
        reason: `${parts.join('; ')}, so ${listed(others)} could not start ${bad.length === 1 ? 'it' : 'them'} after a failover.`,
        remedy: `Move ${listed(which)} to storage both servers reach: an SMB 3 share both servers’ computer accounts may write (Hyper-V Manager → Move → Move the virtual machine’s storage, or Move-VMStorage -VMName ${which[0]} -DestinationStoragePath \\\\server\\share\\${which[0]}) or a Cluster Shared Volume, then verify again.`,
      };
    }
    if (vms.length > 0)
      return {
        ok: true,
        values,
        reason: `${listed(vms.map((v) => v.vm))} ${vms.length === 1 ? 'has its' : 'have their'} files on storage both servers reach.`,
      };
    const anyShared =
      common.length > 0 ||
      e.prereqs[0].storage.smbShares.some(
        (s) =>
          s.reachable &&
          s.smb3 &&
          e.prereqs[1].storage.smbShares.some((t) => t.reachable && underPath(s.path, t.path)),
      ) ||
      e.prereqs[0].storage.csvPaths.some((c) => e.prereqs[1].storage.csvPaths.includes(c));
    return anyShared
      ? { ok: true, values, reason: 'No VM yet; the servers share storage for the ones to come.' }
      : {
          ok: false,
          values,
          severity: 'warning',
          reason:
            'Neither server has a VM yet and the two share no storage, so a VM created on a local disk would not fail over.',
          remedy:
            'Create the VMs on an SMB 3 share both servers may write, on a Cluster Shared Volume, or give both servers the same shared disks (iSCSI, SAS or Fibre Channel).',
        };
  },
};

const subnetOf = (inv: HostInventory) => {
  const nic = businessNic(inv);
  if (!nic) return null;
  const route = (inv.routes ?? []).find(
    (r) =>
      r.interfaceAlias === nic.name && r.nextHop === '0.0.0.0' && !r.destinationPrefix.startsWith('0.0.0.0'),
  );
  return { nic: nic.name, subnet: route?.destinationPrefix ?? nic.ipv4[0] ?? '' };
};

/** The cluster address: free, on the business network's subnet. */
export const clusterAddress: ClusterRuleDef = {
  id: 'cluster.address',
  title: 'Cluster address',
  reason: 'The cluster address cannot be used.',
  remedy: 'Choose a free address on the business network, then verify again.',
  passReason: 'The cluster address is free and on the business network.',
  check: (a, b, e) => {
    const address = e.cluster?.address ?? null;
    const values = both(e, (p) =>
      address === null
        ? 'Not chosen yet'
        : p.address.inUse
          ? `${address} answers`
          : `${address} free${p.address.onLinkAdapter ? ` on ${p.address.onLinkAdapter}` : ', in no connected subnet'}`,
    );
    if (address === null)
      return {
        ok: true,
        values,
        reason:
          'No cluster address chosen yet: it is checked when the pair’s cluster name and address are chosen (the plan checks it again).',
      };
    const names = [a.computerName, b.computerName];
    const business = [subnetOf(a), subnetOf(b)];
    const seenBy = ([0, 1] as const).filter((i) => e.prereqs[i].address.inUse).map((i) => names[i]!);
    const hint = business[0] ? ` (${business[0].subnet} on ${business[0].nic})` : '';
    if (seenBy.length > 0)
      return {
        ok: false,
        values,
        reason: `${address} already answers on the network (${listed(seenBy)} reached it), so it cannot be the cluster’s address.`,
        remedy: `Choose a free address on the business network${hint} (--cluster-address, or the cluster address on the Pair step), reserve it outside the DHCP scope, and verify again.`,
      };
    const off = ([0, 1] as const).filter((i) => {
      const on = e.prereqs[i].address.onLinkAdapter;
      return on === null || (business[i] !== null && on !== business[i]!.nic);
    });
    if (off.length > 0) {
      const i = off[0]!;
      const on = e.prereqs[i].address.onLinkAdapter;
      return {
        ok: false,
        values,
        reason:
          on === null
            ? `${address} is in none of ${names[i]}’s connected subnets, so the cluster could not bring its address online there.`
            : `${address} is on ${names[i]}’s ${on}, not on the business network (${business[i]!.nic}) that users reach the cluster on.`,
        remedy: `Choose a free address in the business network’s subnet${hint} (--cluster-address, or the cluster address on the Pair step), then verify again.`,
      };
    }
    return { ok: true, values, reason: `${address} is free and on the business network of both servers.` };
  },
};

/** The cluster name: not in DNS already, not a node's own name. */
export const clusterName: ClusterRuleDef = {
  id: 'cluster.name',
  title: 'Cluster name',
  reason: 'The cluster name is already in use.',
  remedy: 'Choose another cluster name, then verify again.',
  passReason: 'The cluster name is free in DNS.',
  check: (a, b, e) => {
    const name = e.cluster?.name ?? null;
    const values = both(e, (p) =>
      name === null
        ? 'Not chosen yet'
        : p.nameResolves.length > 0
          ? `${name} resolves to ${p.nameResolves.join(', ')}`
          : `${name} does not resolve`,
    );
    if (name === null)
      return {
        ok: true,
        values,
        reason:
          'No cluster name chosen yet: it is checked when the pair’s cluster name and address are chosen (the plan checks it again).',
      };
    const node = [a, b].find((h) => h.computerName.toLowerCase() === name.toLowerCase());
    if (node)
      return {
        ok: false,
        values,
        reason: `${name} is ${node.computerName}’s own computer name, and the cluster needs a name of its own.`,
        remedy:
          'Choose a cluster name that no computer has (--cluster-name, or the cluster name on the Pair step), for example PAIR01-CL, then verify again.',
      };
    const resolved = [...new Set(e.prereqs.flatMap((p) => p.nameResolves))];
    if (resolved.length > 0)
      return {
        ok: false,
        values,
        reason: `${name} already resolves in DNS to ${listed(resolved)}, so another computer or cluster has that name.`,
        remedy: `Choose another cluster name (--cluster-name, or the cluster name on the Pair step); if the record for ${name} is stale, delete it in DNS Manager, then verify again.`,
      };
    return { ok: true, values, reason: `${name} is free in DNS.` };
  },
};

/** A password logon on the server that creates the cluster: a key carries no network credentials. */
export const clusterLogon: ClusterRuleDef = {
  id: 'cluster.logon',
  title: 'Logon for the cluster',
  reason: 'A key-based SSH logon to Windows carries no network credentials.',
  remedy: 'Connect with the account’s password, then verify again.',
  passReason:
    'Twinlock is logged on with a password, so the server that creates the cluster can reach the other as you.',
  check: (a, b, e) => {
    const text = (k: LogonKind) => (k === 'key' ? 'SSH key (no network credentials)' : 'Password');
    const values: [string, string] = [text(e.logons[0]), text(e.logons[1])];
    const [na, nb] = [a.computerName, b.computerName];
    if (e.logons[0] === 'key')
      return {
        ok: false,
        values,
        reason: `The cluster is created from ${na} reaching ${nb} as you; a key-based SSH logon to Windows carries no network credentials, so Windows refuses that second hop.`,
        remedy: `Connect to ${na} with the account’s password instead of a key (the Connect step’s Password, or twinlock with TWINLOCK_PASSWORD or --password-stdin instead of --identity), then verify again.`,
      };
    if (e.logons[1] === 'key')
      return {
        ok: false,
        values,
        severity: 'warning',
        reason: `${nb} is reached with a key-based SSH logon, which carries no network credentials, so a cluster command run from ${nb} (a drill or the removal) could not reach ${na}.`,
        remedy: `Connect to ${nb} with the account’s password instead of a key, then verify again.`,
      };
    return { ok: true, values };
  },
};

const count = (v: ClusterValidation, r: 'passed' | 'warning' | 'failed') =>
  v.categories.reduce((n, c) => n + c.tests.filter((t) => t.result === r).length, 0);

/** Tests of one result, as `Category › Test: “Windows’ text”`. */
export function testsWith(v: ClusterValidation, result: 'warning' | 'failed'): string[] {
  return v.categories.flatMap((c) =>
    c.tests
      .filter((t) => t.result === result)
      .map((t) => `${c.name} › ${t.name}${t.message ? `: “${t.message.trim()}”` : ''}`),
  );
}

/** Windows' own validation: Test-Cluster over both servers. */
export const clusterValidation: ClusterRuleDef = {
  id: 'cluster.validation',
  title: 'Windows cluster validation (Test-Cluster)',
  reason: 'Windows’ Test-Cluster failed.',
  remedy: 'Fix what each failed test names, then verify again.',
  passReason: 'Windows’ Test-Cluster passed every test on both servers.',
  check: (a, _b, e) => {
    const v = e.validation;
    if (v === null || v.result === 'not-run') {
      const why =
        e.validationNotRun ||
        'Test-Cluster reported that it ran no test, so Windows’ own validation is still to come.';
      return {
        ok: false,
        values: ['Not run', 'Not run'],
        severity: 'warning',
        reason: why,
        remedy: `Clear what stops it, then verify again at Level 1 so Test-Cluster runs from ${a.computerName} over both servers.`,
      };
    }
    const values: [string, string] = [
      `${count(v, 'passed')} passed, ${count(v, 'warning')} warnings, ${count(v, 'failed')} failed`,
      v.reportPath ? `Report on ${a.computerName}: ${v.reportPath}` : `Run from ${a.computerName}`,
    ];
    const where = v.reportPath ? ` (the full report is ${v.reportPath} on ${a.computerName})` : '';
    if (v.result === 'failed') {
      const failed = testsWith(v, 'failed');
      return {
        ok: false,
        values,
        reason: `Windows’ Test-Cluster failed ${failed.length} test${failed.length === 1 ? '' : 's'}, and Windows does not support a cluster that fails validation — ${failed.join('; ')}.`,
        remedy: `Fix what each failed test names${where}, then verify again.`,
      };
    }
    if (v.result === 'warning') {
      const warned = testsWith(v, 'warning');
      return {
        ok: false,
        values,
        severity: 'warning',
        reason: `Windows’ Test-Cluster passed with ${warned.length} warning${warned.length === 1 ? '' : 's'} — ${warned.join('; ')}.`,
        remedy: `Read each warning${where}; the cluster can be created, but each one is a weakness Windows points out.`,
      };
    }
    return { ok: true, values };
  },
};

/** Every Level 1 rule, in report order. */
export const clusterRules: readonly ClusterRuleDef[] = [
  clusterFeature,
  clusterDomain,
  clusterComputerObject,
  clusterStorage,
  clusterAddress,
  clusterName,
  clusterLogon,
  clusterValidation,
];

/** The inventory rules the cluster rules replace at Level 1 when the prerequisites were read. */
export const SUPERSEDED_AT_LEVEL_1: ReadonlySet<string> = new Set(['security.domain']);

/** Runs one Level 1 rule into a finding (a blocker unless the check says otherwise). */
export function evaluateCluster(
  rule: ClusterRuleDef,
  a: HostInventory,
  b: HostInventory,
  e: ClusterEvidence,
): Finding {
  const c = rule.check(a, b, e);
  const severity: Severity = c.ok ? 'pass' : (c.severity ?? 'blocker');
  return {
    ruleId: rule.id,
    category: 'Cluster',
    title: rule.title,
    severity,
    values: c.values,
    reason: c.reason ?? (severity === 'pass' ? rule.passReason : rule.reason),
    remedy: severity === 'pass' ? '' : (c.remedy ?? rule.remedy),
    explain: explanationOf(rule.id),
    fixId: null,
    fixOn: [],
  };
}

/** Every Level 1 cluster finding for the two servers. */
export function clusterFindings(a: HostInventory, b: HostInventory, e: ClusterEvidence): Finding[] {
  return clusterRules.map((r) => evaluateCluster(r, a, b, e));
}
