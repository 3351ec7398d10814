import { describe, expect, it } from 'vitest';
import { classifyMsiExit } from '../../../engine/agent/msi-exit';

describe('classifyMsiExit', () => {
  it.each([
    [0, { kind: 'success', rebootRequired: false, rebootStarted: false }],
    [3010, { kind: 'success', rebootRequired: true, rebootStarted: false }],
    [1641, { kind: 'success', rebootRequired: true, rebootStarted: true }],
    [1618, { kind: 'retry' }],
    [1638, { kind: 'upgrade' }],
  ])('%i → %o', (code, action) => {
    expect(classifyMsiExit(code)).toEqual(action);
  });

  it.each([1603, 1602, 1619, 1620, 1625, 1633, 1, 42, 2203])('%i fails with a reason and a hint', (code) => {
    const action = classifyMsiExit(code);
    expect(action.kind).toBe('fail');
    if (action.kind === 'fail') {
      expect(action.reason).toContain(String(code));
      expect(action.hint.length).toBeGreaterThan(20);
    }
  });
});
