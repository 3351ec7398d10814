/**
 * The lab's answers to Level 1's read-only scripts: what test-cluster-prereqs finds on a server
 * (domain, directory, address, DNS, storage) and what Test-Cluster reports for a pair, per profile
 * and with the faults a cluster meets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterPrereqsResultSchema, ClusterValidationSchema } from '../../../engine/api/models/cluster';
import { PsError } from '../../../lab/powershell-shapes';
import { HANDLERS } from '../../../lab/handlers/index';
import type { LabHost } from '../../../lab/host';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

let lab: OfflineLab | null = null;
afterEach(() => {
  lab?.dispose();
  lab = null;
});

function open(profile: string): OfflineLab {
  lab = offlineLab(profile);
  return lab;
}

async function prereqs(l: OfflineLab, host: LabHost, params: Record<string, unknown>) {
  return ClusterPrereqsResultSchema.parse(
    await l.run(host, 'test-cluster-prereqs', { clusterName: '', clusterAddress: '', vms: [], ...params }),
  );
}

/** Test-Cluster on both servers, the feature installed, as the session logged on. */
async function validate(l: OfflineLab, logon: 'password' | 'key' = 'password', include: string[] = []) {
  const [a, b] = l.hosts as [LabHost, LabHost];
  for (const h of l.hosts) h.profile.roles.failoverClustering = true;
  const answer = await HANDLERS['test-cluster']!({
    host: a,
    world: l.world,
    params: { nodes: [a.name, b.name], include },
    account: a.accounts[0]!,
    logon,
  });
  return ClusterValidationSchema.parse(answer);
}

function test(v: ReturnType<typeof ClusterValidationSchema.parse>, category: string, name: string) {
  return v.categories.find((c) => c.name === category)?.tests.find((t) => t.name === name);
}

