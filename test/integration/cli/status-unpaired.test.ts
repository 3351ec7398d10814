/**
 * `twinlock status` on a server in no pair: neither the agent nor a failover cluster made by
 * Twinlock is on it. That is its status (role none, no pair), not an error, and an unpairing finds
 * nothing to remove there.
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
  lab = await startLab({ profile: 'matched-pair', latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-status-'));
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

const twinlock = (args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });

describe('the status of a server in no pair', () => {
  it('is "not paired", exit 0, in words and in JSON', async () => {
    const A = lab.hosts[0]!;
    expect(lab.host(A.name).agent).toBeNull();
    const text = await twinlock(['status', `${A.address}:${A.port}`, '--trust-new']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim()).toBe(`${A.name}: not paired (role none)`);
    const json = await twinlock(['status', `${A.address}:${A.port}`, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1)!)).toEqual({
      nodeId: A.name,
      role: 'none',
      pair: null,
      vms: [],
    });
  });

  it('leaves an unpairing nothing to remove on servers without the agent, changing nothing', async () => {
    const [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    const run = await twinlock(['unpair', a, b, '--yes', '--trust-new', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual(
      lab.hosts.map((h) => ({ computerName: h.name, pair: null, unprotected: [], removed: false })),
    );
    for (const h of lab.hosts) expect(lab.host(h.name).agent).toBeNull();
  });
});
