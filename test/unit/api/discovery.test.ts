/** The scan's shared rules (engine/api/rules.ts) agree with the contract's schema. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCAN_PORTS, SCAN_LIMITS } from '../../../engine/api/rules';
import { ScanRequestSchema } from '../../../engine/api/models';

describe('the scan rules', () => {
  it('holds the bounds ScanRequestSchema enforces, no wider and no narrower', () => {
    for (const [field, { min, max }] of Object.entries(SCAN_LIMITS)) {
      const scan = (value: number) =>
        ScanRequestSchema.safeParse({ targets: '10.0.0.1', [field]: value }).success;
      expect([scan(min), scan(max)], field).toEqual([true, true]);
      expect([scan(min - 1), scan(max + 1)], field).toEqual([false, false]);
    }
  });

  it('names the default ports, each one a port the schema takes', () => {
    expect(DEFAULT_SCAN_PORTS).toEqual([22, 5985, 5986, 445, 3389]);
    expect(ScanRequestSchema.safeParse({ targets: 'x', ports: [...DEFAULT_SCAN_PORTS] }).success).toBe(true);
  });
});
