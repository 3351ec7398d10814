/** The fleet journal: what a later run of the same fleet resumes from, written whole and atomically. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetPair } from '../../../engine/api/models';
import {
  claimFleetRun,
  fleetIdOf,
  fleetJournalPath,
  journalWriter,
  newJournal,
  readFleetJournal,
  resumeFrom,
} from '../../../engine/fleet/fleet-journal';

const pair = (name: string, n: number): FleetPair => ({
  name,
  primary: { address: `10.0.${n}.21`, port: 22 },
  secondary: { address: `10.0.${n}.22`, port: 22 },
});
const pairs = [pair('P1', 1), pair('P2', 2), pair('P3', 3)];
const now = '2026-12-02T10:00:00.000Z';

describe('the fleet id', () => {
  it('is the bundle and the pairs, whatever file they came from', () => {
    const id = fleetIdOf('/b.json', pairs);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(
      fleetIdOf(
        '/b.json',
        pairs.map((p) => ({ ...p, line: 7 })),
      ),
    ).toBe(id);
    expect(fleetIdOf('/other.json', pairs)).not.toBe(id);
    expect(
      fleetIdOf('/b.json', [
        pairs[0]!,
        { ...pairs[1]!, secondary: { address: '10.0.9.9', port: 22 } },
        pairs[2]!,
      ]),
    ).not.toBe(id);
  });
});

describe('resuming a fleet', () => {
  const fresh = () => newJournal('id', 'fleet.yaml', '/b.json', pairs, now);

  it('starts every pair afresh without a journal, from a complete one, or with restart', () => {
    const previous = fresh();
    previous.pairs.P1!.steps = ['verify', 'install', 'plan', 'pair', 'drift'];
    previous.pairs.P1!.result = 'protected';
    for (const [prev, restart] of [
      [null, false],
      [{ ...previous, state: 'complete' as const }, false],
      [previous, true],
    ] as const) {
      const { journal, points } = resumeFrom(prev, fresh(), restart);
      expect([...points.values()]).toEqual([{ steps: [] }, { steps: [] }, { steps: [] }]);
      expect(journal.pairs.P1).toEqual({ primary: '10.0.1.21:22', secondary: '10.0.1.22:22', steps: [] });
    }
  });

  it('keeps finished pairs as they ended and resumes the others from their steps', () => {
    const previous = fresh();
    previous.startedAt = '2026-12-01T00:00:00.000Z';
    Object.assign(previous.pairs.P1!, {
      steps: ['verify', 'install', 'plan', 'pair', 'drift'],
      result: 'protected',
      changed: true,
      servers: ['A1', 'B1'],
    });
    Object.assign(previous.pairs.P2!, { steps: ['verify', 'install'] });
    // Killed after its last step was recorded, before its result was.
    Object.assign(previous.pairs.P3!, { steps: ['verify', 'install', 'plan', 'pair', 'drift'] });
    const { journal, points } = resumeFrom(previous, fresh(), false);
    expect(points.get('P1')).toEqual({
      steps: ['verify', 'install', 'plan', 'pair', 'drift'],
      finished: { result: 'protected', servers: ['A1', 'B1'] },
    });
    expect(points.get('P2')).toEqual({ steps: ['verify', 'install'] });
    expect(points.get('P3')?.finished?.result).toBe('protected');
    expect(journal.startedAt).toBe('2026-12-01T00:00:00.000Z');
    expect(journal.pairs.P1).toMatchObject({ result: 'protected', changed: true });
  });

  it('starts a pair afresh when its name now stands for other servers', () => {
    const previous = fresh();
    previous.pairs.P2!.steps = ['verify', 'install'];
    previous.pairs.P2!.secondary = '10.0.9.9:22';
    expect(resumeFrom(previous, fresh(), false).points.get('P2')).toEqual({ steps: [] });
  });
});

describe('the journal writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinlock-fleet-journal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each change whole, and marks the run complete only when every pair finished well', async () => {
    const path = fleetJournalPath(dir, 'abc');
    expect(path).toBe(join(dir, 'fleets', 'abc.json'));
    const errors: unknown[] = [];
    const writer = journalWriter(path, newJournal('abc', 'fleet.yaml', '/b.json', pairs, now), (e) =>
      errors.push(e),
    );
    await Promise.all([
      writer.step('P1', 'verify'),
      writer.step('P2', 'verify'),
      writer.step('P1', 'install'),
    ]);
    await writer.servers('P1', ['A1', 'B1']);
    await writer.ended('P1', 'protected', true);
    await writer.ended('P2', undefined, false);
    await writer.ended('P3', 'unchanged', false);
    await writer.close();
    const onDisk = await readFleetJournal(path);
    expect(onDisk?.state).toBe('running');
    expect(onDisk?.pairs.P1).toMatchObject({
      steps: ['verify', 'install'],
      servers: ['A1', 'B1'],
      result: 'protected',
      changed: true,
    });
    expect(onDisk?.pairs.P2).toEqual({
      primary: '10.0.2.21:22',
      secondary: '10.0.2.22:22',
      steps: ['verify'],
      changed: false,
    });
    await writer.ended('P2', 'protected', true);
    await writer.close();
    expect((await readFleetJournal(path))?.state).toBe('complete');
    expect(errors).toEqual([]);
    expect(readFileSync(path, 'utf8')).not.toMatch(/password|token|privateKey/i);
  });

  it('reads a damaged journal as none', async () => {
    const path = join(dir, 'damaged.json');
    writeFileSync(path, '{ not json');
    expect(await readFleetJournal(path)).toBeNull();
  });
});

describe('the claim on a fleet run', () => {
  const CHILD = join(import.meta.dirname, 'fixtures', 'fleet-run-child.ts');

  /** A process holding the claim, once it says it holds it. */
  async function holder(path: string) {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, path, 'fleet.yaml'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => d.toString().includes('claimed') && resolve());
      p.on('close', (code) => reject(new Error(`the holder ended (${code}): ${stderr}`)));
    });
    return p;
  }

  it(
    'refuses a second process at once, naming the one that runs it; a killed holder does not block the next',
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'twinlock-fleet-claim-'));
      try {
        const path = fleetJournalPath(dir, 'abc');
        const child = await holder(path);
        const asked = Date.now();
        const refused = await claimFleetRun(path, 'fleet.yaml').then(
          () => null,
          (err: unknown) => err as { message: string; hint?: string; detail?: Record<string, unknown> },
        );
        expect(Date.now() - asked).toBeLessThan(2_000);
        expect(refused).not.toBeNull();
        expect(refused!.message).toContain(`already being run by process ${child.pid}`);
        expect(refused!.message).toMatch(/started \d{4}-\d\d-\d\dT/);
        expect(refused!.hint).toMatch(/Wait for that run to end, or stop it/);
        expect(refused!.detail).toMatchObject({ field: 'fleet', pid: child.pid });

        // SIGKILL leaves the lock and its owner record behind: the next claim still succeeds.
        const gone = new Promise((resolve) => child.on('close', resolve));
        child.kill('SIGKILL');
        await gone;
        expect(existsSync(`${path}.run.lock`)).toBe(true);
        const claim = await claimFleetRun(path, 'fleet.yaml');
        expect(JSON.parse(readFileSync(`${path}.run.json`, 'utf8'))).toMatchObject({ pid: process.pid });
        // Within this process too, the claim is one at a time; released, it can be taken again.
        await expect(claimFleetRun(path, 'fleet.yaml')).rejects.toThrow(`process ${process.pid}`);
        await claim.release();
        expect(existsSync(`${path}.run.json`)).toBe(false);
        await (await claimFleetRun(path, 'fleet.yaml')).release();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
