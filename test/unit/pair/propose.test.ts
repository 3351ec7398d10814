import { describe, expect, it } from 'vitest';
import { PairProposalSchema } from '../../../engine/api/models';
import type { TwinlockError } from '../../../engine/api/errors';
import { matchLinks, proposeName, proposePair } from '../../../engine/pair/propose';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const a = inventory();

describe('proposePair', () => {
  it('proposes level 3, two matched sync links, no witness unless one is known, and every VM of the primary', () => {
    const proposal = proposePair(a, peerInventory(), { primary: 's1', secondary: 's2' });
    expect(PairProposalSchema.parse(proposal)).toEqual(proposal);
    expect(proposal.config).toMatchObject({
      name: 'HV-PAIR',
      level: 3,
      primary: 's1',
      secondary: 's2',
      vms: ['SQL01', 'APP01'],
    });
    expect(proposal.config.links).toEqual([
      {
        localNic: 'Ethernet 2',
        remoteNic: 'Ethernet 2',
        localAddress: '192.168.100.1',
        remoteAddress: '192.168.100.2',
        prefixLength: 24,
      },
      {
        localNic: 'Ethernet 3',
        remoteNic: 'Ethernet 3',
        localAddress: '192.168.101.1',
        remoteAddress: '192.168.101.2',
        prefixLength: 24,
      },
    ]);
    // Nothing is guessed: the witness is asked for.
    expect(proposal.config.witness).toBeNull();
    expect(proposal.witnessChosen).toBe(false);
    expect(proposal.witnessSuggestion).toBeNull();
    expect(proposal.levels?.map((l) => [l.level, l.ready])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(proposal.nics[0].map((n) => n.name)).toEqual(['Ethernet 2', 'Ethernet 3']);
    expect(proposal.vms).toHaveLength(2);
  });

  it('prefers adapters off the business address block, falling back to them when nothing else matches', () => {
    const nic = (name: string, ip: string) => ({
      name,
      description: '',
      linkSpeedMbps: 25000,
      status: 'Up',
      mac: '',
      ipv4: [ip],
    });
    const site = (last: string) => [
      nic('Embedded NIC 1', `192.168.50.${last}`),
      nic('Embedded NIC 2', `192.168.60.${last}`),
    ];
    const withSlots = (last: string) => [
      ...site(last),
      nic('SLOT 3 Port 1', `10.10.1.${last}`),
      nic('SLOT 3 Port 2', `10.10.2.${last}`),
    ];
    const full = proposePair(inventory({ nics: withSlots('21') }), peerInventory({ nics: withSlots('22') }), {
      primary: 's1',
      secondary: 's2',
    });
    expect(full.config.links.map((l) => l.localNic)).toEqual(['SLOT 3 Port 1', 'SLOT 3 Port 2']);
    expect(full.nics[0].map((n) => n.name)).toEqual(['Embedded NIC 2', 'SLOT 3 Port 1', 'SLOT 3 Port 2']);
    const siteOnly = proposePair(inventory({ nics: site('21') }), peerInventory({ nics: site('22') }), {
      primary: 's1',
      secondary: 's2',
    });
    expect(siteOnly.config.links.map((l) => l.localNic)).toEqual(['Embedded NIC 2']);
  });

  it('falls back to the highest ready level', () => {
    const b = peerInventory({ processor: { ...a.processor, stepping: 5 } });
    expect(proposePair(a, b, { primary: 's1', secondary: 's2' }).config.level).toBe(2);
  });

  it('offers a witness only when one is known to exist, still as not chosen', () => {
    const known = { kind: 'file-share' as const, address: '\\\\TL-WITNESS\\twinlock-witness' };
    const p = proposePair(
      inventory({ domain: 'WORKGROUP' }),
      peerInventory(),
      { primary: 's1', secondary: 's2' },
      { witnessSuggestion: known },
    );
    expect(p.config.witness).toEqual(known);
    expect(p.witnessSuggestion).toEqual(known);
    expect(p.witnessChosen).toBe(false);
  });

  it('says per level why it is not ready', () => {
    const b = peerInventory({ processor: { ...a.processor, stepping: 5 } });
    const levels = proposePair(a, b, { primary: 's1', secondary: 's2' }).levels!;
    expect(levels.map((l) => l.ready)).toEqual([true, true, false]);
    expect(levels[2]!.blockers.length).toBeGreaterThan(0);
    expect(levels[2]!.reasons.join(' ')).toMatch(/HV-A: .*6.*HV-B: .*5/);
  });

  it('proposes VM and adapter names exactly as inventoried, leaving out those no server field can hold', () => {
    const vm = (name: string) => ({ name, state: 'Running', memoryBytes: 1024 });
    const nic = (name: string, ip: string) => ({
      name,
      description: '',
      linkSpeedMbps: 25000,
      status: 'Up',
      mac: '',
      ipv4: [ip],
    });
    const nics = (last: string) => [
      ...a.nics.slice(0, 1),
      nic(' Sync 1 ', `10.10.1.${last}`),
      nic('Sync\n2', `10.10.2.${last}`),
    ];
    const proposal = proposePair(
      inventory({ vms: [vm(' x '), vm('x'), vm('bad\u0000name')], nics: nics('21') }),
      peerInventory({ nics: nics('22') }),
      { primary: 's1', secondary: 's2' },
    );
    expect(PairProposalSchema.parse(proposal)).toEqual(proposal);
    expect(proposal.config.vms).toEqual([' x ', 'x']);
    expect(proposal.config.links).toEqual([
      {
        localNic: ' Sync 1 ',
        remoteNic: ' Sync 1 ',
        localAddress: '10.10.1.21',
        remoteAddress: '10.10.1.22',
        prefixLength: 24,
      },
    ]);
    // Every VM found is still shown.
    expect(proposal.vms.map((v) => v.name)).toEqual([' x ', 'x', 'bad\u0000name']);
  });

  it('refuses when no spare adapters match', () => {
    const b = peerInventory({ nics: peerInventory().nics.slice(0, 1) });
    let err: TwinlockError | undefined;
    try {
      proposePair(a, b, { primary: 's1', secondary: 's2' });
    } catch (e) {
      err = e as TwinlockError;
    }
    expect(err?.code).toBe('incompatible');
  });
});

describe('matchLinks', () => {
  const nic = (name: string, speed: number, ip: string) => ({
    name,
    description: '',
    linkSpeedMbps: speed,
    status: 'Up',
    mac: '',
    ipv4: ip ? [ip] : [],
  });

  it('pairs adapters of the same speed, preferring the same subnet over the same name', () => {
    const links = matchLinks(
      [
        nic('Port 1', 25000, '10.10.1.21'),
        nic('Port 2', 25000, '10.10.2.21'),
        nic('Slow', 1000, '10.10.3.21'),
      ],
      [
        nic('Port 1', 25000, '10.10.2.22'),
        nic('Port 2', 25000, '10.10.1.22'),
        nic('Fast', 10000, '10.10.3.22'),
      ],
    );
    expect(links).toEqual([
      { localNic: 'Port 1', remoteNic: 'Port 2', localAddress: '10.10.1.21', remoteAddress: '10.10.1.22' },
      { localNic: 'Port 2', remoteNic: 'Port 1', localAddress: '10.10.2.21', remoteAddress: '10.10.2.22' },
    ]);
  });

  it('matches adapters without an address (or with APIPA only) by speed and name, leaving their addresses to the plan', () => {
    expect(
      matchLinks(
        [nic('B', 1000, ''), nic('A', 1000, '169.254.7.1')],
        [nic('A', 1000, ''), nic('B', 1000, '10.0.0.2')],
      ),
    ).toEqual([
      { localNic: 'A', remoteNic: 'A' },
      { localNic: 'B', remoteNic: 'B' },
    ]);
    expect(matchLinks([nic('A', 1000, '')], [nic('A', 10000, '')])).toEqual([]);
  });
});

describe('proposeName', () => {
  it.each([
    ['TL-NODE-A', 'TL-NODE-B', 'TL-NODE-PAIR'],
    ['HV01', 'HV02', 'HV-PAIR'],
    ['SQL2019-A', 'SQL2019-B', 'SQL2019-PAIR'],
    ['01', '02', 'PAIR-01'],
    ['ALPHA', 'BRAVO', 'PAIR-01'],
    ['sql-a', 'sql-b', 'SQL-PAIR'],
  ])('%s + %s → %s', (x, y, name) => {
    expect(proposeName(x, y)).toBe(name);
  });
});
