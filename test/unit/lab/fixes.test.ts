import { afterEach, describe, expect, it } from 'vitest';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

let lab: OfflineLab | null = null;
afterEach(() => lab?.dispose());

describe('lab fix scripts', () => {
  it('adds Hyper-V at the next restart, and refuses it with virtualization off', async () => {
    lab = offlineLab('no-hyper-v');
    const b = lab.hosts[1]!;
    expect(await lab.run(b, 'fix-install-feature', { name: 'Hyper-V' })).toMatchObject({
      success: true,
      restartNeeded: 'Yes',
    });
    expect(b.profile.roles.hyperV).toBe(false);
    expect(b.pendingReboot).toBe(true);
    for (const apply of b.onNextBoot.splice(0)) apply();
    expect(b.profile.roles.hyperV).toBe(true);
    await expect(lab.run(b, 'fix-install-feature', { name: 'Web-Server' })).rejects.toThrow(
      /does not install/,
    );
    lab.dispose();
    lab = offlineLab('virtualization-off');
    await expect(lab.run(lab.hosts[1]!, 'fix-install-feature', { name: 'Hyper-V' })).rejects.toThrow(
      /virtualization capabilities/,
    );
  });

  it('resynchronises the clock with the domain, or with a peer', async () => {
    lab = offlineLab('clock-skew');
    const [a, b] = lab.hosts as [NonNullable<OfflineLab['hosts'][0]>, NonNullable<OfflineLab['hosts'][0]>];
    expect(b.faults.clockSkewSeconds).toBe(300);
    await lab.run(b, 'fix-resync-time', { source: '' });
    expect(b.faults.clockSkewSeconds).toBe(0);
    b.faults.clockSkewSeconds = 120;
    a.faults.clockSkewSeconds = 7;
    await lab.run(b, 'fix-resync-time', { source: 'TL-NODE-A' });
    expect(b.faults.clockSkewSeconds).toBe(7);
    // The source goes on w32tm's command line: anything but a host name or address is refused.
    for (const source of ['TL-NODE-A /update', 'a"b', 'TL-NODE-A\\', ' TL-NODE-A', '$(whoami)']) {
      await expect(lab.run(b, 'fix-resync-time', { source })).rejects.toThrow(
        /is not a host name or IP address/,
      );
    }
  });

  it('installs staged updates only from the updates folder, visible after the restart', async () => {
    lab = offlineLab('missing-hotfix');
    const b = lab.hosts[1]!;
    const inv = await lab.run(b, 'get-inventory');
    const path = inv.updateFiles.FullName as string;
    expect(path).toBe('C:\\ProgramData\\Twinlock\\updates\\windows10.0-kb5041948-x64.msu');
    await expect(lab.run(b, 'fix-install-hotfix', { paths: ['C:\\Windows\\evil.msu'] })).rejects.toThrow(
      /not an update package/,
    );
    expect(await lab.run(b, 'fix-install-hotfix', { paths: [path] })).toMatchObject({
      restartNeeded: true,
      failed: 0,
    });
    for (const apply of b.onNextBoot.splice(0)) apply();
    expect(b.profile.hotfixes.map((h) => h.id)).toContain('KB5041948');
    expect(await lab.run(b, 'fix-install-hotfix', { paths: [path] })).toMatchObject({
      results: [{ exitCode: 2359302 }],
    });
  });

  it('switches the power plan and opens firewall ports', async () => {
    lab = offlineLab('balanced-power');
    const b = lab.hosts[1]!;
    await lab.run(b, 'fix-power-plan', { guid: '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c' });
    expect((await lab.run(b, 'get-inventory')).powerPlan.ElementName).toBe('High performance');
    await lab.run(b, 'fix-open-firewall-ports', { group: 'Twinlock Agent', ports: [7440, 7441, 7442] });
    await lab.run(b, 'fix-open-firewall-ports', { group: 'Twinlock Agent', ports: [7440] });
    expect(b.firewallRules.map((r) => r.localPorts[0])).toEqual([7441, 7442, 7440]);
  });
});
