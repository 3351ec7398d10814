import { describe, expect, it } from 'vitest';
import type { HostInventory, SyncLink } from '../../../engine/api/models';
import type { TwinlockError } from '../../../engine/api/errors';
import {
  DEFAULT_LINK_RANGE,
  checkLinkAddresses,
  parseLinkRange,
  proposeLinkAddresses,
} from '../../../engine/pair/addresses';
import { proposePair } from '../../../engine/pair/propose';
import { inventory, peerInventory } from '../verify/inventory-fixture';

/** Two servers with two unaddressed 25 Gbit/s ports each and a full routing table. */
function direct(extraRoutes: HostInventory['routes'] = [], peerRoutes: HostInventory['routes'] = []) {
  const base = inventory();
  const nics = (last: string) => [
    { ...base.nics[0]!, ipv4: [`10.0.0.${last}`] },
    { ...base.nics[1]!, ipv4: [] },
    { ...base.nics[2]!, ipv4: [] },
  ];
  const routes = (last: string) => [
    { destinationPrefix: '0.0.0.0/0', nextHop: '10.0.0.1', interfaceAlias: 'Ethernet' },
    { destinationPrefix: '10.0.0.0/24', nextHop: '0.0.0.0', interfaceAlias: 'Ethernet' },
    { destinationPrefix: `10.0.0.${last}/32`, nextHop: '0.0.0.0', interfaceAlias: 'Ethernet' },
    { destinationPrefix: '127.0.0.0/8', nextHop: '0.0.0.0', interfaceAlias: 'Loopback Pseudo-Interface 1' },
  ];
  return [
    inventory({ nics: nics('21'), routes: [...routes('21'), ...extraRoutes] }),
    peerInventory({ nics: nics('22'), routes: [...routes('22'), ...peerRoutes] }),
  ] as const;
}

const link = (localAddress: string, remoteAddress: string, prefixLength?: number): SyncLink => ({
  localNic: 'Ethernet 2',
  remoteNic: 'Ethernet 2',
  localAddress,
  remoteAddress,
  ...(prefixLength !== undefined ? { prefixLength } : {}),
});

describe('proposeLinkAddresses', () => {
  it('gives unaddressed links one /30 each from the default range, .1 on the primary, .2 on the secondary', () => {
    const [a, b] = direct();
    const p = proposePair(a, b, { primary: 's1', secondary: 's2' });
    expect(p.linkRange).toBe(DEFAULT_LINK_RANGE);
    expect(p.config.links).toEqual([
      {
        localNic: 'Ethernet 2',
        remoteNic: 'Ethernet 2',
        localAddress: '172.30.0.1',
        remoteAddress: '172.30.0.2',
        prefixLength: 30,
      },
      {
        localNic: 'Ethernet 3',
        remoteNic: 'Ethernet 3',
        localAddress: '172.30.0.5',
        remoteAddress: '172.30.0.6',
        prefixLength: 30,
      },
    ]);
    // What it proposes passes its own checks.
    expect(checkLinkAddresses(p.config, [a, b])).toEqual([]);
  });

  it('skips subnets that overlap a route or an address on either server', () => {
    const [a, b] = direct(
      [{ destinationPrefix: '172.30.0.0/29', nextHop: '10.0.0.1', interfaceAlias: 'Ethernet' }],
      [{ destinationPrefix: '172.30.0.8/32', nextHop: '10.0.0.1', interfaceAlias: 'Ethernet' }],
    );
    expect(proposeLinkAddresses(2, DEFAULT_LINK_RANGE, [a, b])).toEqual([
      { localAddress: '172.30.0.13', remoteAddress: '172.30.0.14', prefixLength: 30 },
      { localAddress: '172.30.0.17', remoteAddress: '172.30.0.18', prefixLength: 30 },
    ]);
    const busy = peerInventory({ nics: [...b.nics, { ...b.nics[1]!, name: 'Other', ipv4: ['10.99.0.1'] }] });
    delete (busy as { routes?: unknown }).routes;
    // Without a routing table an address counts as its whole /24.
    expect(proposeLinkAddresses(1, '10.99.0.0/23', [a, busy])[0]!.localAddress).toBe('10.99.1.1');
  });

  it('takes the admin’s range, and refuses a bad one naming linkRange', () => {
    const [a, b] = direct();
    expect(
      proposePair(a, b, { primary: 's1', secondary: 's2' }, { linkRange: '10.254.3.0/24' }).config.links[0],
    ).toMatchObject({ localAddress: '10.254.3.1', remoteAddress: '10.254.3.2' });
    const refused = (range: string) => {
      try {
        proposePair(a, b, { primary: 's1', secondary: 's2' }, { linkRange: range });
      } catch (err) {
        return err as TwinlockError;
      }
      throw new Error(`${range} was accepted`);
    };
    for (const [range, words] of [
      ['172.30.0.0', 'not an IPv4 range'],
      ['300.1.1.0/24', 'not an IPv4 range'],
      ['8.8.8.0/24', 'not a private range'],
      ['172.30.0.5/24', 'did you mean 172.30.0.0/24'],
      ['172.30.0.0/31', 'too small'],
      ['172.30.0.0/30', 'room for 1 link subnet'],
    ] as const) {
      const err = refused(range);
      expect(err.code, range).toBe('invalid-input');
      expect(err.detail?.field, range).toBe('linkRange');
      expect(err.message, range).toContain(words);
    }
    expect(parseLinkRange('192.168.0.0/16')).toHaveProperty('block');
  });
});

