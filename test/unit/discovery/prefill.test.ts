import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { labTargets, workstationTargets } from '../../../engine/discovery/prefill';
import { planTargets } from '../../../engine/discovery/targets';

const v4 = (address: string, netmask: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask,
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: null,
});

describe('prefill', () => {
  it('offers the workstation’s IPv4 networks, at most a /24 each, without loopback or link-local', () => {
    const targets = workstationTargets({
      lo: [v4('127.0.0.1', '255.0.0.0', true)],
      eth0: [
        v4('10.20.30.40', '255.255.0.0'),
        { ...v4('fe80::1', 'ffff:ffff:ffff:ffff::'), family: 'IPv6', scopeid: 1 },
      ],
      eth1: [v4('192.168.1.77', '255.255.255.192'), v4('169.254.10.2', '255.255.0.0')],
      eth2: [v4('10.20.30.41', '255.255.255.0')],
    });
    expect(targets).toEqual(['10.20.30.0/24', '192.168.1.64/26']);
    for (const t of targets) expect(planTargets(t).count).toBeLessThanOrEqual(254);
  });

  it('offers the lab as a range when its servers sit on consecutive addresses on port 22', () => {
    expect(
      labTargets([
        { address: '127.0.0.11', port: 22 },
        { address: '127.0.0.12', port: 22 },
      ]),
    ).toBe('127.0.0.11-12');
    expect(
      labTargets([
        { address: '127.0.0.1', port: 40001 },
        { address: '127.0.0.1', port: 40002 },
      ]),
    ).toBe('127.0.0.1:40001, 127.0.0.1:40002');
    expect(labTargets([])).toBe('');
  });
});