describe('test-cluster-prereqs in the lab', () => {
  it('matched-pair: one domain, the feature available, the VMs on an SMB 3 share both write, a shared iSCSI disk', async () => {
    const l = open('matched-pair');
    const [a, b] = l.hosts as [LabHost, LabHost];
    const r = await prereqs(l, a, {
      clusterName: 'PAIR01-CL',
      clusterAddress: '192.168.50.50',
      vms: ['SQL01', 'NOPE'],
    });
    expect(r).toMatchObject({
      partOfDomain: true,
      domain: 'contoso.local',
      dnsSuffix: 'contoso.local',
      featureAvailable: true,
      featureInstalled: false,
      account: { name: 'CONTOSO\\Administrator', local: false },
      directory: {
        clusterObject: 'missing',
        canCreateComputer: true,
        container: 'CN=Computers,DC=contoso,DC=local',
      },
      address: { inUse: false, onLinkAdapter: 'Embedded NIC 1' },
      nameResolves: [],
    });
    expect(r.storage.vmPaths).toEqual({
      SQL01: ['\\\\TL-FS01\\VMs\\SQL01', '\\\\TL-FS01\\VMs\\SQL01\\Virtual Hard Disks\\SQL01.vhdx'],
    });
    expect(r.storage.smbShares).toEqual([{ path: '\\\\TL-FS01\\VMs', reachable: true, smb3: true }]);
    expect(r.storage.sharedDisks).toEqual([
      { number: 2, uniqueId: '6000C29A1B2C3D4E5F60718293A4B5C6', busType: 'iSCSI', sizeBytes: 1024 ** 3 },
    ]);
    // The second server has no VM: it checks the first server's paths it is given.
    const peer = await prereqs(l, b, { vms: ['SQL01'], sharePaths: r.storage.vmPaths.SQL01 });
    expect(peer.storage.vmPaths).toEqual({});
    expect(peer.storage.smbShares).toEqual([{ path: '\\\\TL-FS01\\VMs', reachable: true, smb3: true }]);
    expect(peer.storage.sharedDisks.map((d) => d.uniqueId)).toEqual(
      r.storage.sharedDisks.map((d) => d.uniqueId),
    );
  });

  it('different-domains: each server reports its own domain and container', async () => {
    const l = open('different-domains');
    const [a, b] = l.hosts as [LabHost, LabHost];
    const ra = await prereqs(l, a, { clusterName: 'PAIR01-CL' });
    const rb = await prereqs(l, b, { clusterName: 'PAIR01-CL' });
    expect([ra.domain, rb.domain]).toEqual(['contoso.local', 'fabrikam.local']);
    expect(rb.account.name).toBe('FABRIKAM\\Administrator');
    expect(rb.directory.container).toBe('CN=Computers,DC=fabrikam,DC=local');
    expect(ra.directory.container).toBe('CN=Computers,DC=contoso,DC=local');
  });

  it('unshared-storage: VM files on a local D:\\ path, no shared disk, no share', async () => {
    const l = open('unshared-storage');
    const r = await prereqs(l, l.hosts[0]!, { vms: ['SQL01'], sharePaths: ['\\\\TL-FS01\\VMs\\SQL01'] });
    expect(r.storage.vmPaths.SQL01).toEqual([
      'D:\\Hyper-V\\SQL01',
      'D:\\Hyper-V\\SQL01\\Virtual Hard Disks\\SQL01.vhdx',
    ]);
    expect(r.storage.sharedDisks).toEqual([]);
    expect(r.storage.smbShares).toEqual([{ path: '\\\\TL-FS01\\VMs', reachable: false, smb3: false }]);
  });

  it('a name already a server’s, a cluster’s or the fault’s is taken; a disabled object is prestaged', async () => {
    const l = open('matched-pair');
    const [a, b] = l.hosts as [LabHost, LabHost];
    expect((await prereqs(l, a, { clusterName: 'tl-node-b' })).directory.clusterObject).toBe('taken');
    expect((await prereqs(l, a, { clusterName: 'TL-NODE-B' })).nameResolves).toEqual(['192.168.50.22']);
    b.faults.clusterNamesTaken = ['PAIR01-CL'];
    expect((await prereqs(l, a, { clusterName: 'PAIR01-CL' })).directory.clusterObject).toBe('taken');
    l.world.clustering.directory.objects.set('pair02-cl', { name: 'PAIR02-CL', enabled: false });
    expect((await prereqs(l, a, { clusterName: 'pair02-cl' })).directory.clusterObject).toBe('prestaged');
    l.world.clustering.clusters.push({
      name: 'OTHER-CL',
      addresses: ['192.168.50.60'],
      description: '',
      domain: 'contoso.local',
      nodes: [],
      quorumType: 'NodeMajority',
      witness: null,
      roles: [],
      networks: [],
    });
    const other = await prereqs(l, a, { clusterName: 'OTHER-CL', clusterAddress: '192.168.50.60' });
    expect(other.directory.clusterObject).toBe('taken');
    expect(other.nameResolves).toEqual(['192.168.50.60']);
    expect(other.address.inUse).toBe(true);
  });

  it('an address a server, a cluster or the fault of either server answers on is in use', async () => {
    const l = open('matched-pair');
    const [a, b] = l.hosts as [LabHost, LabHost];
    expect((await prereqs(l, a, { clusterAddress: '192.168.50.22' })).address.inUse).toBe(true);
    expect((await prereqs(l, a, { clusterAddress: '192.168.50.50' })).address.inUse).toBe(false);
    b.faults.addressesInUse = ['192.168.50.50'];
    expect((await prereqs(l, a, { clusterAddress: '192.168.50.50' })).address).toEqual({
      inUse: true,
      onLinkAdapter: 'Embedded NIC 1',
    });
    expect((await prereqs(l, a, { clusterAddress: '172.16.0.9' })).address).toEqual({
      inUse: false,
      onLinkAdapter: null,
    });
  });

  it('a workgroup server: no directory to check, a local account', async () => {
    const l = open('uneven-pair');
    const b = l.hosts[1]!;
    const r = await prereqs(l, b, { clusterName: 'PAIR01-CL' });
    expect(r.partOfDomain).toBe(false);
    expect(r.directory).toEqual({
      clusterObject: 'not-checked',
      canCreateComputer: false,
      container: '',
      error: '',
    });
    expect(r.account).toEqual({ name: `${b.name}\\Administrator`, local: true });
    expect(r.dnsSuffix).toBe('');
  });

  it('a key logon cannot search the directory: Windows’ message, and nothing reported as checked', async () => {
    const l = open('key-only-logon');
    const a = l.hosts[0]!;
    const answer = await HANDLERS['test-cluster-prereqs']!({
      host: a,
      world: l.world,
      params: { clusterName: 'TL-NODE-B', clusterAddress: '192.168.50.22', vms: [] },
      account: a.accounts[0]!,
      logon: 'key',
    });
    const r = ClusterPrereqsResultSchema.parse(answer);
    expect(r.directory).toEqual({
      clusterObject: 'not-checked',
      canCreateComputer: false,
      container: '',
      error: 'An operations error occurred.',
    });
    // What the server reads itself still answers.
    expect(r.address.inUse).toBe(true);
    expect(r.nameResolves).toEqual(['192.168.50.22']);
  });

  it('refuses an address that is not IPv4, naming it', async () => {
    const l = open('matched-pair');
    await expect(prereqs(l, l.hosts[0]!, { clusterAddress: '10.0.0.300' })).rejects.toThrow(
      "The cluster address '10.0.0.300' is not an IPv4 address such as 10.0.0.50.",
    );
  });
});

