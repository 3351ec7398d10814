/**
 * A fleet lab's pairs (lab/fleet.ts): each the first two hosts of its profile under names and
 * addresses of its own, its cables renamed with it; and the fleet file written from them, read
 * back by the engine's own fleet-file reader.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFleet } from '../../../engine/fleet/fleet-file';
import { measureLink } from '../../../lab/agent';
import { ScriptCatalogue } from '../../../lab/catalogue';
import { newClustering, newDirectory } from '../../../lab/cluster';
import { LabClock } from '../../../lab/clock';
import { fleetPair, fleetYaml, labPairComputerNames, labPairName, writeFleetFile } from '../../../lab/fleet';
import type { LabPairInfo } from '../../../lab/fleet';
import { LabHost } from '../../../lab/host';
import { loadProfile } from '../../../lab/profile';
import type { LabWorld } from '../../../lab/world';

const dir = mkdtempSync(join(tmpdir(), 'twinlock-fleet-lab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const addresses = (h: { nics: Array<{ name: string; ipv4: Array<{ address: string }> }> }) =>
  Object.fromEntries(h.nics.map((n) => [n.name, n.ipv4.map((i) => i.address)]));

describe('fleetPair', () => {
  it('names pair n LAB-Pnn with servers TL-Pnn-A and TL-Pnn-B, NetBIOS names for 50 pairs', () => {
    expect(labPairName(0)).toBe('LAB-P01');
    expect(labPairName(49)).toBe('LAB-P50');
    expect(labPairComputerNames(6)).toEqual(['TL-P07-A', 'TL-P07-B']);
    for (let i = 0; i < 50; i++)
      for (const n of labPairComputerNames(i)) expect(n).toMatch(/^[A-Za-z0-9-]{1,15}$/);
  });

  it('keeps the profile’s addresses for the first pair, and gives each later one its own', () => {
    const profile = loadProfile({ profile: 'matched-pair' });
    const first = fleetPair(profile, 0);
    expect(first.hosts.map((h) => h.computerName)).toEqual(['TL-P01-A', 'TL-P01-B']);
    expect(addresses(first.hosts[0])).toEqual(addresses(profile.hosts[0]!));
    expect(first.hosts[0].nics.map((n) => n.mac)).toEqual(profile.hosts[0]!.nics.map((n) => n.mac));

    const third = fleetPair(profile, 2);
    // Sync links (10.x) in subnets of their own; the management LAN shared, each server its own address.
    expect(addresses(third.hosts[0])).toEqual({
      'Embedded NIC 1': ['192.168.50.25'],
      'Embedded NIC 2': ['192.168.60.25'],
      'SLOT 3 Port 1': ['10.12.1.21'],
      'SLOT 3 Port 2': ['10.12.2.21'],
    });
    expect(addresses(third.hosts[1])['SLOT 3 Port 1']).toEqual(['10.12.1.22']);
    expect(addresses(third.hosts[1])['Embedded NIC 1']).toEqual(['192.168.50.26']);
    expect(third.hosts[0].nics[0]!.mac).toBe('B0-7B-25-12-0A-01');
    // Everything else is the profile's: hardware, OS, VMs.
    expect(third.hosts[0].vms).toEqual(profile.hosts[0]!.vms);
    expect(third.hosts[1].processor).toEqual(profile.hosts[1]!.processor);
    // The profile is not changed.
    expect(profile.hosts[0]!.computerName).toBe('TL-NODE-A');

    const all = Array.from({ length: 50 }, (_, i) => fleetPair(profile, i)).flatMap((p) =>
      p.hosts.flatMap((h) => h.nics.flatMap((n) => n.ipv4.map((ip) => ip.address))),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  it('renames the profile’s cables with its servers: an uncabled port stays uncabled in every pair', () => {
    const profile = loadProfile({ profile: 'uncabled-sync-link' });
    const pair = fleetPair(profile, 4);
    expect(pair.links.map((l) => l.ends.map((e) => e.computerName))).toEqual([['TL-P05-A', 'TL-P05-B']]);
    const hosts = pair.hosts.map((hp) => new LabHost(hp, join(dir, hp.computerName, 'C'), 'pw'));
    const world: LabWorld = {
      clock: new LabClock(6000),
      catalogue: new ScriptCatalogue(),
      hosts,
      address: '127.0.0.1',
      latencyMs: 0,
      links: pair.links,
      clustering: newClustering(newDirectory('contoso.local', true)),
    };
    const [a, b] = [hosts[0]!, hosts[1]!];
    const ip = (h: LabHost, nic: string) => h.profile.nics.find((n) => n.name === nic)!.ipv4[0]!.address;
    expect(measureLink(world, a, ip(a, 'SLOT 3 Port 1'), b, ip(b, 'SLOT 3 Port 1')).up).toBe(true);
    expect(measureLink(world, a, ip(a, 'SLOT 3 Port 2'), b, ip(b, 'SLOT 3 Port 2')).up).toBe(false);
  });

  it('leaves a route outside 10.0.0.0/8 as the profile has it (the proposal steers clear of it in every pair)', () => {
    const profile = loadProfile({ profile: 'direct-cables' });
    const routes = fleetPair(profile, 3).hosts[0].nics.flatMap((n) => n.routes);
    expect(routes).toEqual(profile.hosts[0]!.nics.flatMap((n) => n.routes));
  });
});

const pair = (i: number): LabPairInfo => ({
  name: labPairName(i),
  profile: 'matched-pair',
  primary: {
    computerName: labPairComputerNames(i)[0],
    address: `127.0.0.${11 + 2 * i}`,
    port: 22,
    fingerprint: `SHA256:${String.fromCharCode(65 + i).repeat(43)}`,
  },
  secondary: {
    computerName: labPairComputerNames(i)[1],
    address: `127.0.0.${12 + 2 * i}`,
    port: 22,
    fingerprint: `SHA256:${String.fromCharCode(97 + i).repeat(43)}`,
  },
  vms: i === 1 ? ['SQL01'] : ['SQL01', 'APP01'],
});

describe('the fleet file of a lab', () => {
  it('is the YAML the README shows: bundle relative to the file, user, pairs with pinned keys and VMs', () => {
    const text = fleetYaml(
      { pairs: [pair(0)], user: 'Administrator', bundle: join(dir, 'PAIR-01.twinlock.json') },
      dir,
    );
    expect(text).toContain('bundle: ./PAIR-01.twinlock.json\n');
    expect(text).toContain('user: Administrator\n');
    expect(text).toContain('  - name: LAB-P01\n    primary: 127.0.0.11:22\n    secondary: 127.0.0.12:22\n');
    expect(text).toContain(
      `    fingerprints: { primary: SHA256:${'A'.repeat(43)}, secondary: SHA256:${'a'.repeat(43)} }\n`,
    );
    expect(text).toContain('    vms: [ SQL01, APP01 ]\n');
  });

  it('reads back through the engine’s fleet reader as the same pairs, with no password in it', async () => {
    const pairs = [pair(0), pair(1), pair(2)];
    const bundle = join(dir, 'bundles', 'PAIR-01.twinlock.json');
    const file = writeFleetFile(join(dir, 'fleets', 'lab-fleet.yaml'), {
      pairs,
      user: 'Administrator',
      bundle,
    });
    expect(readFileSync(file, 'utf8')).toContain('bundle: ../bundles/PAIR-01.twinlock.json');
    const fleet = await readFleet({ path: file });
    expect(fleet.bundle).toBe(bundle);
    expect(fleet.user).toBe('Administrator');
    expect(
      fleet.pairs.map((p) => ({ name: p.name, primary: p.primary, secondary: p.secondary, vms: p.vms })),
    ).toEqual(
      pairs.map((p) => ({
        name: p.name,
        primary: { address: p.primary.address, port: 22, fingerprint: p.primary.fingerprint },
        secondary: { address: p.secondary.address, port: 22, fingerprint: p.secondary.fingerprint },
        vms: p.vms,
      })),
    );
    expect(readFileSync(file, 'utf8')).not.toMatch(/password:/i);
  });

  it('leaves the bundle out when none is named (the run then takes --bundle)', async () => {
    const file = writeFleetFile(join(dir, 'no-bundle.yaml'), { pairs: [pair(0)], user: 'Administrator' });
    expect(readFileSync(file, 'utf8')).not.toContain('bundle:');
    expect((await readFleet({ path: file })).bundle).toBeNull();
  });
});
