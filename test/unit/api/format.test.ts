import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../engine/api/format';

describe('formatCount', () => {
  it('writes whole numbers as en-US does', () => {
    for (const n of [0, 1, 999, 1000, 65_536, 1_048_576, 16_777_216, -1234])
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => formatCount(n) === n.toLocaleString('en-US')));
  });
});
