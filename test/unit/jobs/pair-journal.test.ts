import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PairJournal } from '../../../engine/jobs/pair-journal';
import {
  listPairJournals,
  openPairJournal,
  readPairJournal,
  removePairJournal,
} from '../../../engine/jobs/pair-journal';

let dataDir: string;

const host = (role: 'primary' | 'secondary', n: number) => ({
  role,
  sessionId: `session-${n}`,
  computerName: `HV0${n}`,
  address: `10.0.0.2${n}`,
  port: 22,
  username: 'Administrator',
  fingerprint: `SHA256:${'A'.repeat(43)}`,
  steps: {},
});

const initial = (jobId: string): PairJournal => ({
  format: 'twinlock-journal/1',
  jobId,
  kind: 'pair',
  state: 'running',
  startedAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-01-01T10:00:00.000Z',
  pair: {
    name: 'HV-PAIR',
    level: 3,
    links: [
      {
        localNic: 'SLOT 3 Port 1',
        remoteNic: 'SLOT 3 Port 1',
        localAddress: '10.10.1.21',
        remoteAddress: '10.10.1.22',
      },
    ],
    witness: null,
    vms: ['SQL01'],
  },
  agentVersion: '3.2.1',
  hosts: [host('primary', 1), host('secondary', 2)],
});

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-pair-journal-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the pairing journal', () => {
  it('is on disk from the start, records each step per server, and its end', async () => {
    const journal = await openPairJournal(dataDir, initial('job-1'));
    expect((await readPairJournal(dataDir, 'job-1'))?.state).toBe('running');
    await journal.step('primary', 'create-sent');
    await journal.step('primary', 'create');
    await journal.step('secondary', 'join');
    await journal.finish('rolled-back');
    const onDisk = await readPairJournal(dataDir, 'job-1');
    expect(onDisk?.state).toBe('rolled-back');
    expect(Object.keys(onDisk!.hosts[0].steps)).toEqual(['create-sent', 'create']);
    expect(Object.keys(onDisk!.hosts[1].steps)).toEqual(['join']);
    const path = join(dataDir, 'journal', 'pair', 'job-1.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    // No lock or temporary file is left beside it.
    expect(await readdir(join(dataDir, 'journal', 'pair'))).toEqual(['job-1.json']);
  });

  it('keeps every step when two writers change the same journal at once (as two processes would)', async () => {
    const first = await openPairJournal(dataDir, initial('job-2'));
    const second = await openPairJournal(dataDir, (await readPairJournal(dataDir, 'job-2'))!);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => first.step('primary', `protect:VM${i}`)),
      ...Array.from({ length: 10 }, (_, i) => second.step('secondary', `s${i}`)),
    ]);
    const onDisk = JSON.parse(
      await readFile(join(dataDir, 'journal', 'pair', 'job-2.json'), 'utf8'),
    ) as PairJournal;
    expect(Object.keys(onDisk.hosts[0].steps)).toHaveLength(10);
    expect(Object.keys(onDisk.hosts[1].steps)).toHaveLength(10);
  });

  it('lists journals newest first, names no file outside its folder, and removes one', async () => {
    await openPairJournal(dataDir, initial('job-a'));
    await openPairJournal(dataDir, { ...initial('job-b'), startedAt: '2026-01-02T10:00:00.000Z' });
    expect((await listPairJournals(dataDir)).map((j) => j.jobId)).toEqual(['job-b', 'job-a']);
    expect(await readPairJournal(dataDir, '../job-a')).toBeNull();
    await removePairJournal(dataDir, 'job-a');
    expect((await listPairJournals(dataDir)).map((j) => j.jobId)).toEqual(['job-b']);
  });
});
