/** The lab's link model: cables from the profile (port to port by default), faults, subnets, figures. */
import { afterEach, describe, expect, it } from 'vitest';
import { measureLink } from '../../../lab/agent';
import { linkPath } from '../../../lab/links';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

const labs: OfflineLab[] = [];
afterEach(() => labs.splice(0).forEach((l) => l.dispose()));
const open = (profile: string) => {
  const l = offlineLab(profile);
  labs.push(l);
  return l;
};
const port1 = (l: OfflineLab) => measureLink(l.world, l.hosts[0]!, '10.10.1.21', l.hosts[1]!, '10.10.1.22');
const port2 = (l: OfflineLab) => measureLink(l.world, l.hosts[0]!, '10.10.2.21', l.hosts[1]!, '10.10.2.22');

describe('lab links', () => {
  it('wires same-named adapters port to port by default, and nothing else', () => {
    const l = open('matched-pair');
    const m = port1(l);
    expect(m.up).toBe(true);
    expect(m.mbps).toBeGreaterThan(20_000);
    expect(m.rttMs).toBeLessThan(0.2);
    expect(m.lossPct).toBe(0);
    // SLOT 3 Port 1 on one side, Port 2 on the other: no cable (and another subnet).
    expect(measureLink(l.world, l.hosts[0]!, '10.10.1.21', l.hosts[1]!, '10.10.2.22').up).toBe(false);
  });

  it('follows each profile’s model: slow, lossy, long, uncabled', () => {
    const slow = port1(open('slow-sync-links'));
    expect(slow.mbps).toBeGreaterThan(900);
    expect(slow.mbps).toBeLessThan(1000);
    const lossy = port1(open('lossy-sync-links'));
    expect(lossy.lossPct).toBeGreaterThan(0);
    expect(lossy.mbps).toBeLessThan(9000);
    const long = port1(open('long-latency-sync-links'));
    expect(long.rttMs).toBeGreaterThan(2.5);
    const uncabled = open('uncabled-sync-link');
    expect(port2(uncabled).up).toBe(false);
    expect(port1(uncabled).up).toBe(true);
    const path = linkPath(uncabled.world, uncabled.hosts[0]!, '10.10.2.21', uncabled.hosts[1]!, '10.10.2.22');
    expect(path.up ? '' : path.reason).toMatch(/no cable joins TL-NODE-A's SLOT 3 Port 2/);
  });

  it('gives different figures for different models, the same ones every time for one', () => {
    const figures = ['matched-pair', 'slow-sync-links', 'lossy-sync-links', 'long-latency-sync-links'].map(
      (p) => JSON.stringify(port1(open(p))),
    );
    expect(new Set(figures).size).toBe(figures.length);
    expect(JSON.stringify(port1(open('matched-pair')))).toBe(figures[0]);
  });

  it('cuts one named link with the cutLinks fault, and needs addresses on one subnet', () => {
    const l = open('matched-pair');
    l.hosts[1]!.faults.cutLinks = ['slot 3 port 1'];
    expect(port1(l).up).toBe(false);
    expect(port2(l).up).toBe(true);
    l.hosts[1]!.faults.cutLinks = [];
    const nic = l.hosts[1]!.profile.nics.find((n) => n.name === 'SLOT 3 Port 1')!;
    nic.ipv4 = [{ address: '10.10.9.22', prefixLength: 24 }];
    expect(measureLink(l.world, l.hosts[0]!, '10.10.1.21', l.hosts[1]!, '10.10.9.22').up).toBe(false);
    nic.ipv4 = [{ address: '10.10.1.99', prefixLength: 24 }];
    expect(measureLink(l.world, l.hosts[0]!, '10.10.1.21', l.hosts[1]!, '10.10.1.99').up).toBe(true);
  });
});
