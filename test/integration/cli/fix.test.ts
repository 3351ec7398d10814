/**
 * `twinlock fix` against the lab: --preview changes nothing, a restart needs --allow-reboot, and
 * with it the fix runs as a job (NDJSON progress), the server comes back, and verify turns ready.
 * `twinlock rollback` removes an installed agent, on --yes only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let home: string;
let lab: Lab;

const twinlock = (args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });

const target = (i: number) => `${lab.hosts[i]!.address}:${lab.hosts[i]!.port}`;
const trust = () => lab.hosts.flatMap((h) => ['--fingerprint', h.fingerprint]);

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-fix-'));
  lab = await startLab({ profile: 'no-hyper-v' });
});

afterAll(async () => {
  await lab?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('twinlock fix', () => {
  it('names the fix in verify, previews it without change, and refuses a restart it was not allowed', async () => {
    const verify = await twinlock(['verify', target(0), target(1), ...trust()]);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toContain(`twinlock fix ${target(1)} install-hyperv`);

    const preview = await twinlock(['fix', target(1), 'install-hyperv', ...trust(), '--preview']);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('fix-install-feature.ps1, with parameters {"name":"Hyper-V"}');
    expect(preview.stdout).toContain('Install-WindowsFeature');
    expect(lab.host('TL-NODE-B').profile.roles.hyperV).toBe(false);

    const refused = await twinlock(['fix', target(1), 'install-hyperv', ...trust()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('install-hyperv restarts TL-NODE-B, and --allow-reboot was not given');
    expect(lab.host('TL-NODE-B').profile.roles.hyperV).toBe(false);

    const unknown = await twinlock(['fix', target(1), 'defrag', ...trust()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('“defrag” is not a fix Twinlock knows');
  });

  it('runs it as a job with progress, waits out the restart, and verify turns ready', async () => {
    const run = await twinlock(['fix', target(1), 'install-hyperv', ...trust(), '--allow-reboot', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = lines.filter((l) => l.event === 'progress');
    expect(progress.every((p) => p.kind === 'fix')).toBe(true);
    expect(progress.some((p) => String(p.message).startsWith('Restarting TL-NODE-B'))).toBe(true);
    expect(lines.at(-1)).toMatchObject({
      fixId: 'install-hyperv',
      computerName: 'TL-NODE-B',
      rebooted: true,
    });
    expect(lab.host('TL-NODE-B').profile.roles.hyperV).toBe(true);

    const verify = await twinlock(['verify', target(0), target(1), ...trust()]);
    expect(verify.code).toBe(0);
    expect(verify.stdout.split('\n')[0]).toBe('Ready for Level 3');
  });

  it('rolls an installed agent back on --yes only, and the server is left without it', async () => {
    // First use: the publisher is shown and refused until the admin confirms its thumbprint.
    const asked = await twinlock(['install', target(0), target(1), ...trust()]);
    expect(asked.code).toBe(1);
    const thumbprint = /--trust-publisher ([0-9A-F]{40})/.exec(asked.stderr)?.[1];
    expect(thumbprint, asked.stderr).toBeDefined();
    const install = await twinlock([
      'install',
      target(0),
      target(1),
      ...trust(),
      '--trust-publisher',
      thumbprint!,
    ]);
    expect(install.code).toBe(0);
    expect(lab.host('TL-NODE-B').installedProducts()).toHaveLength(1);

    const unconfirmed = await twinlock(['rollback', target(1), ...trust()]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes was not given');
    expect(lab.host('TL-NODE-B').installedProducts()).toHaveLength(1);

    const rollback = await twinlock(['rollback', target(1), ...trust(), '--yes', '--json']);
    expect(rollback.code).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ computerName: 'TL-NODE-B', removedVersion: '3.2.1' });
    expect(lab.host('TL-NODE-B').installedProducts()).toEqual([]);
    expect(lab.host('TL-NODE-A').installedProducts()).toHaveLength(1);
  });
});
