import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../../../engine/api/models';
import { FindingSchema } from '../../../engine/api/models';
import type { ClusterEvidence } from '../../../engine/verify/cluster';
import { clusterFindings, clusterRules } from '../../../engine/verify/cluster';
import { highestReadyLevel, verifyPair } from '../../../engine/verify/verify-pair';
import { levelReadiness, levelRefusal } from '../../../engine/pair/levels';
import { evidence, prereqs, validation } from './cluster-fixture';
import { inventory, peerInventory } from './inventory-fixture';

const a = inventory();
const b = peerInventory();
const sqlOnShare = { SQL01: ['\\\\TL-FS01\\VMs\\SQL01'] };

function finding(e: ClusterEvidence, ruleId: string): Finding {
  const f = clusterFindings(a, b, e).find((x) => x.ruleId === ruleId);
  if (!f) throw new Error(`no finding ${ruleId}`);
  return f;
}

/** A one-sentence reason: one full stop at the end, none inside (Windows' quoted text and paths aside). */
function oneSentence(text: string): void {
  const outsideQuotes = text.replace(/“[^”]*”/g, '“…”').replace(/\b[A-Z]:\\\S*/g, 'PATH');
  expect(outsideQuotes, text).toMatch(/[.]$/);
  expect(outsideQuotes.slice(0, -1), text).not.toMatch(/[.!?]\s+[A-Z]/);
}

/** A blocker or warning as the report shows it: the rule's own sentence and a fix that says what to do. */
function expectFinding(f: Finding, severity: Severity, reason: RegExp, remedy?: RegExp): void {
  expect(FindingSchema.parse(f)).toEqual(f);
  expect({ id: f.ruleId, severity: f.severity }).toEqual({ id: f.ruleId, severity });
  expect(f.category).toBe('Cluster');
  expect(f.reason).toMatch(reason);
  expect(f.explain.length).toBeGreaterThan(40);
  if (severity === 'pass') {
    expect(f.remedy).toBe('');
    return;
  }
  oneSentence(f.reason);
  expect(f.remedy.length).toBeGreaterThan(20);
  if (remedy) expect(f.remedy).toMatch(remedy);
}

