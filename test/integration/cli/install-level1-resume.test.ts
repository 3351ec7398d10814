/**
 * `twinlock install --level 1 --allow-reboot` killed while the server restarts for Failover
 * Clustering, then `twinlock install --resume`: the resumed run does not run
 * Install-WindowsFeature or restart the server again, and finishes with the feature installed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';
import { bin, root, runTwinlock } from './twinlock';

let lab: Lab;
let home: string;

beforeAll(async () => {
  lab = await startLab({ profile: 'pending-reboot', timeScale: 600, latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-level1-resume-'));
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock install --level 1 --resume after a crash during the restart', () => {
  it('resumes without enabling or restarting again', { timeout: 120_000 }, async () => {
    const [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    const B = lab.host(lab.hosts[1]!.name);
    B.faults.rebootSeconds = 300; // half a second of real time
    const env = { ...process.env, TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password };
    const first = spawn(
      process.execPath,
      [bin, 'install', a, b, '--level', '1', '--allow-reboot', '--trust-new', '--json'],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    first.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      first.on('close', (_code, signal) => resolve(signal)),
    );
    await waitFor(
      [
        { emitter: B, events: ['down'] },
        { emitter: first, events: ['exit'] },
      ],
      () => B.restarts > 0,
      () => (first.exitCode !== null ? `twinlock install exited before the restart: ${stderr}` : null),
    );
    first.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    await B.whenUp();
    expect(B.profile.roles.failoverClustering, 'the restart finished the feature').toBe(true);

    const list = await runTwinlock(['install', '--resume', '--json'], {
      TWINLOCK_HOME: home,
      TWINLOCK_PASSWORD: lab.hosts[0]!.password,
    });
    expect(list.code, list.stderr + list.stdout).toBe(0);
    // The restarting server had finished its feature step: the resumed run does not run it again.
    expect(list.stdout).toContain(`${B.name} — Resuming: checking what is installed`);
    expect(list.stdout).not.toContain(`${B.name} — Enabling Failover Clustering and its tools`);
    const result = JSON.parse(list.stdout.trim().split('\n').at(-1)!).result as Array<Record<string, any>>;
    expect(result.find((o) => o.computerName === B.name)).toMatchObject({
      component: 'failover-clustering',
      action: 'installed',
      rebooted: true,
      rebootRequired: false,
    });
    expect(B.restarts).toBe(1);
    expect(B.restartsRequested).toBe(1);
    expect(lab.host(lab.hosts[0]!.name).restarts).toBe(0);
  });
});
