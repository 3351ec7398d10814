import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import { parseTargets } from '../../../engine/discovery/targets';

function failure(f: () => unknown): TwinlockError {
  try {
    f();
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

describe('parseTargets', () => {
  it('reads addresses, names and address:port, comma or space separated, without duplicates', () => {
    expect(parseTargets('10.0.0.21, hv02.contoso.local 127.0.0.1:2222,10.0.0.21 [::1]:22')).toEqual([
      { address: '10.0.0.21', explicit: true },
      { address: 'hv02.contoso.local', explicit: true },
      { address: '127.0.0.1', port: 2222, explicit: true },
      { address: '::1', port: 22, explicit: true },
    ]);
  });

  it('expands a /24 without its network and broadcast addresses', () => {
    const t = parseTargets('192.168.50.0/24');
    expect(t).toHaveLength(254);
    expect(t[0]).toEqual({ address: '192.168.50.1', explicit: false });
    expect(t.at(-1)?.address).toBe('192.168.50.254');
  });

  it('expands small CIDRs and ranges', () => {
    expect(parseTargets('127.0.0.8/31').map((t) => t.address)).toEqual(['127.0.0.8', '127.0.0.9']);
    expect(parseTargets('10.0.0.5-7').map((t) => t.address)).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect(parseTargets('10.0.0.254-10.0.1.1')).toHaveLength(4);
  });

  it.each([
    ['10.0.0.0/16', 'more than the 256'],
    ['10.0.0.0/33', 'not a valid network'],
    ['10.0.0.9-3', 'empty range'],
    ['bad_name!', 'neither an IP address nor a host name'],
    ['10.0.0.1:70000', 'port outside'],
  ])('refuses %s naming the field', (text, why) => {
    const err = failure(() => parseTargets(text));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^targets: /);
    expect(err.message).toContain(why);
    expect(err.hint).toBeTruthy();
  });
});
