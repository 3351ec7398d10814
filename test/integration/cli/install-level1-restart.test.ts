/**
 * `twinlock install --level 1` on a server with a restart already pending: Windows stages the
 * feature for that restart. Without --allow-reboot the run says the restart is needed; with it
 * Twinlock restarts the server once, waits, and sees the feature installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let lab: Lab;
let home: string;

beforeAll(async () => {
  lab = await startLab({ profile: 'pending-reboot', timeScale: 600, latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-level1-restart-'));
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

const twinlock = (args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;

describe('twinlock install --level 1 with a restart pending', () => {
  it('reports the restart, then restarts once when allowed', { timeout: 90_000 }, async () => {
    const [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    const B = lab.hosts[1]!;
    const pending = lab.host(B.name);
    expect(pending.pendingReboot).toBe(true);

    const first = await twinlock(['install', a, b, '--level', '1', '--trust-new', '--json']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const outcomes = last(first.stdout).result as Array<Record<string, any>>;
    expect(outcomes.find((o) => o.computerName === B.name)).toMatchObject({
      component: 'failover-clustering',
      action: 'installed',
      rebootRequired: true,
    });
    expect(outcomes.find((o) => o.computerName !== B.name)).toMatchObject({ rebootRequired: false });
    expect(first.stdout).toContain('"step":"reboot-required"');
    expect(pending.profile.roles.failoverClustering, 'staged for the restart').toBe(false);
    expect(pending.restarts).toBe(0);

    const second = await twinlock(['install', a, b, '--level', '1', '--allow-reboot', '--json']);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const after = last(second.stdout).result as Array<Record<string, any>>;
    expect(after.find((o) => o.computerName === B.name)).toMatchObject({
      action: 'installed',
      rebooted: true,
      rebootRequired: false,
    });
    expect(pending.restarts).toBe(1);
    expect(pending.profile.roles.failoverClustering).toBe(true);
    expect(lab.host(lab.hosts[0]!.name).restarts).toBe(0);
  });
});
