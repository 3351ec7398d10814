import { describe, expect, it } from 'vitest';
import { TwinlockError, isTwinlockErrorData, toErrorData } from '../../engine/api/errors';

describe('TwinlockError', () => {
  it('crosses boundaries as plain data and is recognised by code', () => {
    const err = new TwinlockError({
      code: 'auth-failed',
      message: 'The server refused the password.',
      hint: 'Check it.',
    });
    const data = JSON.parse(JSON.stringify(err.toData()));
    expect(isTwinlockErrorData(data)).toBe(true);
    expect(data).toEqual({
      code: 'auth-failed',
      message: 'The server refused the password.',
      hint: 'Check it.',
    });
  });

  it('turns unexpected errors into internal errors without a stack', () => {
    const data = toErrorData(new TypeError('x is undefined'), 'the inventory');
    expect(data.code).toBe('internal');
    expect(data.message).toContain('during the inventory');
    expect(JSON.stringify(data)).not.toContain('at ');
  });

  it('rejects unknown codes', () => {
    expect(isTwinlockErrorData({ code: 'nope', message: 'x' })).toBe(false);
  });
});
