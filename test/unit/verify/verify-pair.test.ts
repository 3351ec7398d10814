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
  { ruleId: 'cpu.vendor', name: 'AMD vs Intel', b: peerInventory({ processor: { ...cpu, vendor: 'AuthenticAMD' } }), expect: ['warning', 'blocker', 'blocker'] },
  { ruleId: 'cpu.model', name: 'another brand string', b: peerInventory({ processor: { ...cpu, name: 'Intel(R) Xeon(R) Gold 6342 CPU @ 2.80GHz' } }), expect: ['warning', 'warning', 'blocker'] },
  { ruleId: 'cpu.signature', name: 'another stepping', b: peerInventory({ processor: { ...cpu, stepping: 5 } }), expect: ['pass', 'warning', 'blocker'] },
  { ruleId: 'cpu.cores', name: 'fewer cores', b: peerInventory({ processor: { ...cpu, cores: 56, threads: 112 } }), expect: ['warning', 'warning', 'blocker'] },
  { ruleId: 'cpu.virtualization', name: 'VT-x off on B', b: peerInventory({ processor: { ...cpu, virtualizationEnabled: false } }), expect: ['blocker', 'blocker', 'blocker'] },
  { ruleId: 'cpu.slat', name: 'no SLAT on B', b: peerInventory({ processor: { ...cpu, slat: false } }), expect: ['blocker', 'blocker', 'blocker'] },
  { ruleId: 'memory.size', name: '192 GB vs 256 GB', b: peerInventory({ memory: { totalBytes: 192 * 1024 ** 3, modules: 12 } }), expect: ['warning', 'blocker', 'blocker'] },
  { ruleId: 'memory.size', name: 'within 1%', b: peerInventory({ memory: { totalBytes: 256 * 1024 ** 3 * 0.995, modules: 16 } }), expect: ['pass', 'pass', 'pass'] },
  { ruleId: 'os.build', name: '2019 vs 2022', b: peerInventory({ os: { ...a.os, caption: 'Microsoft Windows Server 2019 Datacenter', build: 17763 } }), expect: ['blocker', 'blocker', 'blocker'], also: ['os.ubr'] },
  { ruleId: 'os.ubr', name: 'an older cumulative update', b: peerInventory({ os: { ...a.os, ubr: 2700 } }), expect: ['warning', 'warning', 'blocker'] },
  { ruleId: 'roles.hyperv', name: 'Hyper-V missing on B', b: peerInventory({ roles: { hyperV: false, failoverClustering: false } }), expect: ['blocker', 'blocker', 'blocker'] },
  { ruleId: 'roles.hyperv', name: 'Hyper-V missing on A', a: inventory({ roles: { hyperV: false, failoverClustering: false } }), b: peerInventory(), expect: ['blocker', 'blocker', 'blocker'] },
  { ruleId: 'network.sync-nics', name: 'no spare adapter on B', b: peerInventory({ nics: peerInventory().nics.slice(0, 1) }), expect: ['blocker', 'blocker', 'blocker'] },
  { ruleId: 'network.sync-nics', name: 'one spare adapter on B', b: peerInventory({ nics: peerInventory().nics.slice(0, 2) }), expect: ['warning', 'warning', 'warning'] },
  { ruleId: 'agent.installed', name: 'agent already on B', b: peerInventory({ agentVersion: '3.2.1' }), expect: ['pass', 'pass', 'pass'] },
];

describe('verification rules', () => {
  it('pass for every rule on a matched pair, at every level', () => {
    for (const level of [1, 2, 3] as const) {
      const report = verifyPair(a, peerInventory(), level);
      expect(report.findings).toHaveLength(RULES.length);
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
        'cpu.vendor', 'cpu.model', 'cpu.signature', 'cpu.cores', 'cpu.virtualization', 'cpu.slat',
        'memory.size', 'os.build', 'os.ubr', 'roles.hyperv', 'agent.installed', 'network.sync-nics',
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
    expect(verifyPair(a, peerInventory(), 3)).toMatchObject({ outcome: 'ready', verdict: 'Ready for Level 3', level: 3 });
  });

  it('counts warnings', () => {
    const b = peerInventory({ os: { ...a.os, ubr: 2700 }, nics: peerInventory().nics.slice(0, 2) });
    expect(verifyPair(a, b, 2)).toMatchObject({ outcome: 'warnings', verdict: 'Ready for Level 2 with 2 warnings' });
    expect(verifyPair(a, peerInventory({ os: { ...a.os, ubr: 2700 } }), 1).verdict).toBe('Ready for Level 1 with 1 warning');
  });

  it('counts blockers before warnings', () => {
    const b = peerInventory({ roles: { hyperV: false, failoverClustering: false }, os: { ...a.os, ubr: 2700 } });
    expect(verifyPair(a, b, 3)).toMatchObject({ outcome: 'blocked', verdict: 'Not ready for Level 3: 2 blockers' });
    expect(verifyPair(a, peerInventory({ processor: { ...cpu, stepping: 5 } }), 3).verdict).toBe(
      'Not ready for Level 3: 1 blocker',
    );
  });

  it('finds the highest level without a blocker', () => {
    expect(highestReadyLevel(a, peerInventory())).toBe(3);
    expect(highestReadyLevel(a, peerInventory({ processor: { ...cpu, stepping: 5 } }))).toBe(2);
    expect(highestReadyLevel(a, peerInventory({ memory: { totalBytes: 128 * 1024 ** 3, modules: 8 } }))).toBe(1);
    expect(highestReadyLevel(a, peerInventory({ roles: { hyperV: false, failoverClustering: false } }))).toBeNull();
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
        { ...a.nics[0]!, ipv4: ['169.254.10.1'], name: 'Sync' },
        { ...a.nics[1]!, ipv4: ['10.0.0.21'], name: 'Business' },
        { ...a.nics[2]!, ipv4: [], name: 'Spare' },
      ],
    });
    expect(businessNic(inv)?.name).toBe('Business');
    expect(spareNics(inv).map((n) => n.name)).toEqual(['Sync', 'Spare']);
  });
});