describe('Level 1 cluster rules', () => {
  it('all pass on a domain pair with its VM on a shared SMB 3 share and Test-Cluster passed', () => {
    const findings = clusterFindings(a, b, evidence());
    expect(findings.map((f) => f.ruleId)).toEqual(clusterRules.map((r) => r.id));
    expect(findings.map((f) => f.ruleId)).toEqual([
      'cluster.feature',
      'cluster.domain',
      'cluster.computer-object',
      'cluster.storage',
      'cluster.address',
      'cluster.name',
      'cluster.logon',
      'cluster.validation',
    ]);
    for (const f of findings) expectFinding(f, 'pass', /./);
  });

  describe('cluster.feature', () => {
    it('passes when the edition offers the feature, installed or not', () => {
      const f = finding(evidence(), 'cluster.feature');
      expect(f.values).toEqual([
        'Available (the Install step enables it)',
        'Available (the Install step enables it)',
      ]);
      const installed = evidence({
        prereqs: [prereqs('HV-A', { featureInstalled: true }), prereqs('HV-B', { featureInstalled: true })],
      });
      expect(finding(installed, 'cluster.feature').values).toEqual(['Installed', 'Installed']);
    });

    it('is a blocker naming the server whose edition lacks it', () => {
      const e = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B', { featureAvailable: false })] });
      const f = finding(e, 'cluster.feature');
      expectFinding(
        f,
        'blocker',
        /^Windows on HV-B does not offer the Failover Clustering feature/,
        /Standard or Datacenter on HV-B/,
      );
      expect(f.values[1]).toBe('Not available on this edition');
    });
  });

  describe('cluster.domain', () => {
    it('passes in one domain, whatever the case', () => {
      const e = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B', { domain: 'CONTOSO.LOCAL' })] });
      expectFinding(finding(e, 'cluster.domain'), 'pass', /same domain/);
    });

    it('is a blocker for two domains, with the join as the fix', () => {
      const e = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B', { domain: 'fabrikam.local' })] });
      const f = finding(e, 'cluster.domain');
      expectFinding(
        f,
        'blocker',
        /^HV-A is a member of contoso\.local and HV-B of fabrikam\.local, and every node of a failover cluster must be a member of the same domain\.$/,
        /^Join HV-B to contoso\.local .*Add-Computer -DomainName contoso\.local/,
      );
      expect(f.values).toEqual(['contoso.local', 'fabrikam.local']);
    });

    it('is a blocker for a domain member and a workgroup server', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A'),
          prereqs('HV-B', { partOfDomain: false, domain: 'WORKGROUP', dnsSuffix: '' }),
        ],
      });
      expectFinding(
        finding(e, 'cluster.domain'),
        'blocker',
        /HV-B is in a workgroup/,
        /^Join HV-B to contoso\.local/,
      );
    });

    const workgroup = (over: Parameters<typeof prereqs>[1] = {}) => ({
      partOfDomain: false,
      domain: 'WORKGROUP',
      dnsSuffix: 'corp.example.com',
      account: { name: 'X\\Administrator', local: true },
      ...over,
    });

    it('passes a workgroup cluster with the same local account and a DNS suffix on both', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A', workgroup({ account: { name: 'HV-A\\Administrator', local: true } })),
          prereqs('HV-B', workgroup({ account: { name: 'HV-B\\administrator', local: true } })),
        ],
      });
      expectFinding(
        finding(e, 'cluster.domain'),
        'pass',
        /workgroups with the same local administrator account/,
      );
    });

    it('is a blocker for a workgroup cluster with different account names', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A', workgroup({ account: { name: 'HV-A\\Administrator', local: true } })),
          prereqs('HV-B', workgroup({ account: { name: 'HV-B\\admin2', local: true } })),
        ],
      });
      expectFinding(
        finding(e, 'cluster.domain'),
        'blocker',
        /^A workgroup cluster needs the same local administrator account .*HV-A is reached as Administrator and HV-B as admin2\.$/,
        /same name and password on both servers/,
      );
    });

    it('is a blocker for a workgroup server without a primary DNS suffix', () => {
      const e = evidence({
        prereqs: [prereqs('HV-A', workgroup()), prereqs('HV-B', workgroup({ dnsSuffix: '' }))],
      });
      const f = finding(e, 'cluster.domain');
      expectFinding(f, 'blocker', /HV-B has no primary DNS suffix\.$/, /^Set a primary DNS suffix on HV-B/);
      expect(f.values[1]).toContain('DNS suffix none');
    });

    it('is a blocker when a workgroup server is reached with an account that is not local', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A', workgroup()),
          prereqs('HV-B', workgroup({ account: { name: 'MicrosoftAccount\\someone', local: false } })),
        ],
      });
      expectFinding(
        finding(e, 'cluster.domain'),
        'blocker',
        /logged on to HV-B with an account that is not a local one/,
      );
    });
  });

  describe('cluster.computer-object', () => {
    const named = (dir: Partial<ReturnType<typeof prereqs>['directory']>) =>
      evidence({
        cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
        prereqs: [
          prereqs('HV-A', { directory: { ...prereqs('HV-A').directory, ...dir } }),
          prereqs('HV-B', { directory: { ...prereqs('HV-B').directory, ...dir } }),
        ],
      });

    it('passes when the account may create computer objects, the name still to come', () => {
      expectFinding(finding(evidence(), 'cluster.computer-object'), 'pass', /checked when it is chosen/);
      expectFinding(
        finding(named({ clusterObject: 'missing' }), 'cluster.computer-object'),
        'pass',
        /may create the computer object PAIR01-CL/,
      );
    });

    it('passes a prestaged object even when the account may not create one', () => {
      const f = finding(
        named({ clusterObject: 'prestaged', canCreateComputer: false }),
        'cluster.computer-object',
      );
      expectFinding(f, 'pass', /prestaged, disabled computer object named PAIR01-CL/);
    });

    it('is a blocker when another computer has the name', () => {
      const f = finding(named({ clusterObject: 'taken' }), 'cluster.computer-object');
      expectFinding(
        f,
        'blocker',
        /^The directory already has an enabled computer object named PAIR01-CL, in use by another computer or cluster, so New-Cluster cannot claim it\.$/,
        /^Choose another cluster name \(--cluster-name/,
      );
    });

    it('is a blocker when the account may not create computer objects, with prestaging as the fix', () => {
      const f = finding(
        named({ clusterObject: 'missing', canCreateComputer: false }),
        'cluster.computer-object',
      );
      expectFinding(
        f,
        'blocker',
        /^Your account may not create computer objects in CN=Computers,DC=contoso,DC=local/,
        /prestage a disabled computer object PAIR01-CL in CN=Computers,DC=contoso,DC=local/,
      );
      const unnamed = evidence({
        prereqs: [
          prereqs('HV-A', {
            directory: {
              clusterObject: 'not-checked',
              canCreateComputer: false,
              container: 'OU=Servers,DC=contoso,DC=local',
            },
          }),
          prereqs('HV-B'),
        ],
      });
      expectFinding(
        finding(unnamed, 'cluster.computer-object'),
        'blocker',
        /OU=Servers/,
        /with the cluster’s name/,
      );
    });

    it('warns when the directory could not be read, saying why and what to do', () => {
      const unread = {
        directory: {
          clusterObject: 'not-checked' as const,
          canCreateComputer: false,
          container: '',
          error: 'An operations error occurred.',
        },
      };
      const key = evidence({
        logons: ['key', 'key'],
        prereqs: [prereqs('HV-A', unread), prereqs('HV-B', unread)],
      });
      const f = finding(key, 'cluster.computer-object');
      expectFinding(
        f,
        'warning',
        /^Twinlock could not read the directory from HV-A \(Windows: “An operations error occurred\.”\), so the right to create the cluster’s computer object is not checked yet\.$/,
        /^Connect to HV-A with the account’s password instead of a key/,
      );
      expect(f.values).toEqual(['Directory not read', 'Directory not read']);
      const dc = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B', unread)] });
      expectFinding(
        finding(dc, 'cluster.computer-object'),
        'warning',
        /from HV-B/,
        /nltest \/dsgetdc:contoso\.local/,
      );
    });

    it('passes in a workgroup: no directory', () => {
      const wg = {
        partOfDomain: false,
        domain: 'WORKGROUP',
        directory: { clusterObject: 'not-checked' as const, canCreateComputer: false, container: '' },
      };
      const f = finding(
        evidence({ prereqs: [prereqs('HV-A', wg), prereqs('HV-B', wg)] }),
        'cluster.computer-object',
      );
      expectFinding(f, 'pass', /workgroup cluster has no computer object/);
    });
  });

  describe('cluster.storage', () => {
    it('passes a VM on an SMB 3 share both servers write, and on a CSV both see', () => {
      expectFinding(
        finding(evidence(), 'cluster.storage'),
        'pass',
        /^SQL01 has its files on storage both servers reach\.$/,
      );
      const csv = {
        sharedDisks: [],
        poolableDisks: 0,
        smbShares: [],
        csvPaths: ['C:\\ClusterStorage\\Volume1'],
      };
      const e = evidence({
        prereqs: [
          prereqs('HV-A', {
            storage: { ...csv, vmPaths: { APP01: ['C:\\ClusterStorage\\Volume1\\APP01'] } },
          }),
          prereqs('HV-B', { storage: { ...csv, vmPaths: {} } }),
        ],
      });
      expectFinding(finding(e, 'cluster.storage'), 'pass', /APP01 has its files/);
    });

    it('is a blocker naming the VM and the local path', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A', {}, { SQL01: ['D:\\Hyper-V\\SQL01'], APP01: ['\\\\TL-FS01\\VMs\\APP01'] }),
          prereqs('HV-B'),
        ],
      });
      const f = finding(e, 'cluster.storage');
      expectFinding(
        f,
        'blocker',
        /^SQL01 \(D:\\Hyper-V\\SQL01\) is on HV-A’s own disks, so HV-B could not start it after a failover\.$/,
        /^Move SQL01 to storage both servers reach.*Move-VMStorage -VMName SQL01/,
      );
    });

    it('lists every VM on a server’s own disks in one sentence', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A', {}, { SQL01: ['D:\\Hyper-V\\SQL01'], APP01: ['E:\\VMs\\APP01'] }),
          prereqs('HV-B'),
        ],
      });
      const f = finding(e, 'cluster.storage');
      expect(f.reason).toBe(
        'SQL01 (D:\\Hyper-V\\SQL01) and APP01 (E:\\VMs\\APP01) are on HV-A’s own disks, so HV-B could not start them after a failover.',
      );
      expect(f.remedy).toMatch(/^Move SQL01 and APP01 to storage both servers reach/);
    });

    it('is a blocker for a share the other server cannot write, or one without SMB 3', () => {
      const unreachable = evidence({
        prereqs: [
          prereqs('HV-A', {}, sqlOnShare),
          prereqs('HV-B', {
            storage: {
              ...prereqs('HV-B').storage,
              smbShares: [{ path: '\\\\TL-FS01\\VMs', reachable: false, smb3: true }],
            },
          }),
        ],
      });
      expectFinding(
        finding(unreachable, 'cluster.storage'),
        'blocker',
        /\\\\TL-FS01\\VMs\\SQL01, which HV-B cannot write/,
      );
      const smb2 = {
        ...prereqs('HV-B').storage,
        smbShares: [{ path: '\\\\TL-FS01\\VMs', reachable: true, smb3: false }],
      };
      const old = evidence({
        prereqs: [
          prereqs('HV-A', { storage: { ...smb2, vmPaths: sqlOnShare } }),
          prereqs('HV-B', { storage: smb2 }),
        ],
      });
      expectFinding(finding(old, 'cluster.storage'), 'blocker', /does not speak SMB 3/);
    });

    it('is a blocker for a CSV path the other server does not see', () => {
      const e = evidence({
        prereqs: [
          prereqs('HV-A', {
            storage: {
              ...prereqs('HV-A').storage,
              csvPaths: ['C:\\ClusterStorage\\Volume1'],
              vmPaths: { APP01: ['C:\\ClusterStorage\\Volume1\\APP01'] },
            },
          }),
          prereqs('HV-B'),
        ],
      });
      expectFinding(finding(e, 'cluster.storage'), 'blocker', /a Cluster Shared Volume HV-B does not see/);
    });

    it('warns when there is no VM yet and nothing is shared', () => {
      const none = { sharedDisks: [], poolableDisks: 0, vmPaths: {}, smbShares: [], csvPaths: [] };
      const e = evidence({
        prereqs: [prereqs('HV-A', { storage: none }), prereqs('HV-B', { storage: none })],
      });
      expectFinding(finding(e, 'cluster.storage'), 'warning', /share no storage/);
      // A shared disk both see (same unique id) is storage to come.
      const disks = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B')] });
      expectFinding(finding(disks, 'cluster.storage'), 'pass', /No VM yet/);
      expect(finding(disks, 'cluster.storage').values[0]).toContain('1 shared disk(s), 1 seen by HV-B too');
    });
  });

  describe('cluster.address', () => {
    const at = (p: Partial<ReturnType<typeof prereqs>['address']>, q = p) =>
      evidence({
        cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
        prereqs: [
          prereqs('HV-A', { address: { inUse: false, onLinkAdapter: 'Ethernet', ...p } }),
          prereqs('HV-B', { address: { inUse: false, onLinkAdapter: 'Ethernet', ...q } }),
        ],
      });

    it('is not a blocker before the address is chosen, and says when it is checked', () => {
      const f = finding(evidence(), 'cluster.address');
      expectFinding(
        f,
        'pass',
        /checked when the pair’s cluster name and address are chosen \(the plan checks it again\)/,
      );
      expect(f.values).toEqual(['Not chosen yet', 'Not chosen yet']);
    });

    it('passes a free address on the business adapter of both', () => {
      expectFinding(finding(at({}), 'cluster.address'), 'pass', /^10\.0\.0\.50 is free/);
    });

    it('is a blocker when the address answers', () => {
      const f = finding(at({ inUse: true }, {}), 'cluster.address');
      expectFinding(
        f,
        'blocker',
        /^10\.0\.0\.50 already answers on the network \(HV-A reached it\)/,
        /--cluster-address/,
      );
    });

    it('is a blocker outside every connected subnet, or on a sync link', () => {
      expectFinding(
        finding(at({}, { onLinkAdapter: null }), 'cluster.address'),
        'blocker',
        /in none of HV-B’s connected subnets/,
      );
      expectFinding(
        finding(at({ onLinkAdapter: 'Ethernet 2' }), 'cluster.address'),
        'blocker',
        /on HV-A’s Ethernet 2, not on the business network \(Ethernet\)/,
      );
    });
  });

  describe('cluster.name', () => {
    const named = (name: string, resolves: string[] = []) =>
      evidence({
        cluster: { name, address: '10.0.0.50' },
        prereqs: [prereqs('HV-A', { nameResolves: resolves }), prereqs('HV-B')],
      });

    it('is not a blocker before the name is chosen', () => {
      expectFinding(
        finding(evidence(), 'cluster.name'),
        'pass',
        /checked when the pair’s cluster name and address are chosen/,
      );
    });

    it('passes a name DNS does not know', () => {
      expectFinding(finding(named('PAIR01-CL'), 'cluster.name'), 'pass', /^PAIR01-CL is free in DNS\.$/);
    });

    it('is a blocker for a name that resolves, or a server’s own name', () => {
      expectFinding(
        finding(named('PAIR01-CL', ['10.0.0.9']), 'cluster.name'),
        'blocker',
        /^PAIR01-CL already resolves in DNS to 10\.0\.0\.9, so another computer or cluster has that name\.$/,
        /^Choose another cluster name \(--cluster-name/,
      );
      expectFinding(finding(named('hv-b'), 'cluster.name'), 'blocker', /HV-B’s own computer name/);
    });
  });

  describe('cluster.logon', () => {
    it('passes password logons', () => {
      expectFinding(finding(evidence(), 'cluster.logon'), 'pass', /password/);
    });

    it('is a blocker for a key-based logon to the first server, in plain words', () => {
      const f = finding(evidence({ logons: ['key', 'key'] }), 'cluster.logon');
      expect(f.reason).toBe(
        'The cluster is created from HV-A reaching HV-B as you; a key-based SSH logon to Windows carries no network credentials, so Windows refuses that second hop.',
      );
      expectFinding(
        f,
        'blocker',
        /second hop/,
        /^Connect to HV-A with the account’s password instead of a key/,
      );
      expect(f.values).toEqual(['SSH key (no network credentials)', 'SSH key (no network credentials)']);
    });

    it('warns when only the second server is reached with a key', () => {
      expectFinding(
        finding(evidence({ logons: ['password', 'key'] }), 'cluster.logon'),
        'warning',
        /HV-B is reached with a key-based SSH logon/,
      );
    });
  });

  describe('cluster.validation', () => {
    it('is a blocker listing each failed test with Windows’ own text', () => {
      const v = validation([
        {
          name: 'System Configuration',
          result: 'failed',
          tests: [
            {
              name: 'Validate Active Directory Configuration',
              result: 'failed',
              message: 'The servers are not in the same Active Directory domain.',
            },
            { name: 'Validate All Drivers Signed', result: 'passed', message: '' },
          ],
        },
        {
          name: 'Storage',
          result: 'failed',
          tests: [
            {
              name: 'List Disks To Be Validated',
              result: 'failed',
              message: 'No disks were found on which to perform cluster validation tests.',
            },
          ],
        },
      ]);
      const f = finding(evidence({ validation: v }), 'cluster.validation');
      expectFinding(
        f,
        'blocker',
        /^Windows’ Test-Cluster failed 2 tests, and Windows does not support a cluster that fails validation — System Configuration › Validate Active Directory Configuration: “The servers are not in the same Active Directory domain\.”; Storage › List Disks To Be Validated: “No disks were found on which to perform cluster validation tests\.”\.$/,
        /the full report is C:\\ProgramData\\Twinlock\\reports\\Validation Report\.htm on HV-A/,
      );
      expect(f.values[0]).toBe('1 passed, 0 warnings, 2 failed');
    });

    it('is a warning for Test-Cluster’s warnings', () => {
      const v = validation([
        {
          name: 'Network',
          result: 'warning',
          tests: [
            {
              name: 'Validate Network Communication',
              result: 'warning',
              message: 'Node HV-A is reachable from Node HV-B by only one pair of network interfaces.',
            },
          ],
        },
      ]);
      expectFinding(
        finding(evidence({ validation: v }), 'cluster.validation'),
        'warning',
        /passed with 1 warning — Network › Validate Network Communication: “Node HV-A/,
      );
    });

    it('says why it did not run', () => {
      const f = finding(
        evidence({ validation: null, validationNotRun: 'Test-Cluster was not run: reasons.' }),
        'cluster.validation',
      );
      expectFinding(f, 'warning', /^Test-Cluster was not run: reasons\.$/);
      expect(f.values).toEqual(['Not run', 'Not run']);
    });
  });
});

