/** What `test-cluster-prereqs` reports on a server ready for a domain cluster, and Test-Cluster results. */
import type { ClusterPrereqsResult, ClusterValidation } from '../../../engine/api/models';
import type { ClusterEvidence } from '../../../engine/verify/cluster';

/** One server's prerequisites; `overrides` replace whole sections. */
export function prereqs(
  computerName: string,
  overrides: Partial<ClusterPrereqsResult> = {},
  vms: Record<string, string[]> = {},
): ClusterPrereqsResult {
  return {
    computerName,
    partOfDomain: true,
    domain: 'contoso.local',
    dnsSuffix: 'contoso.local',
    featureAvailable: true,
    featureInstalled: false,
    account: { name: 'CONTOSO\\admin', local: false },
    directory: {
      clusterObject: 'not-checked',
      canCreateComputer: true,
      container: 'CN=Computers,DC=contoso,DC=local',
    },
    address: { inUse: false, onLinkAdapter: null },
    nameResolves: [],
    storage: {
      sharedDisks: [
        { number: 2, uniqueId: '6000C29A1B2C3D4E5F60718293A4B5C6', busType: 'iSCSI', sizeBytes: 1024 ** 3 },
      ],
      poolableDisks: 0,
      vmPaths: vms,
      smbShares: [{ path: '\\\\TL-FS01\\VMs', reachable: true, smb3: true }],
      csvPaths: [],
    },
    ...overrides,
  };
}

/** Test-Cluster with every test passed, or the tests given. */
export function validation(
  categories: ClusterValidation['categories'] = [
    {
      name: 'Inventory',
      result: 'passed',
      tests: [{ name: 'List BIOS Information', result: 'passed', message: '' }],
    },
    {
      name: 'System Configuration',
      result: 'passed',
      tests: [{ name: 'Validate Active Directory Configuration', result: 'passed', message: '' }],
    },
  ],
): ClusterValidation {
  const results = categories.map((c) => c.result);
  return {
    nodes: ['HV-A', 'HV-B'],
    reportPath: 'C:\\ProgramData\\Twinlock\\reports\\Validation Report.htm',
    ranAt: '2025-01-01T10:01:00.000Z',
    result: results.includes('failed') ? 'failed' : results.includes('warning') ? 'warning' : 'passed',
    categories,
  };
}

/** Evidence of a pair ready for Level 1: the primary HV-A holds SQL01 on the shared SMB 3 share. */
export function evidence(overrides: Partial<ClusterEvidence> = {}): ClusterEvidence {
  return {
    prereqs: [
      prereqs('HV-A', {}, { SQL01: ['\\\\TL-FS01\\VMs\\SQL01', '\\\\TL-FS01\\VMs\\SQL01\\SQL01.vhdx'] }),
      prereqs('HV-B'),
    ],
    logons: ['password', 'password'],
    cluster: null,
    validation: validation(),
    validationNotRun: '',
    ...overrides,
  };
}