describe('checkLinkAddresses', () => {
  const [a, b] = direct([
    { destinationPrefix: '192.168.77.0/24', nextHop: '10.0.0.1', interfaceAlias: 'Ethernet' },
  ]);
  const issues = (links: SyncLink[], inv = [a, b] as const) =>
    checkLinkAddresses({ links }, inv).map((i) => [i.field, i.severity, i.message]);

  it('accepts a free private pair at its prefix', () => {
    expect(issues([link('172.30.0.1', '172.30.0.2', 30)])).toEqual([]);
    expect(issues([link('192.168.5.1', '192.168.5.2')])).toEqual([]);
  });

  it('refuses what is not an address, the same address on both ends, and ends in different subnets', () => {
    expect(issues([link('ten', '172.30.0.2')])).toEqual([
      ['links.0.localAddress', 'error', expect.stringContaining('is not an IP address')],
    ]);
    expect(issues([link('172.30.0.1', '172.30.0.1', 30)])).toEqual([
      ['links.0.remoteAddress', 'error', expect.stringContaining("the primary's end of this link")],
    ]);
    expect(issues([link('172.30.0.1', '172.30.0.5', 30)])).toEqual([
      [
        'links.0.remoteAddress',
        'error',
        expect.stringContaining("not in the subnet of the primary's end 172.30.0.1 (172.30.0.0/30)"),
      ],
    ]);
    expect(issues([link('172.30.0.0', '172.30.0.2', 30)])[0]).toEqual([
      'links.0.localAddress',
      'error',
      expect.stringContaining('network address of 172.30.0.0/30'),
    ]);
    expect(issues([link('172.30.0.1', '172.30.0.2', 31)])[0]![0]).toBe('links.0.prefixLength');
  });

  it('refuses a subnet that collides with an address or a route on either server, naming the server', () => {
    expect(issues([link('192.168.77.5', '192.168.77.6')])).toEqual([
      [
        'links.0.localAddress',
        'error',
        expect.stringContaining('overlaps route 192.168.77.0/24 via "Ethernet" on HV-A'),
      ],
    ]);
    expect(issues([link('10.0.0.50', '10.0.0.51')])).toEqual([
      [
        'links.0.localAddress',
        'error',
        expect.stringContaining('overlaps route 10.0.0.0/24 via "Ethernet" on HV-A'),
      ],
      [
        'links.0.remoteAddress',
        'error',
        expect.stringContaining('overlaps route 10.0.0.0/24 via "Ethernet" on HV-B'),
      ],
    ]);
    expect(issues([link('10.0.0.22', '10.0.0.23')])[0]).toEqual([
      'links.0.localAddress',
      'error',
      expect.stringContaining('10.0.0.22 is already in use on HV-B by "Ethernet"'),
    ]);
  });

  it('refuses two links in one subnet, and warns about public and link-local subnets', () => {
    const second = {
      ...link('172.30.0.1', '172.30.0.2', 29),
      localNic: 'Ethernet 3',
      remoteNic: 'Ethernet 3',
    };
    expect(issues([link('172.30.0.5', '172.30.0.6', 30), second])).toEqual([
      ['links.1.localAddress', 'error', expect.stringContaining('overlaps the subnet of sync link 1')],
    ]);
    expect(issues([link('100.64.0.1', '100.64.0.2', 30)])).toEqual([
      ['links.0.localAddress', 'warning', expect.stringContaining('outside the private ranges')],
    ]);
    expect(issues([link('169.254.3.1', '169.254.3.2', 30)])).toEqual([
      ['links.0.localAddress', 'warning', expect.stringContaining('link-local')],
    ]);
  });
});
