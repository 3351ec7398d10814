import { describe, expect, it } from 'vitest';
import { psArray, psBool, psDate, psNumber, psString, psText } from '../../../engine/inventory/ps-json';

describe('PowerShell 5.1 JSON readers', () => {
  it('psArray: null, one object, an array, a {value, Count} wrapper, a failed section', () => {
    expect(psArray(null)).toEqual([]);
    expect(psArray({ a: 1 })).toEqual([{ a: 1 }]);
    expect(psArray([{ a: 1 }, { a: 2 }])).toHaveLength(2);
    expect(psArray({ value: [{ a: 1 }], Count: 1 })).toEqual([{ a: 1 }]);
    expect(psArray({ error: 'Access denied' })).toEqual([]);
  });

  it('psDate: /Date(ms)/, escaped, with offset, as an object, ISO, garbage', () => {
    expect(psDate('/Date(1764427812345)/')).toBe('2025-11-29T14:50:12.345Z');
    expect(psDate('\\/Date(1764427812345)\\/')).toBe('2025-11-29T14:50:12.345Z');
    expect(psDate('/Date(1764427812345+0100)/')).toBe('2025-11-29T14:50:12.345Z');
    expect(psDate({ value: '/Date(0)/', DisplayHint: 2 })).toBe('1970-01-01T00:00:00.000Z');
    expect(psDate('2025-11-29T14:50:12Z')).toBe('2025-11-29T14:50:12.000Z');
    expect(psDate('soon')).toBeNull();
    expect(psDate(12)).toBeNull();
  });

  it('psNumber, psBool, psString', () => {
    expect(psNumber('549755813888')).toBe(549755813888);
    expect(psNumber('n/a', 7)).toBe(7);
    expect(psBool('True')).toBe(true);
    expect(psBool(0)).toBe(false);
    // Names are kept exactly as reported; only descriptive WMI text is trimmed.
    expect(psString('  padded  ')).toBe('  padded  ');
    expect(psText('Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz   ')).toBe(
      'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    );
    expect(psString({})).toBe('');
  });
});