describe('Level 1 in the verification and the level readiness', () => {
  const blocked = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B', { domain: 'fabrikam.local' })] });

  it('adds the cluster rules at Level 1 only, replacing the inventory’s domain rule', () => {
    const l1 = verifyPair(a, b, 1, evidence());
    expect(l1.findings.filter((f) => f.category === 'Cluster')).toHaveLength(8);
    expect(l1.findings.some((f) => f.ruleId === 'security.domain')).toBe(false);
    expect(l1.outcome).toBe('ready');
    for (const level of [2, 3] as const) {
      const r = verifyPair(a, b, level, evidence());
      expect(r.findings.some((f) => f.category === 'Cluster')).toBe(false);
      expect(r.findings.some((f) => f.ruleId === 'security.domain')).toBe(true);
    }
    // Without the prerequisites, Level 1 keeps to the inventories as before.
    expect(verifyPair(a, b, 1).findings.some((f) => f.category === 'Cluster')).toBe(false);
  });

  it('counts the cluster blockers at Level 1 whatever level is verified', () => {
    const l1 = verifyPair(a, b, 1, blocked);
    expect(l1).toMatchObject({
      outcome: 'blocked',
      verdict: 'Not ready: 1 blocker',
      blockersByLevel: [1, 0, 0],
    });
    expect(verifyPair(a, b, 3, blocked).blockersByLevel).toEqual([1, 0, 0]);
    expect(verifyPair(a, b, 3).blockersByLevel).toEqual([0, 0, 0]);
    expect(highestReadyLevel(a, b, blocked)).toBe(3);
  });

  it('refuses Level 1 for a pair the cluster rules block, with the rule’s sentence', () => {
    const levels = levelReadiness(a, b, blocked);
    expect(levels[0]).toMatchObject({ level: 1, ready: false, blockers: ['cluster.domain'] });
    expect(levels[0]!.reasons).toEqual([
      'Domain or workgroup cluster: HV-A is a member of contoso.local and HV-B of fabrikam.local, and every node of a failover cluster must be a member of the same domain.',
    ]);
    expect(levelReadiness(a, b)[0]!.ready).toBe(true);
    expect(levelRefusal(a, b, 1, blocked)).toMatch(
      /^HV-A and HV-B do not pass verification at Level 1 \(1 blocker: Domain or workgroup cluster: HV-A is a member of contoso\.local .*\)\. Choose Level 3, the highest they pass/,
    );
    expect(levelRefusal(a, b, 1, evidence())).toBeNull();
  });
});