describe('Test-Cluster in the lab', () => {
  it('matched-pair passes (or only warns), with the report beside its results under C:\\ProgramData\\Twinlock\\reports', async () => {
    const l = open('matched-pair');
    const v = await validate(l);
    expect(['passed', 'warning']).toContain(v.result);
    expect(v.nodes).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    expect(v.categories.map((c) => c.name)).toEqual([
      'Inventory',
      'Network',
      'Storage',
      'System Configuration',
      'Hyper-V Configuration',
    ]);
    expect(v.reportPath).toMatch(
      /^C:\\ProgramData\\Twinlock\\reports\\Validation Report \d{4}\.\d\d\.\d\d At \d\d\.\d\d\.\d\d\.htm$/,
    );
    const host = l.hosts[0]!;
    expect(host.fileExists(v.reportPath)).toBe(true);
    const xml = host.readFile(v.reportPath.replace(/\.htm$/, '.xml')).toString('utf8');
    expect(xml).toContain('<Channel Type="Test" Name="Validate Active Directory Configuration">');
  });

  it('different-domains fails Validate Active Directory Configuration', async () => {
    const v = await validate(open('different-domains'));
    expect(v.result).toBe('failed');
    expect(v.categories.find((c) => c.name === 'System Configuration')?.result).toBe('failed');
    expect(test(v, 'System Configuration', 'Validate Active Directory Configuration')).toEqual({
      name: 'Validate Active Directory Configuration',
      result: 'failed',
      message:
        'The nodes are not all members of the same domain. Node TL-NODE-A is a member of domain contoso.local. Node TL-NODE-B is a member of domain fabrikam.local.',
    });
  });

  it('unshared-storage fails Storage: no disk both servers see, and the VMs’ files on local disks', async () => {
    const v = await validate(open('unshared-storage'));
    expect(v.result).toBe('failed');
    const storage = v.categories.find((c) => c.name === 'Storage')!;
    expect(storage.result).toBe('failed');
    expect(test(v, 'Storage', 'List Disks To Be Validated')).toMatchObject({
      result: 'failed',
      message: expect.stringMatching(/^No disks were found on which to perform cluster validation tests\./),
    });
    expect(test(v, 'Storage', 'Validate Disk Failover')?.result).toBe('not-run');
  });

  it('an update level apart warns under Validate Software Update Levels; Hyper-V missing fails its test', async () => {
    const ubr = await validate(open('ubr-mismatch'));
    expect(test(ubr, 'System Configuration', 'Validate Software Update Levels')).toMatchObject({
      result: 'warning',
      message: expect.stringContaining('TL-NODE-B runs 10.0.20348.2655'),
    });
    lab!.dispose();
    const noHyperV = await validate(open('no-hyper-v'));
    expect(test(noHyperV, 'Hyper-V Configuration', 'Validate Hyper-V Role Installed')).toEqual({
      name: 'Validate Hyper-V Role Installed',
      result: 'failed',
      message: 'The Hyper-V role is not installed on node TL-NODE-B.',
    });
  });

  it('-Include keeps the categories and tests named', async () => {
    const v = await validate(open('matched-pair'), 'password', [
      'Storage',
      'Validate Active Directory Configuration',
    ]);
    expect(v.categories.map((c) => [c.name, c.tests.length])).toEqual([
      ['Storage', 12],
      ['System Configuration', 1],
    ]);
  });

  it('a key logon has no network credentials: reaching the other node is denied, as Windows denies it', async () => {
    const l = open('key-only-logon');
    const err = await validate(l, 'key').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PsError);
    expect(err).toMatchObject({
      message: "You do not have administrative privileges on the server 'TL-NODE-B'.",
      category: 'PermissionDenied',
    });
    // On this server alone it needs no second hop.
    const a = l.hosts[0]!;
    const alone = await HANDLERS['test-cluster']!({
      host: a,
      world: l.world,
      params: { nodes: [a.name], include: [] },
      account: a.accounts[0]!,
      logon: 'key',
    });
    expect(ClusterValidationSchema.parse(alone).nodes).toEqual([a.name]);
  });

  it('without the feature, and for a node that is not there, says so', async () => {
    const l = open('matched-pair');
    const a = l.hosts[0]!;
    await expect(
      l.run(a, 'test-cluster', { nodes: ['TL-NODE-A', 'TL-NODE-B'], include: [] }),
    ).rejects.toThrow(
      'Test-Cluster is not available on TL-NODE-A: install the Failover Clustering feature with its management tools first.',
    );
    a.profile.roles.failoverClustering = true;
    await expect(
      l.run(a, 'test-cluster', { nodes: ['TL-NODE-A', 'TL-NOWHERE'], include: [] }),
    ).rejects.toThrow('Unable to connect to TL-NOWHERE via WMI.');
  });
});
