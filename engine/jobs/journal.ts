/**
 * The journal of an install on disk (`<dataDir>/journal/<jobId>.json`): what was asked, for which
 * servers, and which steps each server has completed. After a crash or a closed window the next
 * start lists the journals still `running` and resumes them without redoing completed steps.
 * It holds addresses, user names and pinned fingerprints, never a password.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../store';

/** Steps an install completes on each server, in order. */
export const INSTALL_STEPS = ['upload', 'verify', 'msiexec', 'reboot', 'health'] as const;
export type InstallStep = (typeof INSTALL_STEPS)[number];

const HostEntrySchema = z.object({
  sessionId: z.string(),
  computerName: z.string(),
  address: z.string(),
  port: z.number().int(),
  username: z.string(),
  fingerprint: z.string(),
  /** Completed steps, with when they completed. */
  steps: z.record(z.string(), z.string()),
  /** Agent version that was installed before this job touched the server (null: none). */
  previousVersion: z.string().nullable().optional(),
  /** msiexec's exit code once it ran. */
  exitCode: z.number().int().optional(),
  /** Set once msiexec was started, so that a crash during it is rolled back or finished, not rerun blindly. */
  msiexecStarted: z.boolean().optional(),
});
export type JournalHost = z.infer<typeof HostEntrySchema>;

export const InstallJournalSchema = z.object({
  format: z.literal('twinlock-journal/1'),
  jobId: z.string(),
  kind: z.literal('install'),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  startedAt: z.string(),
  updatedAt: z.string(),
  request: z.object({
    packageDir: z.string(),
    allowReboot: z.boolean(),
    force: z.boolean(),
  }),
  package: z.object({ version: z.string(), sha256: z.string(), file: z.string() }),
  hosts: z.array(HostEntrySchema),
});
export type InstallJournal = z.infer<typeof InstallJournalSchema>;

/** Records one install's progress; writes are serialised and atomic, and never fail the install. */
export interface StepJournal {
  /** The steps a server has completed. */
  completed(sessionId: string): Set<string>;
  /** The journal entry of a server. */
  host(sessionId: string): JournalHost | undefined;
  /** Marks a step completed on a server. */
  done(sessionId: string, step: InstallStep, extra?: Partial<JournalHost>): Promise<void>;
  /** Merges facts about a server (previous version, msiexec started). */
  note(sessionId: string, extra: Partial<JournalHost>): Promise<void>;
  /** Records how the job ended. */
  finish(state: InstallJournal['state']): Promise<void>;
  /** The whole journal, as last written. */
  snapshot(): InstallJournal;
}

/** The journal folder inside the data folder. */
export function journalDir(dataDir: string): string {
  return join(dataDir, 'journal');
}

function journalPath(dataDir: string, jobId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(jobId)) throw new Error(`invalid job id ${jobId}`);
  return join(journalDir(dataDir), `${jobId}.json`);
}

/** Creates (or continues) the journal of a job; the first write happens before it resolves. */
export async function openJournal(dataDir: string, initial: InstallJournal): Promise<StepJournal> {
  const current: InstallJournal = structuredClone(initial);
  const path = journalPath(dataDir, current.jobId);
  let chain: Promise<void> = Promise.resolve();
  const write = (change: (j: InstallJournal) => void): Promise<void> => {
    change(current);
    current.updatedAt = new Date().toISOString();
    const copy = structuredClone(current);
    // Each write replaces the whole file atomically; chaining keeps them in order.
    chain = chain.then(() => writeJsonFile(path, copy)).catch(() => undefined);
    return chain;
  };
  const entry = (sessionId: string) => current.hosts.find((h) => h.sessionId === sessionId);
  await write(() => undefined);
  return {
    completed: (sessionId) => new Set(Object.keys(entry(sessionId)?.steps ?? {})),
    host: (sessionId) => entry(sessionId),
    done: (sessionId, step, extra = {}) =>
      write(() => {
        const h = entry(sessionId);
        if (h) Object.assign(h, extra, { steps: { ...h.steps, [step]: new Date().toISOString() } });
      }),
    note: (sessionId, extra) =>
      write(() => {
        const h = entry(sessionId);
        if (h) Object.assign(h, extra);
      }),
    finish: (state) =>
      write((j) => {
        j.state = state;
      }),
    snapshot: () => structuredClone(current),
  };
}

/** Reads one journal; null when there is none. */
export function readJournal(dataDir: string, jobId: string): Promise<InstallJournal | null> {
  return readJsonFile(journalPath(dataDir, jobId), InstallJournalSchema);
}

/** Every readable journal, newest first; a damaged file is skipped rather than blocking the rest. */
export async function listJournals(dataDir: string): Promise<InstallJournal[]> {
  let names: string[];
  try {
    names = (await readdir(journalDir(dataDir))).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
  const out: InstallJournal[] = [];
  for (const name of names) {
    try {
      const j = await readJournal(dataDir, name.slice(0, -'.json'.length));
      if (j) out.push(j);
    } catch {
      // A damaged journal cannot be resumed; it stays on disk for inspection.
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** Deletes a journal. */
export async function removeJournal(dataDir: string, jobId: string): Promise<void> {
  await rm(journalPath(dataDir, jobId), { force: true });
}
