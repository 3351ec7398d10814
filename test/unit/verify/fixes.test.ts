import { describe, expect, it } from 'vitest';
import { FixIdSchema } from '../../../engine/api/models';
import { planFix } from '../../../engine/verify/fixes';
import { RULES } from '../../../engine/verify/verify-pair';
import { FIX_SCRIPT_NAMES } from '../../../engine/remote/scripts';
import { inventory, peerInventory } from './inventory-fixture';

const a = inventory();

describe('fixes', () => {
  it('every fix a rule offers exists, and every fix has a rule', () => {
    const offered = new Set(RULES.map((r) => r.fixId).filter((f) => f !== null));
    expect([...offered].sort()).toEqual([...FixIdSchema.options].sort());
  });

  it('plans each fix as a catalogued script with data parameters', () => {
    const b = peerInventory({
      hotfixes: a.hotfixes.slice(1),
      updateFiles: [
        { path: 'C:\\ProgramData\\Twinlock\\updates\\windows10.0-kb5041160-x64.msu', kb: 'KB5041160' },
      ],
    });
    for (const fixId of FixIdSchema.options) {
      const plan = planFix(fixId, { target: b, peer: a, peerAddress: '10.0.0.21' });
      expect([...FIX_SCRIPT_NAMES, 'restart-host']).toContain(plan.scriptName);
      expect(plan.description).toContain('HV-B');
      expect(JSON.parse(JSON.stringify(plan.params))).toEqual(plan.params);
    }
    expect(planFix('install-hotfix', { target: b, peer: a, peerAddress: null }).params).toEqual({
      paths: ['C:\\ProgramData\\Twinlock\\updates\\windows10.0-kb5041160-x64.msu'],
    });
    expect(planFix('install-hyperv', { target: b, peer: a, peerAddress: null })).toMatchObject({
      needsReboot: true,
      params: { name: 'Hyper-V' },
    });
    expect(planFix('open-agent-ports', { target: b, peer: a, peerAddress: null }).params).toEqual({
      group: 'Twinlock Agent',
      ports: [7440, 7441, 7442],
    });
  });

  it('takes time from the domain, or from the peer in a workgroup', () => {
    expect(planFix('resync-time', { target: a, peer: null, peerAddress: null }).params).toEqual({
      source: '',
    });
    const wg = inventory({ partOfDomain: false, domain: 'WORKGROUP' });
    expect(planFix('resync-time', { target: wg, peer: a, peerAddress: '10.0.0.21' }).params).toEqual({
      source: '10.0.0.21',
    });
  });

  it('refuses an update fix without a staged package', () => {
    expect(() =>
      planFix('install-hotfix', { target: peerInventory({ hotfixes: [] }), peer: a, peerAddress: null }),
    ).toThrow(
      expect.objectContaining({ code: 'not-found', message: expect.stringMatching(/no staged update/) }),
    );
  });
});
