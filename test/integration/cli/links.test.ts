/**
 * `twinlock links A B` against the lab: a table of both directions per link, exit 0 when the links
 * suit the level, 3 when one is below it, 2 when one is dead; --json prints the measurements.
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
const PORT1 = '--link=SLOT 3 Port 1=SLOT 3 Port 1';

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-links-'));
  lab = await startLab({ profile: 'slow-sync-links', timeScale: 600 });
});

afterAll(async () => {
  await lab?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('twinlock links', () => {
  it('exits 3 on a link below Level 3 and prints both directions with the reason', async () => {
    const run = await twinlock(['links', target(0), target(1), PORT1, '--trust-new']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/^Links below what Level 3 wants\./);
    expect(run.stdout).toContain('TL-NODE-A → TL-NODE-B');
    expect(run.stdout).toContain('TL-NODE-B → TL-NODE-A');
    expect(run.stdout).toMatch(/9\d\d Mbit\/s/);
    expect(run.stdout).toMatch(/Level 3 wants a 10 Gbit\/s class link \(at least 9,000 Mbit\/s measured\)/);
  }, 60_000);

  it('exits 0 at Level 1 with --json, and 2 when the link is cut', async () => {
    const ok = await twinlock(['links', target(0), target(1), PORT1, '--level', '1', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const m = JSON.parse(ok.stdout.trim().split('\n').pop()!);
    expect(m).toMatchObject({ level: 1, verdict: 'ok' });
    expect(m.links[0].directions[0].mbps).toBeGreaterThan(900);
    lab.host('TL-NODE-A').faults.cutLinks = ['SLOT 3 Port 1'];
    try {
      const dead = await twinlock(['links', target(0), target(1), PORT1, '--seconds', '0.5']);
      expect(dead.code, dead.stderr).toBe(2);
      expect(dead.stdout).toContain('not reached');
      expect(dead.stdout).toMatch(/Nothing from TL-NODE-A reached TL-NODE-B/);
    } finally {
      lab.host('TL-NODE-A').faults.cutLinks = [];
    }
  }, 60_000);

  it('refuses a --link that is not LOCALNIC=REMOTENIC, naming the option', async () => {
    const run = await twinlock(['links', target(0), target(1), '--link', 'SLOT 3 Port 1']);
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).toMatch(/--link: “SLOT 3 Port 1” is not LOCALNIC=REMOTENIC/);
  });
});
