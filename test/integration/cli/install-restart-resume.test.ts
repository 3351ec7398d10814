/**
 * `twinlock install --allow-reboot` killed while it waits for a server's restart, then
 * `twinlock install --resume`: the resumed run sees from the server's boot time that the restart
 * already happened and finishes without restarting the server a second time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';
import { bin, root, runTwinlock, shippedManifest } from './twinlock';

let lab: Lab;
let home: string;

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-restart-'));
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock install --resume after a crash during the restart wait', () => {
  it('does not restart the server a second time', { timeout: 120_000 }, async () => {
    const [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    const B = lab.host('TL-NODE-B');
    B.faults.msiExitCodes = [3010];
    B.faults.rebootSeconds = 300; // half a second of real time
    const env = { ...process.env, TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password };
    const first = spawn(
      process.execPath,
      [
        bin,
        'install',
        a,
        b,
        '--allow-reboot',
        '--trust-new',
        '--trust-publisher',
        shippedManifest.signer.thumbprint,
        '--json',
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    first.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      first.on('close', (_code, signal) => resolve(signal)),
    );
    // Killed the moment TL-NODE-B goes down for the restart the installation asked for.
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
    expect(B.restarts).toBe(1);
    await B.whenUp();

    const second = await runTwinlock(['install', '--resume', '--json'], {
      TWINLOCK_HOME: home,
      TWINLOCK_PASSWORD: lab.hosts[0]!.password,
    });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const result = JSON.parse(second.stdout.trim().split('\n').at(-1)!).result as Array<{
      computerName: string;
      rebooted?: boolean;
      rebootRequired: boolean;
    }>;
    expect(result.find((o) => o.computerName === 'TL-NODE-B')).toMatchObject({
      rebooted: true,
      rebootRequired: false,
    });
    expect(B.restarts).toBe(1);
    expect(B.restartsRequested).toBe(1);
    expect(lab.host('TL-NODE-A').restarts).toBe(0);
    for (const name of ['TL-NODE-A', 'TL-NODE-B'])
      expect(
        lab
          .host(name)
          .installedProducts()
          .map((p) => p.version),
      ).toEqual(['3.2.1']);
  });
});
