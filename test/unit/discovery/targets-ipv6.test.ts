import ipaddr from 'ipaddr.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import { HARD_MAX_TARGETS, MAX_TARGETS, parseTargets, planTargets } from '../../../engine/discovery/targets';

function failure(f: () => unknown): TwinlockError {
  try {
    f();
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

const addresses = (text: string) => parseTargets(text).map((t) => t.address);

/** An IPv6 address as a BigInt, computed here independently of the engine's helpers. */
const big = (text: string) =>
  BigInt(
    `0x${ipaddr.IPv6.parse(text)
      .toNormalizedString()
      .split(':')
      .map((p) => p.padStart(4, '0'))
      .join('')}`,
  );
/** The canonical text of a BigInt address, via ipaddr.js. */
const text6 = (n: bigint) =>
  ipaddr.IPv6.parse(
    n
      .toString(16)
      .padStart(32, '0')
      .replace(/(.{4})(?!$)/g, '$1:'),
  ).toString();

describe('IPv6 networks', () => {
  it('expands a network in the canonical compressed form, without the Subnet-Router anycast address', () => {
    const t = parseTargets('fd00::/120');
    expect(t).toHaveLength(255);
    expect(t[0]).toEqual({ address: 'fd00::1', explicit: false });
    expect(t.at(-1)).toEqual({ address: 'fd00::ff', explicit: false });
    expect(addresses('2001:db8::a00/120').slice(0, 2)).toEqual(['2001:db8::a01', '2001:db8::a02']);
    expect(addresses('2001:0DB8:0:0:0:0:0:0A00/126')).toEqual([
      '2001:db8::a01',
      '2001:db8::a02',
      '2001:db8::a03',
    ]);
  });

  it('masks the host bits of the address, as for IPv4', () => {
    expect(addresses('fd00::17/124')).toEqual(addresses('fd00::10/124'));
    expect(addresses('fd00::10/124')[0]).toBe('fd00::11');
  });

  it('keeps both addresses of a /127 and the one of a /128', () => {
    expect(addresses('fd00::/127')).toEqual(['fd00::', 'fd00::1']);
    expect(addresses('fd00::5/128')).toEqual(['fd00::5']);
  });

  it('formats addresses per RFC 5952 (longest zero run compressed, lower case)', () => {
    expect(addresses('2001:db8:0:0:1:0:0:0/126')).toEqual([
      '2001:db8::1:0:0:1',
      '2001:db8::1:0:0:2',
      '2001:db8::1:0:0:3',
    ]);
    expect(addresses('2001:db8:0:1:0:0:0:0/127')).toEqual(['2001:db8:0:1::', '2001:db8:0:1::1']);
    expect(addresses('2001:db8:0:1:1:1:1:0/127')).toEqual(['2001:db8:0:1:1:1:1:0', '2001:db8:0:1:1:1:1:1']);
  });

  it('reads an IPv4-mapped network as the IPv4 network it maps', () => {
    expect(addresses('::ffff:10.0.0.0/126')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(addresses('::ffff:10.0.0.0/120 10.0.0.0/24')).toHaveLength(254);
  });

  it('leaves out excluded addresses and networks, in any spelling', () => {
    const t = addresses('fd00::/120 !fd00::5 !FD00:0:0::10/124 !fd00::80/121');
    expect(t).toHaveLength(255 - 1 - 16 - 128);
    expect(t).not.toContain('fd00::5');
    expect(t).not.toContain('fd00::1f');
    expect(t).toContain('fd00::20');
    expect(t.at(-1)).toBe('fd00::7f');
    expect(addresses('fd00::/120 !fd00::/64 hv01')).toEqual(['hv01']);
  });

  it('probes an address typed alone once, as typed, even inside a network', () => {
    const plan = planTargets('fd00::7 fd00::/126 FD00:0::7 fd00::2 [fd00::2]:2222 fd00::8');
    expect(plan.count).toBe(6);
    expect([...plan]).toEqual([
      { address: 'fd00::7', explicit: true },
      { address: 'fd00::2', explicit: true },
      { address: 'fd00::2', port: 2222, explicit: true },
      { address: 'fd00::8', explicit: true },
      { address: 'fd00::1', explicit: false },
      { address: 'fd00::3', explicit: false },
    ]);
  });

  it('excludes a whole network, its all-zeros address included', () => {
    expect(addresses('fd00::/120 !fd00::10/124')).not.toContain('fd00::10');
    expect(failure(() => planTargets('fd00::10 !fd00::/120')).message).toContain('leave nothing');
  });

  it('excludes a typed IPv6 address by a network, but keeps a zone-scoped one', () => {
    expect(addresses('fd00::5 fd00::6 fd00::7 !fd00::4/127')).toEqual(['fd00::6', 'fd00::7']);
    expect(addresses('fe80::5%eth0 hv01 !fe80::/120')).toEqual(['fe80::5%eth0', 'hv01']);
  });

  it('mixes IPv4 and IPv6, IPv4 ranges walked first, and counts exactly', () => {
    const plan = planTargets('fd00::/126 10.0.0.0/30 hv01 fd00::2 !10.0.0.1');
    expect([...plan].map((t) => t.address)).toEqual(['hv01', 'fd00::2', '10.0.0.2', 'fd00::1', 'fd00::3']);
    expect(plan.count).toBe(5);
  });

  it('accepts a /112 and refuses more unless allowed, and never a /64', () => {
    expect(planTargets('fd00::/112').count).toBe(MAX_TARGETS - 1);
    const err = failure(() => planTargets('fd00::/111'));
    expect(err.message).toBe(
      'targets: “fd00::/111” is an IPv6 network covering 131,071 addresses, more than the 65,536 a scan may cover.',
    );
    expect(err.hint).toContain('/112 or smaller');
    expect(err.detail).toMatchObject({ tooLarge: true, addresses: 131_071 });
    expect(planTargets('fd00::/111', { allowLarge: true }).count).toBe(2 ** 17 - 1);
    expect(planTargets('fd00::/104', { allowLarge: true }).count).toBe(HARD_MAX_TARGETS - 1);
    const huge = failure(() => planTargets('fd00::/103', { allowLarge: true }));
    expect(huge.message).toContain('more than the 16,777,216');
    expect(huge.hint).toContain('/104 or smaller');
    expect(huge.detail?.tooLarge).toBe(false);
    expect(failure(() => planTargets('fd00::/112 fd00:1::/112')).message).toContain('adds up to 131,070');
  });

  it('says how large a /64 is, as a power of two, and what to type instead', () => {
    const err = failure(() => planTargets('fd00::/64'));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toBe(
      'targets: “fd00::/64” is an IPv6 network covering 2^64 addresses, more than the 65,536 a scan may cover.',
    );
    expect(err.hint).toMatch(
      /^Type the servers’ addresses, e\.g\. fd00::21 fd00::22, or scan a \/112 or smaller, e\.g\. fd00::\/112\./,
    );
    expect(err.detail).toMatchObject({ field: 'targets', token: 'fd00::/64', tooLarge: false });
    expect(JSON.stringify(err.detail)).toBeTruthy();
    expect(failure(() => planTargets('::/0', { allowLarge: true })).message).toContain('2^128 addresses');
  });

  it('walks a /112 lazily', () => {
    const plan = planTargets('2001:db8::/112');
    const it = plan[Symbol.iterator]();
    expect(it.next().value).toEqual({ address: '2001:db8::1', explicit: false });
    let n = 1;
    while (!it.next().done) n++;
    expect(n).toBe(plan.count);
  });

  it.each([
    ['fe80::%eth0/120', 'has a zone id (“%eth0”)'],
    ['fe80::/120%eth0', 'has a zone id'],
    ['[fd00::]/120', 'without brackets'],
    ['fd00:::/120', 'not an IPv6 address'],
    ['fd00::/129', 'prefix outside /0–/128'],
    ['fd00::/', 'prefix outside /0–/128'],
    ['fd00::/-1', 'prefix outside /0–/128'],
    ['fd00::/64', '2^64 addresses'],
    ['!fd00::%eth0/120', '“!fd00::%eth0/120”'],
    ['fd00::/128 !fd00::/120', 'leave nothing'],
  ])('refuses %s naming the token, with an example', (text, why) => {
    const err = failure(() => parseTargets(text));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^targets: /);
    expect(`${err.message} ${err.hint}`).toContain(why);
    expect(err.hint).toMatch(/e\.g\./);
    expect(err.detail?.field).toBe('targets');
  });
});

describe('IPv6 network properties', () => {
  const MAPPED = 0xffffn << 32n;
  /** A network address outside ::ffff:0:0/96 (which reads as IPv4), with room above it for exclusions. */
  const address = fc.bigInt({ min: 0n, max: 2n ** 128n - 2n ** 20n }).filter((n) => n >> 32n !== 0xffffn);
  /** The same address as an admin might type it: canonical, full, or upper case. */
  const spell = (n: bigint, style: number) => {
    const ip = ipaddr.IPv6.parse(text6(n));
    return style === 0 ? ip.toString() : style === 1 ? ip.toNormalizedString() : ip.toString().toUpperCase();
  };
  const style = fc.integer({ min: 0, max: 2 });

  it('a network /112–/128 less random exclusions yields exactly count distinct addresses, inside, none excluded, ascending', () => {
    fc.assert(
      fc.property(
        address,
        fc.integer({ min: 112, max: 128 }),
        fc.array(
          fc.record({
            offset: fc.bigInt({ min: 0n, max: 2n ** 16n - 1n }),
            prefix: fc.integer({ min: 110, max: 128 }),
            style,
          }),
          { maxLength: 5 },
        ),
        (base, prefix, exclusions) => {
          const size = 1n << BigInt(128 - prefix);
          const first = base - (base % size);
          const last = first + size - 1n;
          const excluded: Array<[bigint, bigint]> = exclusions.map(({ offset, prefix: p }) => {
            const s = 1n << BigInt(128 - p);
            const a = first + (offset % (size * 4n)) - size; // around the network, sometimes outside it
            const start = ((a < 0n ? 0n : a) / s) * s;
            return [start, start + s - 1n];
          });
          const text = [
            `${spell(base, 0)}/${prefix}`,
            ...exclusions.map(({ prefix: p, style: st }, i) =>
              p === 128 ? `!${spell(excluded[i]![0], st)}` : `!${spell(excluded[i]![0], st)}/${p}`,
            ),
          ].join(' ');
          const isExcluded = (n: bigint) => excluded.some(([a, b]) => n >= a && n <= b);
          let expected = 0n;
          for (let n = prefix < 127 ? first + 1n : first; n <= last; n++) if (!isExcluded(n)) expected++;
          if (expected === 0n) {
            expect(failure(() => planTargets(text)).message).toContain('leave nothing');
            return;
          }
          const plan = planTargets(text);
          expect(BigInt(plan.count)).toBe(expected);
          // Plain checks per address (an expect per address would take minutes), one expect at the end.
          const wrong: string[] = [];
          let previous = -1n;
          let walked = 0;
          for (const t of plan) {
            const n = big(t.address);
            if (walked % 61 === 0 && t.address !== text6(n)) wrong.push(`${t.address} is not canonical`);
            if (t.explicit) wrong.push(`${t.address} is explicit`);
            if (n <= previous) wrong.push(`${t.address} is out of order`);
            if (n < first || n > last) wrong.push(`${t.address} is outside the network`);
            if (prefix < 127 && n === first) wrong.push(`${t.address} is the Subnet-Router anycast address`);
            if (isExcluded(n)) wrong.push(`${t.address} is excluded`);
            previous = n;
            walked++;
          }
          expect(wrong.slice(0, 5)).toEqual([]);
          expect(walked).toBe(plan.count);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('addresses typed alone inside a network are probed once, as typed, and the count stays exact', () => {
    fc.assert(
      fc.property(
        address,
        fc.integer({ min: 116, max: 128 }),
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 12n - 1n }), style), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 12n - 1n }), { maxLength: 3 }),
        fc.constantFrom(' ', ',', ';', '\n'),
        (base, prefix, singles, exclusions, sep) => {
          const size = 1n << BigInt(128 - prefix);
          const first = base - (base % size);
          const walkFirst = prefix < 127 ? first + 1n : first;
          const typed = singles.map(([o, st]) => ({ n: first + (o % (size * 2n)), st }));
          const out = exclusions.map((o) => first + (o % (size * 2n)));
          const text = [
            ...typed.map(({ n, st }) => spell(n, st)),
            `${text6(base)}/${prefix}`,
            '10.0.0.1',
            ...out.map((n) => `!${text6(n)}`),
          ].join(sep);
          const gone = new Set(out);
          const expected = new Set<bigint>();
          for (const { n } of typed) if (!gone.has(n)) expected.add(n);
          for (let n = walkFirst; n < first + size; n++) if (!gone.has(n)) expected.add(n);
          const plan = planTargets(text);
          const got = [...plan].filter((t) => t.address !== '10.0.0.1');
          expect(plan.count).toBe(got.length + 1);
          const values = got.map((t) => big(t.address));
          expect(new Set(values).size).toBe(values.length);
          expect(new Set(values)).toEqual(expected);
          // Typed addresses come first, in the order typed, marked explicit.
          const explicit = got.filter((t) => t.explicit).map((t) => big(t.address));
          expect(explicit).toEqual([...new Set(typed.map(({ n }) => n))].filter((n) => !gone.has(n)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a network inside ::ffff:0:0/96 is the IPv4 network it maps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 120, max: 128 }),
        (v4, prefix) => {
          const dotted = ipaddr
            .fromByteArray([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255])
            .toString();
          expect(addresses(`${text6(MAPPED | BigInt(v4))}/${prefix}`)).toEqual(
            addresses(`${dotted}/${prefix - 96}`),
          );
        },
      ),
    );
  });
});
