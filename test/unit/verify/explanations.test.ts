import { describe, expect, it } from 'vitest';
import { clusterRules } from '../../../engine/verify/cluster';
import { RULE_EXPLANATIONS } from '../../../engine/verify/explanations';
import { RULES, verifyPair } from '../../../engine/verify/verify-pair';
import { inventory, peerInventory } from './inventory-fixture';

describe('why each rule must match', () => {
  it('explains every rule, and nothing that is not a rule', () => {
    const ids = [...RULES, ...clusterRules].map((r) => r.id).sort();
    expect(ids.filter((id) => !RULE_EXPLANATIONS[id])).toEqual([]);
    expect(Object.keys(RULE_EXPLANATIONS).sort()).toEqual(ids);
    for (const [id, text] of Object.entries(RULE_EXPLANATIONS)) {
      // A sentence or three an admin reads at a glance, ending like a sentence.
      expect(text.length, id).toBeGreaterThan(40);
      expect(text.length, id).toBeLessThan(400);
      expect(text, id).toMatch(/[.)]$/);
    }
  });

  it('spells out the jargon the verification rows use', () => {
    expect(RULE_EXPLANATIONS['os.ubr']).toContain('Update Build Revision');
    expect(RULE_EXPLANATIONS['cpu.slat']).toContain('Second Level Address Translation');
    expect(RULE_EXPLANATIONS['cpu.microcode']).toContain('firmware');
    expect(RULE_EXPLANATIONS['cpu.signature']).toMatch(/Family, model and stepping/);
  });

  it('carries the explanation on every finding of a report', () => {
    const { findings } = verifyPair(inventory(), peerInventory(), 3);
    expect(findings.length).toBeGreaterThan(20);
    for (const f of findings) expect(f.explain, f.ruleId).not.toBe('');
  });
});
