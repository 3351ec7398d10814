import { describe, expect, it } from 'vitest';
import { HostAddressSchema, PairConfigSchema, PairStateSchema, ScanRequestSchema } from '../../../engine/api';
import {
  PAIR_NAME_MESSAGES,
  PAIR_STATES,
  PORT_RANGE_MESSAGE,
  bundleFileName,
  endpointId,
  isBundleFileName,
  hostNameProblem,
  isPairState,
  pairNameProblem,
  parsePort,
  parsePorts,
} from '../../../engine/api/rules';

describe('ports', () => {
  it('reads a port as typed and refuses, never clamps, one out of range', () => {
    expect(parsePort('22')).toBe(22);
    expect(parsePort(' 2222 ')).toBe(2222);
    expect(parsePort('65535')).toBe(65535);
    for (const text of ['0', '70000', '65536', '-1', '22x', '', '2.5', '1e3'])
      expect(parsePort(text)).toBeNull();
  });

  it('reads a list of ports once each, or says which token is no port', () => {
    expect(parsePorts('')).toEqual([]);
    expect(parsePorts('22, 5985 22  445')).toEqual([22, 5985, 445]);
    expect(parsePorts('22, 70000')).toBe(
      '“70000” is not a TCP port: use numbers from 1 to 65535, for example 22, 5985, 445.',
    );
    expect(parsePorts('0')).toMatch(/“0” is not a TCP port/);
    expect(parsePorts(Array.from({ length: 65 }, (_, i) => String(i + 1)).join(' '))).toBe(
      'Probe at most 64 ports at a time.',
    );
  });

  it('is the contract’s rule: 0 and 70000 are refused with the range message', () => {
    for (const port of [0, 70000, 22.5]) {
      const parsed = HostAddressSchema.safeParse({ address: 'srv-a', port });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.message)).toEqual([PORT_RANGE_MESSAGE]);
      const scan = ScanRequestSchema.safeParse({ targets: 'srv-a', ports: [22, port] });
      expect(scan.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
        ['ports.1', PORT_RANGE_MESSAGE],
      ]);
    }
    expect(HostAddressSchema.parse({ address: 'srv-a', port: 65535 }).port).toBe(65535);
  });
});

describe('endpointId', () => {
  it('names an endpoint address:port, in lower case, an IPv6 address in brackets', () => {
    expect(endpointId({ address: '10.0.0.21', port: 22 })).toBe('10.0.0.21:22');
    expect(endpointId({ address: 'HV-A.Contoso.local', port: 2222 })).toBe('hv-a.contoso.local:2222');
    expect(endpointId({ address: 'FD00::21', port: 22 })).toBe('[fd00::21]:22');
    expect(endpointId({ address: '[fd00::21]', port: 22 })).toBe('[fd00::21]:22');
  });
});

describe('host names', () => {
  it('refuses an empty, padded, too long or slashed name with a sentence', () => {
    expect(hostNameProblem('srv-a')).toBeNull();
    expect(hostNameProblem('fd00::21')).toBeNull();
    expect(hostNameProblem('')).toMatch(/^Enter the server’s name/);
    expect(hostNameProblem(' 10.0.0.24')).toBe(
      'The server name starts or ends with a space: host names and IP addresses have no spaces. Remove it.',
    );
    expect(hostNameProblem('srv a')).toMatch(/^The server name has a space in it/);
    expect(hostNameProblem('a/b')).toMatch(/^A host name has no slashes/);
    // Typed on a full-width keyboard: the plain form to type instead, not "no spaces or slashes".
    expect(hostNameProblem('ＳＲＶ－Ａ０１')).toBe(
      '“ＳＲＶ－Ａ０１” is typed in full-width characters. Type it in plain letters and digits: SRV-A01',
    );
    expect(hostNameProblem('サーバー01')).toBe(
      '“サ” (U+30B5) cannot be in a host name: use the server’s IP address, or its DNS name in letters a–z, digits, dots and dashes (an international name in its xn-- form).',
    );
    expect(hostNameProblem('srv#1')).toBe(
      '“#” (U+0023) cannot be in a host name: use letters, digits, dots and dashes, or the server’s IP address.',
    );
    expect(hostNameProblem('a'.repeat(254))).toBe('A host name is at most 253 characters.');
  });
});

describe('pair names', () => {
  it('gives the first problem in the contract’s own words', () => {
    expect(pairNameProblem('PAIR-01')).toBeNull();
    expect(pairNameProblem('')).toBe(PAIR_NAME_MESSAGES.missing);
    expect(pairNameProblem('PAIR-01 ')).toBe(PAIR_NAME_MESSAGES.edgeSpace);
    // Said, not cut: 45 characters are refused with the count.
    expect(pairNameProblem('x'.repeat(45))).toBe('The pair name is 45 characters: keep it to 40.');
    expect(pairNameProblem('-bad')).toBe(
      `“-” (U+002D) cannot be in a pair name. ${PAIR_NAME_MESSAGES.characters}`,
    );
    expect(pairNameProblem('MÜNCHEN-PAIR')).toBe(
      `“Ü” (U+00DC) cannot be in a pair name. ${PAIR_NAME_MESSAGES.characters}`,
    );
    expect(PAIR_NAME_MESSAGES.characters).toContain('A–Z (without accents)');
    for (const name of ['', 'PAIR-01 ', 'x'.repeat(41), '-bad']) {
      const parsed = PairConfigSchema.shape.name.safeParse(name);
      expect(parsed.error?.issues.map((i) => i.message)).toContain(pairNameProblem(name));
    }
  });
});

describe('pair states', () => {
  it('are the contract’s enum', () => {
    expect(PairStateSchema.options).toEqual([...PAIR_STATES]);
    expect(isPairState('protected')).toBe(true);
    expect(isPairState('links')).toBe(false);
  });
});

describe('bundle file names', () => {
  it('offers one extension, which Windows Explorer can associate', () => {
    expect(bundleFileName('PAIR-01')).toBe('PAIR-01.twinlock');
    expect(isBundleFileName(bundleFileName('PAIR-01'))).toBe(true);
  });

  it('knows the earlier .twinlock.json names too, in any case and inside a path', () => {
    for (const name of ['a.twinlock', 'C:\\Bundles\\A.TWINLOCK', '/srv/b.twinlock.json', 'c.Twinlock.Json'])
      expect(isBundleFileName(name), name).toBe(true);
    for (const name of [
      'a.json',
      'a.twinlock.bak',
      'twinlock',
      '/home/admin/.twinlock',
      '.twinlock.json',
      'C:\\x\\',
    ])
      expect(isBundleFileName(name), name).toBe(false);
  });
});
