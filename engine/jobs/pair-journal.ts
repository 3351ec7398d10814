/**
 * The journal of a pairing on disk (`<dataDir>/journal/pair/<jobId>.json`): the configuration (no
 * session, no token), the two servers, and each step as it completes. A Twinlock killed mid-pairing
 * finds it on the next start; resuming reads both servers and either finishes a pair that is
 * healthy on both or removes what was made. Every change goes through the file's cross-process
 * lock, so a second Twinlock process never loses a step. It holds addresses, user names and
 * pinned fingerprints, never a password and never the pairing token.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PairPlanSchema, PlanSchema } from '../api/models';
import { readJsonFile, updateJsonFile } from '../store';
import { invalidJobId, journalDir, listJournalFiles } from './journal';

const PairJournalHostSchema = z.object({
  role: z.enum(['primary', 'secondary']),
  sessionId: z.string(),
  computerName: z.string(),
  address: z.string(),
  port: z.number().int(),
  username: z.string(),
  fingerprint: z.string(),
  /**
   * Completed steps (`address:<adapter>|<address>`, `links`, `create-sent`, `create`, `join-sent`, `join`, `protect:<vm>`, `protect`, `protected`, `address-removed:…`, `undo`), with when.
   * Level 1: `sent:<step id>`, `done:<step id>` and `undone:<step id>` of the plan's steps.
   */
  steps: z.record(z.string(), z.string()),
});
export type PairJournalHost = z.infer<typeof PairJournalHostSchema>;

export const PairJournalSchema = z.object({
  format: z.literal('twinlock-journal/1'),
  jobId: z.string(),
  /** `apply` in journals written before the pairing job was named `pair`. */
  kind: z.enum(['pair', 'apply']).transform((): 'pair' => 'pair'),
  /** `rolled-back`: what was made was removed again (after a failure or an interrupted run). */
  state: z.enum(['running', 'done', 'failed', 'cancelled', 'rolled-back']),
  startedAt: z.string(),
  updatedAt: z.string(),
  pair: PairPlanSchema,
  /** The agent version on the primary when the pairing started. */
  agentVersion: z.string(),
  /**
   * The link addresses the pairing's plan sets, in order. Each is recorded on its server as
   * `address:<adapter>|<address>` before it is set, and `address-removed:…` once an undo removed it.
   */
  addresses: z
    .array(
      z.object({
        role: z.enum(['primary', 'secondary']),
        adapter: z.string(),
        address: z.string(),
        prefixLength: z.number().int(),
      }),
    )
    .optional(),
  /** The hash of the plan being applied. */
  planHash: z.string().optional(),
  /**
   * Level 1: the plan being applied, which a resume finishes or takes back. Its cloud witness
   * step holds the placeholder, never the access key (a resume needs the key given again).
   */
  plan: PlanSchema.optional(),
  hosts: z.tuple([PairJournalHostSchema, PairJournalHostSchema]),
});
export type PairJournal = z.infer<typeof PairJournalSchema>;

/** Records one pairing's steps; a failed write is reported to `onError` and never stops the pairing. */
export interface PairJournalWriter {
  step(role: 'primary' | 'secondary', step: string): Promise<void>;
  /** Points the journal at the sessions of a resumed run. */
  sessions(primary: string, secondary: string): Promise<void>;
  finish(state: PairJournal['state']): Promise<void>;
  snapshot(): PairJournal;
}

/** Pairing journals live beside installation journals, in their own folder. */
export function pairJournalDir(dataDir: string): string {
  return join(journalDir(dataDir), 'pair');
}

function isJobId(jobId: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(jobId);
}

function pairJournalPath(dataDir: string, jobId: string): string {
  if (!isJobId(jobId)) throw invalidJobId(jobId);
  return join(pairJournalDir(dataDir), `${jobId}.json`);
}

/** Creates (or continues) a pairing journal; the first write happens before it resolves. */
export async function openPairJournal(
  dataDir: string,
  initial: PairJournal,
  onError: (err: unknown) => void = () => undefined,
): Promise<PairJournalWriter> {
  const path = pairJournalPath(dataDir, initial.jobId);
  let current: PairJournal = structuredClone(initial);
  let chain: Promise<void> = Promise.resolve();
  const change = (edit: (j: PairJournal) => void): Promise<void> => {
    const write = () =>
      updateJsonFile(
        path,
        PairJournalSchema,
        () => structuredClone(current),
        (file) => {
          edit(file);
          file.updatedAt = new Date().toISOString();
          current = structuredClone(file);
        },
      );
    chain = chain.then(write).catch(onError);
    return chain;
  };
  await change(() => undefined);
  const host = (j: PairJournal, role: 'primary' | 'secondary') => j.hosts[role === 'primary' ? 0 : 1];
  return {
    step: (role, step) =>
      change((j) => {
        host(j, role).steps[step] = new Date().toISOString();
      }),
    sessions: (primary, secondary) =>
      change((j) => {
        j.hosts[0].sessionId = primary;
        j.hosts[1].sessionId = secondary;
      }),
    finish: (state) =>
      change((j) => {
        j.state = state;
      }),
    snapshot: () => structuredClone(current),
  };
}

/** Reads one pairing journal; null when there is none. */
export async function readPairJournal(dataDir: string, jobId: string): Promise<PairJournal | null> {
  if (!isJobId(jobId)) return null;
  return readJsonFile(pairJournalPath(dataDir, jobId), PairJournalSchema);
}

/** Every readable pairing journal, newest first; a damaged file is skipped. */
export async function listPairJournals(dataDir: string): Promise<PairJournal[]> {
  return listJournalFiles(pairJournalDir(dataDir), (jobId) => readPairJournal(dataDir, jobId));
}

/** Deletes a pairing journal. */
export async function removePairJournal(dataDir: string, jobId: string): Promise<void> {
  if (!isJobId(jobId)) return;
  await rm(pairJournalPath(dataDir, jobId), { force: true });
}

/** True when a step was recorded on the server. */
export function hasStep(host: PairJournalHost, step: string): boolean {
  return Object.prototype.hasOwnProperty.call(host.steps, step);
}
