/**
 * `twinlock install --level 1` against the lab: Windows' Failover Clustering feature enabled on
 * both servers with nothing uploaded and no product installed; a second run finds it there;
 * `twinlock rollback --level 1` removes it where the installation added it (restarting as
 * Windows requires) and leaves it where it was already; an edition without the feature ends with
 * a plain error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { REMOTE_PATHS } from '../../../engine/remote/scripts';
import { runTwinlock, shippedManifest } from './twinlock';

let lab: Lab;
let home: string;

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-level1-'));
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

const twinlock = (args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });

/** The NDJSON lines `--json` printed. */
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

const result = (stdout: string) => lines(stdout).at(-1)!;

describe('twinlock install --level 1', () => {
  const addr = (name: string) => {
    const h = lab.hosts.find((x) => x.name === name)!;
    return `${h.address}:${h.port}`;
  };

  it(
    'enables Failover Clustering on both servers without touching the agent',
    { timeout: 60_000 },
    async () => {
      const run = await twinlock([
        'install',
        addr('TL-NODE-A'),
        addr('TL-NODE-B'),
        '--level',
        '1',
        '--trust-new',
        '--json',
      ]);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const outcomes = result(run.stdout).result as Array<Record<string, any>>;
      expect(outcomes).toHaveLength(2);
      for (const o of outcomes) {
        expect(o).toMatchObject({
          component: 'failover-clustering',
          action: 'installed',
          version: expect.stringMatching(/^\d+\.\d+$/),
          rebootRequired: false,
        });
      }
      // Per-server progress says what it does, in the feature's steps, never the agent's.
      expect(run.stdout).toContain('Enabling Failover Clustering and its tools');
      expect(run.stdout).toContain('"step":"feature"');
      expect(run.stdout).not.toMatch(/"step":"(upload|verify|msiexec)"/);
      for (const name of ['TL-NODE-A', 'TL-NODE-B']) {
        const host = lab.host(name);
        expect(host.profile.roles.failoverClustering, name).toBe(true);
        expect(host.installedProducts(), `${name}: no product installed`).toEqual([]);
        expect(host.sftpBytesWritten, `${name}: nothing uploaded`).toBe(0);
        expect(host.fileExists(`${REMOTE_PATHS.packagesDir}\\${shippedManifest.file}`)).toBe(false);
        expect(host.agent).toBeNull();
        expect(host.restarts).toBe(0);
      }
    },
  );

  it('finds it already installed the second time', { timeout: 60_000 }, async () => {
    const run = await twinlock(['install', addr('TL-NODE-A'), addr('TL-NODE-B'), '--level', '1', '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const outcomes = result(run.stdout).result as Array<Record<string, any>>;
    expect(outcomes.map((o) => [o.component, o.action])).toEqual([
      ['failover-clustering', 'already-installed'],
      ['failover-clustering', 'already-installed'],
    ]);
    expect(outcomes[0]!.note).toMatch(/already installed on TL-NODE-/);
  });

  it('refuses an agent package option, naming it', async () => {
    const run = await twinlock([
      'install',
      addr('TL-NODE-A'),
      addr('TL-NODE-B'),
      '--level',
      '1',
      '--package',
      '/tmp/agent',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(result(run.stdout).error).toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(/^--package: --level 1 enables Windows' Failover Clustering/),
      detail: { field: 'package' },
    });
  });

  it(
    'rolls back: removed at the restart Windows needs, restarted when allowed',
    { timeout: 60_000 },
    async () => {
      const A = lab.host('TL-NODE-A');
      const B = lab.host('TL-NODE-B');
      // Not allowed to restart: Windows removes the feature at the next restart, and says so.
      const later = await twinlock(['rollback', addr('TL-NODE-A'), '--level', '1', '--yes', '--json']);
      expect(later.code, later.stderr + later.stdout).toBe(0);
      expect(result(later.stdout)).toMatchObject({
        component: 'failover-clustering',
        removedVersion: 'Failover-Clustering',
        removedFeatures: expect.arrayContaining(['Failover-Clustering', 'RSAT-Clustering-PowerShell']),
        rebootRequired: true,
        message: expect.stringMatching(
          /^TL-NODE-A: Failover Clustering and its tools are removed at the next restart; restart TL-NODE-A/,
        ),
      });
      expect(A.restarts).toBe(0);
      expect(A.profile.roles.failoverClustering, 'shown installed until the restart').toBe(true);

      // Allowed: Twinlock restarts the server and sees the feature gone.
      const now = await twinlock([
        'rollback',
        addr('TL-NODE-A'),
        '--level',
        '1',
        '--yes',
        '--allow-reboot',
        '--json',
      ]);
      expect(now.code, now.stderr + now.stdout).toBe(0);
      expect(result(now.stdout)).toMatchObject({ rebooted: true, rebootRequired: false });
      expect(A.restarts).toBe(1);
      expect(A.profile.roles.failoverClustering).toBe(false);

      const b = await twinlock([
        'rollback',
        addr('TL-NODE-B'),
        '--level',
        '1',
        '--yes',
        '--allow-reboot',
        '--json',
      ]);
      expect(b.code, b.stderr + b.stdout).toBe(0);
      expect(result(b.stdout)).toMatchObject({
        rebooted: true,
        message:
          'TL-NODE-B: Failover Clustering and its tools removed (Twinlock restarted TL-NODE-B to finish).',
      });
      expect(B.profile.roles.failoverClustering).toBe(false);

      // Again: nothing left to roll back.
      const again = await twinlock(['rollback', addr('TL-NODE-B'), '--level', '1', '--yes', '--json']);
      expect(result(again.stdout).message).toBe(
        'TL-NODE-B: Failover Clustering is not installed; nothing to roll back.',
      );
      expect(B.restarts).toBe(1);
    },
  );

  it('leaves the feature where it was there before the installation', { timeout: 60_000 }, async () => {
    const A = lab.host('TL-NODE-A');
    A.profile.roles.failoverClustering = true;
    const run = await twinlock(['install', addr('TL-NODE-A'), addr('TL-NODE-B'), '--level', '1', '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const outcomes = result(run.stdout).result as Array<Record<string, any>>;
    expect(outcomes.find((o) => o.computerName === 'TL-NODE-A')!.action).toBe('already-installed');
    expect(outcomes.find((o) => o.computerName === 'TL-NODE-B')!.action).toBe('installed');
    const kept = await twinlock([
      'rollback',
      addr('TL-NODE-A'),
      '--level',
      '1',
      '--yes',
      '--allow-reboot',
      '--json',
    ]);
    expect(kept.code, kept.stderr + kept.stdout).toBe(0);
    expect(result(kept.stdout)).toMatchObject({ removedVersion: null, rebootRequired: false });
    expect(result(kept.stdout).message).toMatch(/^TL-NODE-A: Failover Clustering was already there before/);
    expect(A.profile.roles.failoverClustering).toBe(true);
    expect(A.clusterFeaturePending).toBeNull();
  });

  it('ends with a plain error on an edition without the feature', { timeout: 60_000 }, async () => {
    const B = lab.host('TL-NODE-B');
    B.profile.roles.failoverClustering = false;
    B.profile.os.editionId = 'ServerSolution';
    B.profile.os.caption = 'Microsoft Windows Server 2022 Essentials';
    const run = await twinlock(['install', addr('TL-NODE-A'), addr('TL-NODE-B'), '--level', '1', '--json']);
    expect(run.code).toBe(1);
    expect(result(run.stdout).error).toMatchObject({
      code: 'incompatible',
      message:
        'TL-NODE-B runs Windows Server 2022 Essentials (edition ServerSolution), which does not have Failover Clustering; Level 1 needs Windows Server Standard or Datacenter on both servers.',
      hint: expect.stringContaining('Upgrade TL-NODE-B to Windows Server Standard or Datacenter'),
    });
    expect(B.profile.roles.failoverClustering).toBe(false);
    expect(B.installedProducts()).toEqual([]);
  });
});
