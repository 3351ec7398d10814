import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import {
  MAX_TARGETS,
  checkTargets,
  intToIpv4,
  ipv4ToInt,
  parseTargets,
  planTargets,
} from '../../../engine/discovery/targets';

function failure(f: () => unknown): TwinlockError {
  try {
    f();
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

const addresses = (text: string) => parseTargets(text).map((t) => t.address);
const ipv4 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const separator = fc.constantFrom(' ', ',', ', ', ';', '\n', '\t', ' ,  ');

describe('parseTargets', () => {
  it('reads addresses, names and address:port, comma or space separated, without duplicates', () => {
    expect(parseTargets('10.0.0.21, hv02.contoso.local 127.0.0.1:2222,10.0.0.21 [::1]:22')).toEqual([
      { address: '10.0.0.21', explicit: true },
      { address: 'hv02.contoso.local', explicit: true },
      { address: '127.0.0.1', port: 2222, explicit: true },
      { address: '::1', port: 22, explicit: true },
    ]);
  });

  it('reads IPv6 literals in their canonical form', () => {
    expect(addresses('fd00:0:0:0::21 FE80::1%eth0 ::ffff:10.0.0.5')).toEqual([
      'fd00::21',
      'fe80::1%eth0',
      '10.0.0.5',
    ]);
  });

  it('expands a /24 without its network and broadcast addresses', () => {
    const t = parseTargets('192.168.50.0/24');
    expect(t).toHaveLength(254);
    expect(t[0]).toEqual({ address: '192.168.50.1', explicit: false });
    expect(t.at(-1)?.address).toBe('192.168.50.254');
  });

  it('expands small CIDRs and both range forms', () => {
    expect(addresses('127.0.0.8/31')).toEqual(['127.0.0.8', '127.0.0.9']);
    expect(addresses('10.0.0.5-7')).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect(addresses('10.0.0.254-10.0.1.1')).toEqual(['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    expect(planTargets('10.0.0.10-10.0.1.20').count).toBe(256 - 10 + 21);
  });

  it('leaves out exclusions of every form', () => {
    expect(addresses('10.0.0.1-10 !10.0.0.1 !10.0.0.4-6 !10.0.0.8/31')).toEqual([
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.7',
      '10.0.0.10',
    ]);
    expect(addresses('hv01 hv02 !HV01 fd00::1 !fd00::1')).toEqual(['hv02']);
  });

  it('excludes a whole network, its network and broadcast addresses included', () => {
    const t = addresses('10.0.0.0/23 !10.0.1.0/24');
    expect(t).toHaveLength(255);
    expect(t.at(-1)).toBe('10.0.0.255');
  });

  it('probes an address typed alone as typed, once, even inside a range', () => {
    const t = parseTargets('10.0.0.1-3 10.0.0.2');
    expect(t).toEqual([
      { address: '10.0.0.2', explicit: true },
      { address: '10.0.0.1', explicit: false },
      { address: '10.0.0.3', explicit: false },
    ]);
  });

  it('accepts a /16 and refuses more unless allowed', () => {
    expect(planTargets('10.1.0.0/16').count).toBe(65_534);
    const err = failure(() => planTargets('10.0.0.0/15'));
    expect(err.message).toContain('“10.0.0.0/15”');
    expect(err.message).toContain('65,536');
    expect(planTargets('10.0.0.0/15', { allowLarge: true }).count).toBe(2 ** 17 - 2);
    expect(failure(() => planTargets('10.1.0.0/16 10.2.0.0/16')).message).toContain('adds up to 131,068');
    expect(failure(() => planTargets('0.0.0.0/0', { allowLarge: true })).code).toBe('invalid-input');
  });

  it('walks a /16 lazily', () => {
    const plan = planTargets('10.7.0.0/16');
    const it = plan[Symbol.iterator]();
    expect(it.next().value).toEqual({ address: '10.7.0.1', explicit: false });
    let n = 1;
    while (!it.next().done) n++;
    expect(n).toBe(plan.count);
  });

  it.each([
    ['10.0.0.0/33', 'prefix'],
    ['10.0.0.300/24', 'not an IPv4 address'],
    ['10.0.0.9-3', 'empty range'],
    ['10.0.0.1-300', 'past 255'],
    ['10.0.0.1-', 'not a valid range'],
    ['10.0.0.256', 'not an IPv4 address'],
    ['bad_name!', 'neither an IP address nor a host name'],
    ['10.0.0.1:70000', 'port outside'],
    ['fd00::/64', 'IPv6 network'],
    ['fd00:::1', 'not a valid IPv6 address'],
    ['!', 'excludes nothing'],
    ['10.0.0.1 !', 'excludes nothing'],
  ])('refuses %s naming the token, with an example', (text, why) => {
    const err = failure(() => parseTargets(text));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^targets: /);
    expect(err.message).toContain(why);
    // An example of the form this token was meant to be (the whole list only for a token of no form).
    expect(err.hint).toMatch(/\d/);
    if (!why.includes('neither')) expect(err.hint).not.toMatch(/ or a range \(10\.0\.0\.10-60\)/);
    expect(err.detail?.field).toBe('targets');
  });

  it('lists every form only for a token that is none of them', () => {
    const err = failure(() => parseTargets('srv#1'));
    expect(err.message).toBe('targets: “srv#1” is neither an IP address nor a host name.');
    expect(err.hint).toContain('a network (10.0.0.0/24, fd00::/120) or a range (10.0.0.10-60)');
  });

  it('refuses an empty list and a list excluded away', () => {
    expect(failure(() => parseTargets(' , ;')).message).toContain('at least one');
    expect(failure(() => parseTargets('10.0.0.1 !10.0.0.0/24')).message).toContain('leave nothing');
  });

  it('checks without expanding, for inline validation', () => {
    expect(checkTargets('10.0.0.0/16')).toEqual({ count: 65_534 });
    expect((checkTargets('10.0.0.0/8') as TwinlockError).code).toBe('invalid-input');
  });
});

describe('parseTargets properties', () => {
  it('a range a-b yields exactly the addresses from a to b, in order', () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 0, max: 600 }), (a, len) => {
        const b = Math.min(a + len, 2 ** 32 - 1);
        const t = parseTargets(`${intToIpv4(a)}-${intToIpv4(b)}`);
        expect(t).toHaveLength(b - a + 1);
        t.forEach((x, i) => expect(ipv4ToInt(x.address)).toBe(a + i));
      }),
    );
  });

  it('a CIDR yields its block (less network and broadcast above /31), all inside it', () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 20, max: 32 }), (a, prefix) => {
        const plan = planTargets(`${intToIpv4(a)}/${prefix}`);
        const size = 2 ** (32 - prefix);
        expect(plan.count).toBe(size > 2 ? size - 2 : size);
        const base = Math.floor(a / size) * size;
        for (const t of plan) {
          const n = ipv4ToInt(t.address);
          expect(n).toBeGreaterThanOrEqual(base);
          expect(n).toBeLessThan(base + size);
        }
      }),
    );
  });

  it('the count always matches the walk, without duplicates, and never includes an exclusion', () => {
    const token = fc.oneof(
      ipv4.map((n) => ({ text: intToIpv4(n), set: [n] })),
      fc.tuple(ipv4, fc.integer({ min: 0, max: 40 })).map(([n, len]) => {
        const last = Math.min(n + len, 2 ** 32 - 1);
        return {
          text: `${intToIpv4(n)}-${intToIpv4(last)}`,
          set: Array.from({ length: last - n + 1 }, (_, i) => n + i),
        };
      }),
    );
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 1, maxLength: 6 }),
        fc.array(token, { maxLength: 3 }),
        separator,
        (include, exclude, sep) => {
          const text = [...include.map((t) => t.text), ...exclude.map((t) => `!${t.text}`)].join(sep);
          const excluded = new Set(exclude.flatMap((t) => t.set));
          const expected = new Set(include.flatMap((t) => t.set).filter((n) => !excluded.has(n)));
          if (expected.size === 0) {
            expect(failure(() => planTargets(text)).code).toBe('invalid-input');
            return;
          }
          const plan = planTargets(text);
          const got = [...plan].map((t) => ipv4ToInt(t.address));
          expect(got.length).toBe(plan.count);
          expect(new Set(got)).toEqual(expected);
        },
      ),
    );
  });

  it('separators do not matter', () => {
    fc.assert(
      fc.property(fc.array(ipv4, { minLength: 1, maxLength: 8 }), separator, (ns, sep) => {
        const list = ns.map(intToIpv4);
        expect(addresses(list.join(sep))).toEqual([...new Set(list)]);
      }),
    );
  });

  it('any input either parses or fails with invalid-input naming a token', () => {
    const alphabet = fc.constantFrom(...'0123456789.-/:![],; abcxyz%_'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((cs) => cs.join('')),
        (text) => {
          try {
            const plan = planTargets(text);
            expect(plan.count).toBeGreaterThan(0);
            expect(plan.count).toBeLessThanOrEqual(MAX_TARGETS);
          } catch (err) {
            expect(err).toBeInstanceOf(TwinlockError);
            expect((err as TwinlockError).code).toBe('invalid-input');
            expect((err as TwinlockError).message).toMatch(/^targets: /);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names survive a round trip', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 2, maxLength: 4 }), (labels) => {
        const name = labels.join('.');
        // A name whose last label is all digits reads as an address or a range (and no TLD is).
        fc.pre(/[a-z]/.test(labels.at(-1)!));
        expect(addresses(name)).toEqual([name]);
        expect(parseTargets(`${name}:2222`)).toEqual([{ address: name, port: 2222, explicit: true }]);
      }),
    );
  });
});
