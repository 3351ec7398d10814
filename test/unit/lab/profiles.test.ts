import { describe, expect, it } from 'vitest';
import { driveSegments } from '../../../lab/files';
import { expandHosts, loadProfile, parseProfile, profileNames } from '../../../lab/profile';

describe('lab profiles', () => {
  it('bundles the matched pair and mismatches, all valid', () => {
    const names = profileNames();
    expect(names).toEqual(
      expect.arrayContaining([
        'matched-pair',
        'stepping-mismatch',
        'no-hyper-v',
        'ubr-mismatch',
        'uneven-pair',
      ]),
    );
    for (const name of names) expect(loadProfile({ profile: name }).hosts.length).toBeGreaterThanOrEqual(2);
  });

  it('matched-pair: two identical Server 2022 hosts with Hyper-V, spare NICs, VMs on the first', () => {
    const [a, b] = loadProfile({}).hosts;
    expect(a!.computerName).toBe('TL-NODE-A');
    expect(b!.computerName).toBe('TL-NODE-B');
    for (const h of [a!, b!]) {
      expect(h.os).toMatchObject({
        build: 20348,
        ubr: 2762,
        caption: 'Microsoft Windows Server 2022 Datacenter',
      });
      expect(h.processor).toMatchObject({
        name: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
        family: 6,
        model: 106,
        stepping: 6,
      });
      expect(h.memory.totalGiB).toBe(512);
      expect(h.roles.hyperV).toBe(true);
      expect(h.nics).toHaveLength(4);
      expect(h.nics.filter((n) => n.ipv4.some((ip) => ip.address.startsWith('10.10.')))).toHaveLength(2);
    }
    expect(a!.vms.length).toBeGreaterThanOrEqual(2);
    expect(b!.vms).toEqual([]);
  });

  it('mismatch profiles differ where their names say', () => {
    expect(loadProfile({ profile: 'stepping-mismatch' }).hosts[1]!.processor.stepping).not.toBe(6);
    expect(loadProfile({ profile: 'no-hyper-v' }).hosts[1]!.roles.hyperV).toBe(false);
    expect(loadProfile({ profile: 'ubr-mismatch' }).hosts[1]!.os.ubr).not.toBe(2762);
  });

  it('names the field of an invalid profile', () => {
    const base = { name: 'x', hosts: [{ computerName: 'BAD NAME' }] };
    expect(() => parseProfile(base)).toThrow(/host 1/);
  });

  it('adds hosts beyond the profile with new names and addresses', () => {
    const hosts = expandHosts(loadProfile({}), 3);
    expect(hosts.map((h) => h.computerName)).toEqual(['TL-NODE-A', 'TL-NODE-B', 'TL-NODE-C']);
    expect(hosts[2]!.nics[2]!.ipv4[0]!.address).toBe('10.10.1.23');
    expect(hosts[2]!.nics[0]!.mac).not.toBe(hosts[1]!.nics[0]!.mac);
  });
});

describe('C: drive paths', () => {
  it('maps SFTP and Windows paths and refuses escapes', () => {
    expect(driveSegments('/C:/ProgramData/Twinlock')).toEqual(['ProgramData', 'Twinlock']);
    expect(driveSegments('C:\\ProgramData\\Twinlock\\x.msi')).toEqual(['ProgramData', 'Twinlock', 'x.msi']);
    expect(driveSegments('x.txt')).toEqual(['Users', 'Administrator', 'x.txt']);
    expect(driveSegments('/C:/a/../b')).toEqual(['b']);
    expect(driveSegments('/C:/../etc/passwd')).toBeNull();
    expect(driveSegments('/D:/data')).toBeNull();
  });
});
