import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstallJournal } from '../../../engine/jobs/journal';
import {
  claimJournal,
  isJournalClaimed,
  journalOwner,
  listJournals,
  openJournal,
  pruneJournals,
  readJournal,
  removeJournal,
} from '../../../engine/jobs/journal';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function journal(jobId: string, startedAt = '2026-01-01T00:00:00.000Z'): InstallJournal {
  return {
    format: 'twinlock-journal/1',
    jobId,
    kind: 'install',
    state: 'running',
    startedAt,
    updatedAt: startedAt,
    request: { packageDir: '/pkg', allowReboot: false, force: false },
    package: { version: '3.2.1', sha256: 'a'.repeat(64), file: 'TwinlockAgent-3.2.1-x64.msi' },
    hosts: [
      {
        sessionId: 's1',
        computerName: 'HV-A',
        address: '10.0.0.21',
        port: 22,
        username: 'Administrator',
        fingerprint: 'SHA256:x',
        steps: {},
      },
    ],
  };
}

describe('install journal', () => {
  it('names no journal by a job id that is a path: none to read, and a claim is refused as input', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    expect(await readJournal(dataDir, '../../etc/passwd')).toBeNull();
    await expect(claimJournal(dataDir, '../../etc/passwd')).rejects.toMatchObject({
      name: 'TwinlockError',
      code: 'invalid-input',
      detail: { field: 'jobId' },
    });
  });

  it('is on disk before the job does anything, and records steps in order', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    const j = await openJournal(dataDir, journal('job-1'));
    expect((await readJournal(dataDir, 'job-1'))?.state).toBe('running');
    await j.note('s1', { previousVersion: null });
    await j.done('s1', 'upload');
    await j.done('s1', 'verify');
    await j.done('s1', 'msiexec', { exitCode: 3010 });
    expect([...j.completed('s1')]).toEqual(['upload', 'verify', 'msiexec']);
    const onDisk = await readJournal(dataDir, 'job-1');
    expect(Object.keys(onDisk!.hosts[0]!.steps)).toEqual(['upload', 'verify', 'msiexec']);
    expect(onDisk!.hosts[0]!.exitCode).toBe(3010);
    await j.finish('done');
    expect((await readJournal(dataDir, 'job-1'))?.state).toBe('done');
    // Atomic writes leave no temporary files behind.
    expect(await readdir(join(dataDir, 'journal'))).toEqual(['job-1.json']);
  });

  it('lists journals newest first and skips a damaged one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    await openJournal(dataDir, journal('job-old', '2026-01-01T00:00:00.000Z'));
    await openJournal(dataDir, journal('job-new', '2026-02-01T00:00:00.000Z'));
    await writeFile(join(dataDir, 'journal', 'job-bad.json'), '{not json');
    expect((await listJournals(dataDir)).map((j) => j.jobId)).toEqual(['job-new', 'job-old']);
    await removeJournal(dataDir, 'job-old');
    expect((await listJournals(dataDir)).map((j) => j.jobId)).toEqual(['job-new']);
    expect(await listJournals(join(dataDir, 'nowhere'))).toEqual([]);
  });

  it('prunes finished journals after a month and keeps interrupted ones', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    const done = await openJournal(dataDir, journal('job-done'));
    await done.finish('done');
    await openJournal(dataDir, journal('job-running'));
    expect(await pruneJournals(dataDir)).toBe(0);
    const later = Date.now() + 31 * 24 * 3600_000;
    expect(await pruneJournals(dataDir, undefined, later)).toBe(1);
    expect((await listJournals(dataDir)).map((j) => j.jobId)).toEqual(['job-running']);
  });

  it('holds no password and refuses ids that could leave the folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    await openJournal(dataDir, journal('job-2'));
    const text = await readFile(join(dataDir, 'journal', 'job-2.json'), 'utf8');
    expect(text).not.toMatch(/password/i);
    expect(await readJournal(dataDir, '../etc/passwd')).toBeNull();
  });

  it(
    'is claimed by one process at a time: a second claim is refused by name, and works once released',
    { timeout: 30_000 },
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
      dirs.push(dataDir);
      await openJournal(dataDir, journal('job-3'));
      expect(await isJournalClaimed(dataDir, 'job-3')).toBe(false);
      const first = await claimJournal(dataDir, 'job-3');
      expect(await isJournalClaimed(dataDir, 'job-3')).toBe(true);
      const second = await claimJournal(dataDir, 'job-3').catch((e: unknown) => e);
      expect(second).toMatchObject({ code: 'invalid-input', detail: { field: 'jobId', jobId: 'job-3' } });
      expect((second as Error).message).toContain('another Twinlock window or command');
      await first.release();
      expect(await isJournalClaimed(dataDir, 'job-3')).toBe(false);
      const again = await claimJournal(dataDir, 'job-3');
      await again.release();
      await again.release();
    },
  );

  it('is not pruned while another process holds it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    const done = await openJournal(dataDir, journal('job-4'));
    await done.finish('done');
    const claim = await claimJournal(dataDir, 'job-4');
    const later = Date.now() + 31 * 24 * 3600_000;
    expect(await pruneJournals(dataDir, undefined, later)).toBe(0);
    await claim.release();
    expect(await pruneJournals(dataDir, undefined, later)).toBe(1);
    expect(await readdir(join(dataDir, 'journal'))).toEqual([]);
  });

  it('does not count the claim of a process that died: its job is resumable at once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-journal-'));
    dirs.push(dataDir);
    await openJournal(dataDir, journal('job-5'));
    const claim = await claimJournal(dataDir, 'job-5');
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    expect(await isJournalClaimed(dataDir, 'job-5', journalOwner())).toBe(true);
    expect(await isJournalClaimed(dataDir, 'job-5', { pid: gone, host: hostname() })).toBe(false);
    // On another computer (a shared data folder), only the claim itself tells.
    expect(await isJournalClaimed(dataDir, 'job-5', { pid: gone, host: `not-${hostname()}` })).toBe(true);
    await claim.release();
  });
});
