/**
 * Twenty `twinlock` processes started side by side on one home, each pinning a different server's
 * host key with --trust-new: every process succeeds and every pin is kept. A pin lost to a
 * read-change-write race would let the next --trust-new trust whatever key it is shown.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

const PROCESSES = 20;
const ROUNDS = 3;

let lab: Lab;
const homes: string[] = [];

beforeAll(async () => {
  lab = await startLab({ hosts: PROCESSES, profile: 'matched-pair', latencyMs: 1 });
});

afterAll(async () => {
  await lab?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe('parallel twinlock processes on one home', () => {
  it(`keep all ${PROCESSES} host-key pins, ${ROUNDS} rounds in a row`, { timeout: 300_000 }, async () => {
    const hosts = lab.hosts;
    expect(hosts).toHaveLength(PROCESSES);
    expect(new Set(hosts.map((h) => `${h.address}:${h.port}`)).size).toBe(PROCESSES);
    for (let round = 1; round <= ROUNDS; round++) {
      const home = mkdtempSync(join(tmpdir(), `twinlock-cli-pins-${round}-`));
      homes.push(home);
      const runs = await Promise.all(
        hosts.map((h) =>
          runTwinlock(
            ['inventory', `${h.address}:${h.port}`, '--user', h.username, '--trust-new', '--json'],
            {
              TWINLOCK_HOME: home,
              TWINLOCK_PASSWORD: h.password,
            },
          ),
        ),
      );
      runs.forEach((run, i) =>
        expect(run.code, `round ${round}, process ${i}: ${run.stderr}${run.stdout}`).toBe(0),
      );
      const file = JSON.parse(readFileSync(join(home, 'known_hosts.json'), 'utf8')) as {
        hosts: Record<string, { fingerprint: string }>;
      };
      const pinned = Object.fromEntries(Object.entries(file.hosts).map(([id, k]) => [id, k.fingerprint]));
      expect(pinned, `round ${round}`).toEqual(
        Object.fromEntries(hosts.map((h) => [`${h.address}:${h.port}`, h.fingerprint])),
      );
      // What an admin sees: the same 20 servers from `twinlock hosts list`.
      const list = await runTwinlock(['hosts', 'list', '--json'], { TWINLOCK_HOME: home });
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as unknown[]).length).toBe(PROCESSES);
    }
  });
});
