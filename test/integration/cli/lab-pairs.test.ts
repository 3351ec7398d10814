/**
 * `twinlock lab start --pairs N`: a fleet of separate lab pairs, their table (or one JSON line),
 * and the fleet file the lab writes (pinned host keys, no password), which the engine's fleet
 * reader takes and whose addresses and keys reach the servers it names.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFleet } from '../../../engine/fleet/fleet-file';
import type { LabPairInfo } from '../../../lab/index';
import { bin, root, runTwinlock } from './twinlock';

const home = mkdtempSync(join(tmpdir(), 'twinlock-cli-lab-pairs-'));
const labs: ChildProcess[] = [];

/** Starts `twinlock lab start args…` and resolves with its first stdout line, or its whole first screen. */
function startLab(args: string[], untilText?: string): Promise<{ child: ChildProcess; first: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'lab', 'start', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    labs.push(child);
    let buffer = '';
    child.stdout.on('data', (d) => {
      buffer += d;
      if (untilText ? buffer.includes(untilText) : buffer.includes('\n'))
        resolve({ child, first: untilText ? buffer : buffer.slice(0, buffer.indexOf('\n')) });
    });
    child.on('exit', (code) => reject(new Error(`the lab exited early (${code})`)));
  });
}

interface PairsLine {
  pairs: LabPairInfo[];
  username: string;
  password: string;
  fleetFile: string;
  hosts: Array<{ name: string; address: string; port: number; password: string }>;
}

let lab: PairsLine;
const fleetOut = join(home, 'fleets', 'my-fleet.yaml');

beforeAll(async () => {
  const { first } = await startLab(['--pairs', '3', '--fleet-out', fleetOut, '--json']);
  lab = JSON.parse(first) as PairsLine;
}, 30_000);

afterAll(() => {
  for (const child of labs) child.kill('SIGINT');
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock lab start --pairs', () => {
  it('prints the pairs, the account and the fleet file as one JSON line', () => {
    expect(lab.pairs.map((p) => [p.name, p.primary.computerName, p.secondary.computerName])).toEqual([
      ['LAB-P01', 'TL-P01-A', 'TL-P01-B'],
      ['LAB-P02', 'TL-P02-A', 'TL-P02-B'],
      ['LAB-P03', 'TL-P03-A', 'TL-P03-B'],
    ]);
    expect(lab.pairs[0]!.vms).toEqual(['SQL01', 'APP01', 'FILE01']);
    expect(lab.username).toBe('Administrator');
    expect(lab.password.length).toBeGreaterThanOrEqual(20);
    expect(lab.fleetFile).toBe(fleetOut);
    expect(lab.hosts.map((h) => h.name)).toEqual(
      lab.pairs.flatMap((p) => [p.primary.computerName, p.secondary.computerName]),
    );
  });

  it('writes the fleet file the engine reads, with every host key pinned and no password', async () => {
    const text = readFileSync(fleetOut, 'utf8');
    expect(text).not.toContain(lab.password);
    const fleet = await readFleet({ path: fleetOut });
    expect(fleet.user).toBe('Administrator');
    expect(fleet.bundle).toBeNull();
    expect(fleet.pairs.map((p) => [p.name, p.primary, p.secondary, p.vms])).toEqual(
      lab.pairs.map((p) => [
        p.name,
        { address: p.primary.address, port: p.primary.port, fingerprint: p.primary.fingerprint },
        { address: p.secondary.address, port: p.secondary.port, fingerprint: p.secondary.fingerprint },
        p.vms,
      ]),
    );
  });

  it('names in the fleet file servers that answer as themselves under the pinned key', async () => {
    const p = lab.pairs[1]!;
    const run = await runTwinlock(
      [
        'inventory',
        `${p.secondary.address}:${p.secondary.port}`,
        '--fingerprint',
        p.secondary.fingerprint,
        '--json',
      ],
      { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.password },
    );
    expect(run.code, run.stderr).toBe(0);
    const inventory = JSON.parse(run.stdout);
    expect(inventory.computerName).toBe('TL-P02-B');
    // Its own sync-link subnets: the second pair's 10.x addresses moved on by one.
    expect(JSON.stringify(inventory.nics)).toContain('10.11.1.22');
  });

  it('shows a table of the pairs and writes lab-fleet.yaml in the lab’s data folder by default', async () => {
    const { child, first } = await startLab(['--pairs', '2'], 'until you press Ctrl+C');
    expect(first).toMatch(/^Pair\s+Primary\s+Address\s+Secondary\s+Address\s+VMs$/m);
    expect(first).toMatch(
      /^LAB-P02\s+TL-P02-A\s+127\.0\.0\.1:\d+\s+TL-P02-B\s+127\.0\.0\.1:\d+\s+SQL01, APP01, FILE01$/m,
    );
    expect(first).toMatch(/^Every server: user Administrator, password \S{20}$/m);
    const file = /^Fleet file \(host keys pinned, no password in it\): (.+lab-fleet\.yaml)$/m.exec(
      first,
    )?.[1];
    expect(file).toBeDefined();
    expect(existsSync(file!)).toBe(true);
    expect(dirname(file!)).toMatch(/twinlock-lab-/);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    // The data folder, fleet file with it, goes with the lab.
    expect(existsSync(file!)).toBe(false);
  });

  it.each([
    { args: ['--pairs', '0'], field: 'pairs', says: '--pairs must be a whole number from 1 to 50 (got “0”)' },
    {
      args: ['--pairs', '51'],
      field: 'pairs',
      says: '--pairs must be a whole number from 1 to 50 (got “51”)',
    },
    {
      args: ['--pairs', 'two'],
      field: 'pairs',
      says: '--pairs must be a whole number from 1 to 50 (got “two”)',
    },
    {
      args: ['--pairs', '2', '--hosts', '4'],
      field: 'pairs',
      says: '--pairs and --hosts do not go together',
    },
    { args: ['--fleet-out', 'x.yaml'], field: 'fleet-out', says: '--fleet-out writes the fleet file' },
    { args: ['--pairs', '2', '--port', '2222'], field: 'port', says: '--port 2222 would give 4 servers' },
  ])('refuses $args naming the flag, before anything listens', async ({ args, field, says }) => {
    const run = await runTwinlock(['lab', 'start', ...args, '--json'], { TWINLOCK_HOME: home });
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout.trim());
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain(says);
    expect(error.detail.field).toBe(field);
    expect(error.hint).toBeTruthy();
  });
});
