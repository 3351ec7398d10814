import { describe, expect, it } from 'vitest';
import type { HostInventory, ProtectionLevel, Severity } from '../../../engine/api/models';
import { FindingSchema } from '../../../engine/api/models';
import { businessNic, spareNics } from '../../../engine/verify/network';
import { highestReadyLevel, RULES, verifyPair } from '../../../engine/verify/verify-pair';
import { inventory, peerInventory } from './inventory-fixture';

const a = inventory();
const cpu = a.processor;

/** A variation of server B and the severity expected at levels 1, 2 and 3. */
interface Case {
  ruleId: string;
  name: string;
  b: HostInventory;
  a?: HostInventory;
  expect: [Severity, Severity, Severity];
  /** Other rules the variation trips as well. */
  also?: string[];
}

const cases: Case[] = [
  {
    ruleId: 'cpu.vendor',
    name: 'AMD vs Intel',
    b: peerInventory({ processor: { ...cpu, vendor: 'AuthenticAMD' } }),
    expect: ['warning', 'blocker', 'blocker'],
  },
  {
    ruleId: 'cpu.model',
    name: 'another brand string',
    b: peerInventory({ processor: { ...cpu, name: 'Intel(R) Xeon(R) Gold 6342 CPU @ 2.80GHz' } }),
    expect: ['warning', 'warning', 'blocker'],
  },
  {
    ruleId: 'cpu.signature',
    name: 'another stepping',
    b: peerInventory({ processor: { ...cpu, stepping: 5 } }),
    expect: ['pass', 'warning', 'blocker'],
  },
  {
    ruleId: 'cpu.cores',
    name: 'fewer cores',
    b: peerInventory({ processor: { ...cpu, cores: 56, threads: 112 } }),
    // A failed-over VM keeps its virtual processors: at Level 1 the difference is room, not compatibility.
    expect: ['pass', 'warning', 'blocker'],
  },
  {
    ruleId: 'cpu.virtualization',
    name: 'VT-x off on B',
    b: peerInventory({ processor: { ...cpu, virtualizationEnabled: false } }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'cpu.slat',
    name: 'no SLAT on B',
    b: peerInventory({ processor: { ...cpu, slat: false } }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'memory.size',
    name: '192 GB vs 256 GB',
    b: peerInventory({ memory: { totalBytes: 192 * 1024 ** 3, modules: 16, speedMhz: 3200 } }),
    // Level 1 mirrors no memory; whether the VMs fit is memory.vm-capacity's question.
    expect: ['pass', 'blocker', 'blocker'],
  },
  {
    ruleId: 'memory.size',
    name: 'within 1%',
    b: peerInventory({ memory: { totalBytes: 256 * 1024 ** 3 * 0.995, modules: 16, speedMhz: 3200 } }),
    expect: ['pass', 'pass', 'pass'],
  },
  {
    ruleId: 'os.build',
    name: '2019 vs 2022',
    b: peerInventory({ os: { ...a.os, caption: 'Microsoft Windows Server 2019 Datacenter', build: 17763 } }),
    expect: ['blocker', 'blocker', 'blocker'],
    also: ['os.ubr'],
  },
  {
    ruleId: 'os.ubr',
    name: 'an older cumulative update',
    b: peerInventory({ os: { ...a.os, ubr: 2700 } }),
    expect: ['warning', 'warning', 'blocker'],
  },
  {
    ruleId: 'roles.hyperv',
    name: 'Hyper-V missing on B',
    b: peerInventory({ roles: { hyperV: false, failoverClustering: false } }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'roles.hyperv',
    name: 'Hyper-V missing on A',
    a: inventory({ roles: { hyperV: false, failoverClustering: false } }),
    b: peerInventory(),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'network.sync-nics',
    name: 'no spare adapter on B',
    b: peerInventory({ nics: peerInventory().nics.slice(0, 1) }),
    // A cluster runs on the business network alone, with a single point of failure Test-Cluster warns about.
    expect: ['warning', 'blocker', 'blocker'],
  },
  {
    ruleId: 'network.sync-nics',
    name: 'one spare adapter on B',
    b: peerInventory({ nics: peerInventory().nics.slice(0, 2) }),
    // One spare adapter is the cluster's second network.
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'cpu.microcode',
    name: 'older microcode',
    b: peerInventory({ processor: { ...cpu, microcode: '0xD000390' } }),
    expect: ['pass', 'warning', 'blocker'],
  },
  {
    ruleId: 'cpu.clock',
    name: 'slower clock',
    b: peerInventory({ processor: { ...cpu, maxClockMhz: 1800 } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'cpu.hypervisor',
    name: 'role without hypervisor',
    b: peerInventory({ processor: { ...cpu, hypervisorPresent: false } }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'firmware.bios-version',
    name: 'older BIOS',
    b: peerInventory({ bios: { ...a.bios, version: '1.9.2' } }),
    expect: ['pass', 'warning', 'blocker'],
  },
  {
    ruleId: 'firmware.system-model',
    name: 'another model',
    b: peerInventory({ system: { ...a.system, model: 'PowerEdge R650' } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'memory.modules',
    name: 'fewer modules',
    b: peerInventory({ memory: { ...a.memory, modules: 8 } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'memory.speed',
    name: 'slower memory',
    b: peerInventory({ memory: { ...a.memory, speedMhz: 2933 } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'memory.vm-capacity',
    name: 'VMs larger than the peer',
    b: peerInventory({ vms: [{ name: 'BIG', state: 'Running', memoryBytes: 220 * 1024 ** 3 }] }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'os.edition',
    name: 'Standard vs Datacenter',
    b: peerInventory({ os: { ...a.os, editionId: 'ServerStandard' } }),
    expect: ['warning', 'warning', 'warning'],
  },
  {
    ruleId: 'os.installation-type',
    name: 'Server Core vs Desktop',
    b: peerInventory({ os: { ...a.os, installationType: 'Server Core' } }),
    expect: ['warning', 'warning', 'warning'],
  },
  {
    ruleId: 'os.hotfixes',
    name: 'a missing update',
    b: peerInventory({ hotfixes: a.hotfixes.slice(1) }),
    expect: ['warning', 'warning', 'blocker'],
  },
  {
    ruleId: 'os.pending-reboot',
    name: 'restart pending on B',
    b: peerInventory({ pendingReboot: { pending: true, reasons: ['Windows Update'] } }),
    expect: ['warning', 'blocker', 'blocker'],
  },
  {
    ruleId: 'os.power-plan',
    name: 'Balanced on B',
    b: peerInventory({ powerPlan: { name: 'Balanced', guid: '381b4222-f694-41f0-9685-ff5bb260df2e' } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'os.locale',
    name: 'another locale',
    b: peerInventory({ os: { ...a.os, locale: 'de-DE' } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'network.link-speed',
    name: '1 GbE sync on B',
    b: peerInventory({
      nics: peerInventory().nics.map((n, i) =>
        i === 0 ? n : { ...n, linkSpeedMbps: n.linkSpeedMbps ? 1000 : 0 },
      ),
    }),
    expect: ['pass', 'warning', 'blocker'],
  },
  {
    ruleId: 'network.business',
    name: 'no gateway on B',
    b: peerInventory({ nics: peerInventory().nics.map((n) => ({ ...n, gateway: '' })) }),
    expect: ['warning', 'warning', 'warning'],
  },
  {
    ruleId: 'network.drivers',
    name: 'another driver',
    b: peerInventory({
      nics: peerInventory().nics.map((n, i) => (i === 0 ? { ...n, driverVersion: '1.12.0.0' } : n)),
    }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'storage.system-free',
    name: 'C: almost full',
    b: peerInventory({ volumes: [{ ...a.volumes[0]!, freeBytes: 5 * 1024 ** 3 }, a.volumes[1]!] }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'storage.capacity',
    name: 'small data volume on B',
    b: peerInventory({
      volumes: [a.volumes[0]!, { ...a.volumes[1]!, sizeBytes: 400 * 1024 ** 3, freeBytes: 300 * 1024 ** 3 }],
    }),
    // Level 1 mirrors no disk: the VMs stay on storage both servers reach.
    expect: ['pass', 'blocker', 'blocker'],
  },
  {
    ruleId: 'storage.disks',
    name: 'SATA data disk on B',
    b: peerInventory({ disks: [a.disks[0]!, { ...a.disks[1]!, model: 'Samsung PM883', busType: 'SATA' }] }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'roles.clustering',
    name: 'Failover Clustering on B',
    b: peerInventory({ roles: { hyperV: true, failoverClustering: true } }),
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'roles.vm-names',
    name: 'the same VM name on both',
    b: peerInventory({ vms: [{ name: 'SQL01', state: 'Off', memoryBytes: 1024 ** 3 }] }),
    expect: ['warning', 'warning', 'warning'],
  },
  {
    ruleId: 'time.skew',
    name: 'five minutes ahead',
    b: peerInventory({ clockOffsetSeconds: 300.2 }),
    expect: ['blocker', 'blocker', 'blocker'],
  },
  {
    ruleId: 'time.skew',
    name: 'a minute ahead',
    b: peerInventory({ clockOffsetSeconds: 60 }),
    expect: ['warning', 'blocker', 'blocker'],
  },
  {
    ruleId: 'time.zone',
    name: 'another time zone',
    b: peerInventory({ os: { ...a.os, timeZone: 'Pacific Standard Time' } }),
    expect: ['warning', 'warning', 'warning'],
  },
  {
    ruleId: 'security.domain',
    name: 'another domain',
    b: peerInventory({ domain: 'FABRIKAM' }),
    expect: ['blocker', 'warning', 'warning'],
  },
  {
    ruleId: 'security.firewall',
    name: 'firewall off on B',
    b: peerInventory({ firewall: { profiles: [{ name: 'Domain', enabled: false }], agentPorts: [] } }),
    expect: ['warning', 'warning', 'warning'],
  },
  {
    ruleId: 'security.agent-ports',
    name: 'agent installed, ports closed',
    b: peerInventory({ agentVersion: '3.2.1' }),
    // Level 1 runs no agent.
    expect: ['pass', 'warning', 'warning'],
  },
  {
    ruleId: 'inventory.hotfixes',
    name: 'updates unreadable on B',
    b: peerInventory({ sectionErrors: { hotfixes: 'Access is denied' } }),
    expect: ['warning', 'blocker', 'blocker'],
  },
  {
    ruleId: 'agent.installed',
    name: 'agent already on B',
    b: peerInventory({ agentVersion: '3.2.1', firewall: { ...a.firewall, agentPorts: [7440, 7441, 7442] } }),
    expect: ['pass', 'pass', 'pass'],
  },
];

describe('verification rules', () => {
  it('pass for every rule on a matched pair, at every level', () => {
    for (const level of [1, 2, 3] as const) {
      const report = verifyPair(a, peerInventory(), level);
      expect(report.findings).toHaveLength(RULES.length);
      expect(RULES.length).toBeGreaterThanOrEqual(25);
      for (const f of report.findings) {
        expect(FindingSchema.parse(f)).toEqual(f);
        expect({ rule: f.ruleId, severity: f.severity }).toEqual({ rule: f.ruleId, severity: 'pass' });
        expect(f.remedy).toBe('');
        expect(f.reason.length).toBeGreaterThan(10);
      }
    }
  });

  it('has unique rule ids', () => {
    const ids = verifyPair(a, peerInventory(), 3).findings.map((f) => f.ruleId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'cpu.vendor',
        'cpu.model',
        'cpu.signature',
        'cpu.cores',
        'cpu.virtualization',
        'cpu.slat',
        'memory.size',
        'os.build',
        'os.ubr',
        'roles.hyperv',
        'agent.installed',
        'network.sync-nics',
      ]),
    );
  });

  describe.each(cases)('$ruleId: $name', (c) => {
    it.each([1, 2, 3] as const)('at level %i', (level: ProtectionLevel) => {
      const report = verifyPair(c.a ?? a, c.b, level);
      const f = report.findings.find((x) => x.ruleId === c.ruleId);
      expect(f?.severity).toBe(c.expect[level - 1]);
      if (f && f.severity !== 'pass') {
        expect(f.remedy.length).toBeGreaterThan(10);
        expect(f.values[0]).not.toBe(f.values[1]);
      }
      // The variation trips this rule only: the others still pass.
      const others = report.findings.filter((x) => x.ruleId !== c.ruleId && x.severity !== 'pass');
      expect(others.map((x) => x.ruleId)).toEqual(c.also ?? []);
    });
  });
});

describe('verifyPair verdicts', () => {
  it('is ready on a matched pair', () => {
    expect(verifyPair(a, peerInventory(), 3)).toMatchObject({
      outcome: 'ready',
      verdict: 'Ready for Level 3',
      level: 3,
    });
  });

  it('counts warnings', () => {
    const b = peerInventory({ os: { ...a.os, ubr: 2700 }, nics: peerInventory().nics.slice(0, 2) });
    expect(verifyPair(a, b, 2)).toMatchObject({
      outcome: 'warnings',
      verdict: 'Ready for Level 2 with 2 warnings',
    });
    expect(verifyPair(a, peerInventory({ os: { ...a.os, ubr: 2700 } }), 1).verdict).toBe(
      'Ready for Level 1 with 1 warning',
    );
  });

  it('counts blockers before warnings', () => {
    const b = peerInventory({
      roles: { hyperV: false, failoverClustering: false },
      os: { ...a.os, ubr: 2700 },
    });
    expect(verifyPair(a, b, 3)).toMatchObject({
      outcome: 'blocked',
      verdict: 'Not ready: 2 blockers',
      blockersByLevel: [1, 1, 2],
    });
    expect(verifyPair(a, peerInventory({ processor: { ...cpu, stepping: 5 } }), 3).verdict).toBe(
      'Ready for Level 2 only — 1 blocker for Level 3',
    );
  });

  it('finds the highest level without a blocker', () => {
    expect(highestReadyLevel(a, peerInventory())).toBe(3);
    expect(highestReadyLevel(a, peerInventory({ processor: { ...cpu, stepping: 5 } }))).toBe(2);
    expect(
      highestReadyLevel(
        a,
        peerInventory({ memory: { totalBytes: 128 * 1024 ** 3, modules: 8, speedMhz: 3200 } }),
      ),
    ).toBe(1);
    expect(
      highestReadyLevel(a, peerInventory({ roles: { hyperV: false, failoverClustering: false } })),
    ).toBeNull();
  });
});

describe('fixes offered by findings', () => {
  it('offers the fix only on the server that needs it', () => {
    const f = verifyPair(
      a,
      peerInventory({ roles: { hyperV: false, failoverClustering: false } }),
      3,
    ).findings.find((x) => x.ruleId === 'roles.hyperv');
    expect(f).toMatchObject({ fixId: 'install-hyperv', fixOn: [1] });
    const off = peerInventory({
      roles: { hyperV: false, failoverClustering: false },
      processor: { ...cpu, virtualizationEnabled: false },
    });
    expect(verifyPair(a, off, 3).findings.find((x) => x.ruleId === 'roles.hyperv')).toMatchObject({
      fixId: null,
      fixOn: [],
    });
  });

  it('offers a missing update only when its package is staged', () => {
    const missing = peerInventory({ hotfixes: a.hotfixes.slice(1) });
    expect(verifyPair(a, missing, 3).findings.find((x) => x.ruleId === 'os.hotfixes')?.fixId).toBeNull();
    const staged = peerInventory({
      hotfixes: a.hotfixes.slice(1),
      updateFiles: [
        { path: 'C:\\ProgramData\\Twinlock\\updates\\windows10.0-kb5041160-x64.msu', kb: 'KB5041160' },
      ],
    });
    expect(verifyPair(a, staged, 3).findings.find((x) => x.ruleId === 'os.hotfixes')).toMatchObject({
      fixId: 'install-hotfix',
      fixOn: [1],
    });
  });
});

describe('sync adapter selection', () => {
  it('keeps the first routable adapter for the business network', () => {
    expect(businessNic(a)?.name).toBe('Ethernet');
    expect(spareNics(a).map((n) => n.name)).toEqual(['Ethernet 2', 'Ethernet 3']);
  });

  it('counts an unaddressed or link-local connected adapter as spare', () => {
    const inv = inventory({
      nics: [
        { ...a.nics[0]!, ipv4: ['169.254.10.1'], name: 'Sync', gateway: '' },
        { ...a.nics[1]!, ipv4: ['10.0.0.21'], name: 'Business' },
        { ...a.nics[2]!, ipv4: [], name: 'Spare' },
      ],
    });
    expect(businessNic(inv)?.name).toBe('Business');
    expect(spareNics(inv).map((n) => n.name)).toEqual(['Sync', 'Spare']);
  });
});