describe('inventory rules at Level 1, for a failover cluster', () => {
  const find = (x: ReturnType<typeof verifyPair>, id: string) => x.findings.find((f) => f.ruleId === id)!;

  it('keeps each rule’s pass sentence on a matched pair', () => {
    const r = verifyPair(a, b, 1);
    for (const id of ['cpu.vendor', 'cpu.model', 'cpu.signature', 'memory.size', 'storage.system-free'])
      expect(find(r, id).reason, id).toBe(find(verifyPair(a, b, 3), id).reason);
  });

  it('says that a different processor model matters for live migration only', () => {
    const other = peerInventory({
      processor: { ...a.processor, name: 'Intel(R) Xeon(R) Gold 6342 CPU @ 2.80GHz' },
    });
    const f = find(verifyPair(a, other, 1), 'cpu.model');
    expect(f.severity).toBe('warning');
    expect(f.reason).toMatch(
      /live-migrates between different processor models only with Hyper-V’s processor compatibility/,
    );
    expect(f.remedy).toContain('Set-VMProcessor -VMName <vm> -CompatibilityForMigrationEnabled $true');
  });

  it('passes different memory sizes and core counts, leaving the VMs’ fit to memory.vm-capacity', () => {
    const other = peerInventory({
      memory: { totalBytes: 192 * 1024 ** 3, modules: 16, speedMhz: 3200 },
      processor: { ...a.processor, cores: 56, threads: 112 },
    });
    const r = verifyPair(a, other, 1);
    expect(find(r, 'memory.size')).toMatchObject({
      severity: 'pass',
      reason: expect.stringMatching(/Memory for the VMs/),
    });
    expect(find(r, 'cpu.cores')).toMatchObject({
      severity: 'pass',
      reason: expect.stringMatching(/keeps its virtual processors/),
    });
  });
});
