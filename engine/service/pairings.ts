/**
 * The engine's pairings: check a configuration (or a bundle) against both servers before anything
 * changes, run the pairing as a job with its journal on disk, resume or roll back one a stopped
 * Twinlock left behind, and take a pair apart on request (`unpair`).
 */
import type { z } from 'zod';
import type { ApiOutput, MethodName, methods } from '../api/contract';
import { TwinlockError, toErrorData } from '../api/errors';
import type { TwinlockErrorData } from '../api/errors';
import type { JobRef } from '../api/jobs';
import type { AgentStatus, Bundle, HostInventory, PairConfig, PairProposal, PairState } from '../api/models';
import type { JobRunner } from '../jobs/job-runner';
import type { PairJournal, PairJournalWriter } from '../jobs/pair-journal';
import {
  hasStep,
  listPairJournals,
  openPairJournal,
  readPairJournal,
  removePairJournal,
} from '../jobs/pair-journal';
import { FINISHED_JOURNAL_MAX_AGE_MS } from '../jobs/journal';
import type { JobContext } from '../jobs/types';
import type { PairTimings, PairMember } from '../pair/transaction';
import type { PreflightIssue } from '../pair/preflight';
import type { SessionStore } from './sessions';
import { preflightError, preflightPair } from '../pair/preflight';
import { checkWitnessFrom, witnessIssues } from '../pair/witness';
import { runPairing as runTransaction, unpairCommand } from '../pair/transaction';
import { resolvePackage } from '../agent/package-source';
import { proposePair } from '../pair/propose';
import { readStatus } from '../pair/status';
import { removePairFrom } from '../pair/unpair';

/** A method's input after parsing (defaults applied). */
type Parsed<M extends MethodName> = z.output<(typeof methods)[M]['input']>;

export interface PairingServiceDeps {
  sessions: SessionStore;
  jobs: JobRunner;
  dataDir: string;
  resourcesDir: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  timings?: PairTimings | undefined;
  /** Reads and verifies a bundle file (the engine's `readBundle`). */
  readBundle: (path: string) => Promise<Bundle>;
  /** True once the engine is closing: a running pairing then leaves its journal to resume. */
  closing: () => boolean;
}

export interface PairingService {
  pair(config: Parsed<'pair'>): Promise<JobRef>;
  preflightBundle(input: Parsed<'preflightBundle'>): Promise<ApiOutput<'preflightBundle'>>;
  unpair(input: Parsed<'unpair'>): Promise<ApiOutput<'unpair'>>;
  resumableJobs(): Promise<ApiOutput<'resumableJobs'>>;
  /** True when `jobId` names a pairing journal. */
  owns(jobId: string): Promise<boolean>;
  resumeJob(input: Parsed<'resumeJob'>): Promise<JobRef>;
  discardJob(input: Parsed<'discardJob'>): Promise<void>;
}

/** States of a pair that is on its way to protected (or there). */
const HEALTHY: ReadonlySet<PairState> = new Set(['pairing', 'mirroring', 'syncing', 'protected']);

export function createPairingService(deps: PairingServiceDeps): PairingService {
  const { sessions, jobs, dataDir, resourcesDir, log } = deps;
  /** Journals of pairings running in this process: not offered for resume. */
  const activeJournals = new Set<string>();
  const journalError = (err: unknown) =>
    log('warn', `The pairing journal could not be written: ${toErrorData(err).message}`);

  /** Both servers of a pairing, connected (a dropped connection is reopened with the pinned key). */
  const membersOf = async (config: PairConfig): Promise<[PairMember, PairMember]> =>
    (await Promise.all(
      [config.primary, config.secondary].map(async (id) => ({
        sessionId: id,
        label: sessions.entry(id).session.computerName,
        host: await sessions.hostOf(id),
        reconnect: () => sessions.hostOf(id),
      })),
    )) as [PairMember, PairMember];

  /** Both servers' inventories as they are now, and the pair preflight over them. */
  const preflight = async (
    ctx: JobContext<'pair'>,
    config: PairConfig,
    members: [PairMember, PairMember],
  ): Promise<HostInventory[]> => {
    ctx.progress(1, 'Checking the configuration against both servers');
    for (const m of members)
      ctx.host(m.sessionId, {
        label: m.label,
        state: 'running',
        step: 'preflight',
        percent: 0,
        message: 'Checking the configuration',
      });
    // The witness is reached from both servers while their inventories are read.
    const [inventories, witness] = await Promise.all([
      Promise.all(members.map((m) => sessions.readInventory(m.sessionId))),
      config.witness
        ? checkWitnessFrom(
            members.map((m) => ({ computerName: m.label, host: m.host })),
            config.witness,
            { signal: ctx.signal },
          )
        : Promise.resolve(null),
    ]);
    const issues = preflightPair({
      plan: config,
      inventories: [inventories[0]!, inventories[1]!],
      requireAgent: true,
      checkLevel: true,
    });
    if (witness && !issues.some((i) => i.field.startsWith('witness'))) issues.push(...witnessIssues(witness));
    if (issues.length > 0) throw preflightError(issues, 'apply');
    return inventories;
  };

  const newJournal = (jobId: string, config: PairConfig, agentVersion: string): PairJournal => {
    const now = new Date().toISOString();
    const host = (id: string, role: 'primary' | 'secondary') => {
      const s = sessions.entry(id).session;
      return {
        role,
        sessionId: id,
        computerName: s.computerName,
        address: s.address,
        port: s.port,
        username: s.username,
        fingerprint: s.fingerprint,
        steps: {},
      };
    };
    return {
      format: 'twinlock-journal/1',
      jobId,
      kind: 'pair',
      state: 'running',
      startedAt: now,
      updatedAt: now,
      pair: {
        name: config.name,
        level: config.level,
        links: config.links,
        witness: config.witness,
        vms: config.vms,
      },
      agentVersion,
      hosts: [host(config.primary, 'primary'), host(config.secondary, 'secondary')],
    };
  };

  /** How a pairing that threw ends in its journal (`running`: left to resume). */
  const endState = (err: unknown, ctx: JobContext<'pair'>): PairJournal['state'] => {
    if ((err as TwinlockError).detail?.resumable === true) return 'running';
    const undo = (err as TwinlockError).detail?.undo as { complete?: boolean } | undefined;
    if (undo?.complete === true) return 'rolled-back';
    return ctx.signal.aborted ? 'cancelled' : 'failed';
  };

  /** Runs the pairing itself, journal first; `owned` when resuming a pair this journal made. */
  const runPairing = async (
    ctx: JobContext<'pair'>,
    config: PairConfig,
    members: [PairMember, PairMember],
    journal: PairJournalWriter,
    owned: boolean,
  ) => {
    const outcome = await runTransaction(ctx, config, members[0], members[1], deps.timings, {
      recorder: journal,
      owned,
      shuttingDown: deps.closing,
    });
    await journal.finish('done');
    return outcome;
  };

  /** Runs `work` with the journal kept in step: closed as done, rolled back, failed or left to resume. */
  const withJournal = async <T>(
    ctx: JobContext<'pair'>,
    jobId: string,
    open: () => Promise<PairJournalWriter>,
    work: (journal: PairJournalWriter) => Promise<T>,
  ) => {
    activeJournals.add(jobId);
    let journal: PairJournalWriter | null = null;
    try {
      journal = await open();
      return await work(journal);
    } catch (err) {
      // Shutting down leaves the journal `running`, so that the next start offers to resume.
      const state = endState(err, ctx);
      if (!deps.closing() && journal && journal.snapshot().state === 'running' && state !== 'running')
        await journal.finish(state);
      throw err;
    } finally {
      activeJournals.delete(jobId);
    }
  };

  return {
    async pair(config) {
      const [p, s] = sessions.pairOf([config.primary, config.secondary], 'A pair');
      const labels = [p.session.computerName, s.session.computerName];
      log(
        'info',
        `Applying pair ${config.name}: ${labels[0]} primary, ${labels[1]} secondary, level ${config.level}.`,
      );
      return jobs.start(
        'pair',
        async (ctx) => {
          const members = await membersOf(config);
          // Nothing is journalled (nor changed) until the configuration passed its preflight.
          const inventories = await preflight(ctx, config, members);
          return withJournal(
            ctx,
            ctx.jobId,
            () =>
              openPairJournal(
                dataDir,
                newJournal(ctx.jobId, config, inventories[0]!.agentVersion ?? ''),
                journalError,
              ),
            (journal) => runPairing(ctx, config, members, journal, false),
          );
        },
        { [p.session.sessionId]: labels[0]!, [s.session.sessionId]: labels[1]! },
      );
    },

    async preflightBundle({ path, sessions: ids, name, packageDir }) {
      const [a, b] = sessions.pairOf(ids, 'A replay');
      const bundle = await deps.readBundle(path);
      const inventories = await Promise.all(ids.map((id) => sessions.readInventory(id)));
      const [primary, secondary] = [inventories[0]!, inventories[1]!];
      const issues: PreflightIssue[] = [];

      if (!/^[0-9a-fA-F]{64}$/.test(bundle.agent.sha256))
        issues.push({
          field: 'agent.sha256',
          message: 'The bundle’s agent reference is not a SHA-256 (64 hexadecimal digits).',
        });
      let agent: { version: string; sha256: string } | null = null;
      try {
        // The package the replay will install: the one the bundle names, found as `install --bundle` finds it.
        const pkg = await resolvePackage({
          dataDir,
          resourcesDir,
          bundlePath: path,
          ...(packageDir ? { packageDir } : {}),
        });
        agent = { version: pkg.manifest.version, sha256: pkg.manifest.sha256 };
      } catch (err) {
        issues.push({ field: packageDir ? 'packageDir' : 'package', message: toErrorData(err).message });
      }

      let proposal: PairProposal | null = null;
      try {
        proposal = proposePair(primary, secondary, {
          primary: a.session.sessionId,
          secondary: b.session.sessionId,
        });
      } catch (err) {
        issues.push({ field: 'links', message: toErrorData(err).message });
      }
      const config = replayConfig(bundle, proposal, name, a.session.sessionId, b.session.sessionId);
      const pairIssues = preflightPair({
        plan: config,
        inventories: [primary, secondary],
        requireAgent: false,
        fieldNames: {
          name: name === undefined ? 'pair.name' : 'name',
          level: 'pair.level',
          witness: 'pair.witness',
          vms: 'pair.vms',
        },
      });
      // Without a proposal there are no links to check: the proposal's own problem says why.
      issues.push(...pairIssues.filter((i) => proposal !== null || !i.field.startsWith('links')));
      if (issues.length > 0 || agent === null) throw preflightError(issues, 'replay the bundle');
      log(
        'info',
        `Bundle ${bundle.pair.name} checked against ${primary.computerName} and ${secondary.computerName}: nothing in the way.`,
      );
      return { bundle, config, agent };
    },

    async unpair({ sessions: ids }) {
      const entries = sessions.pairOf(ids, 'Unpairing');
      const hosts = await Promise.all(ids.map((id) => sessions.hostOf(id)));
      const statuses = await Promise.all(hosts.map((h) => readStatus(h)));
      // The primary first: it holds the VMs' protection, which goes before the pair.
      const order = statuses[1]!.role === 'primary' ? [1, 0] : [0, 1];
      const outcomes: ApiOutput<'unpair'> = [];
      for (const [n, i] of order.entries()) {
        const name = entries[i]!.session.computerName;
        // The second server is read again: removing the pair on the first may have reached it too.
        const outcome = await removePairFrom(hosts[i]!, name, {
          removePair: true,
          ...(n === 0 ? { status: statuses[i]! } : {}),
        });
        outcomes[i] = outcome;
        if (outcome.pair)
          log(
            'info',
            `Removed ${name} from pair ${outcome.pair}${outcome.unprotected.length > 0 ? ` (unprotected ${outcome.unprotected.join(', ')})` : ''}.`,
          );
      }
      return outcomes;
    },

    async resumableJobs() {
      const now = Date.now();
      const journals = await listPairJournals(dataDir);
      for (const j of journals) {
        if (j.state !== 'running' && now - Date.parse(j.updatedAt) > FINISHED_JOURNAL_MAX_AGE_MS)
          await removePairJournal(dataDir, j.jobId).catch(() => undefined);
      }
      return journals
        .filter((j) => j.state === 'running' && !activeJournals.has(j.jobId))
        .map((j) => ({
          jobId: j.jobId,
          kind: 'pair' as const,
          startedAt: j.startedAt,
          updatedAt: j.updatedAt,
          version: j.agentVersion,
          pair: j.pair,
          hosts: j.hosts.map((h) => ({
            computerName: h.computerName,
            address: h.address,
            port: h.port,
            username: h.username,
            completed: Object.keys(h.steps),
          })),
          needsPassword: j.hosts.some((h) => !sessions.sessionFor(h)),
        }));
    },

    async owns(jobId) {
      return (await readPairJournal(dataDir, jobId).catch(() => null)) !== null;
    },

    async resumeJob({ jobId, password, privateKey, passphrase }) {
      const journal = await readPairJournal(dataDir, jobId);
      if (!journal || journal.state !== 'running' || activeJournals.has(jobId)) {
        throw new TwinlockError({
          code: 'not-found',
          message: `There is no interrupted pairing with id ${jobId} to resume.`,
          hint: 'Pair the servers again; a pair already made on both is followed, not made twice.',
          detail: { jobId },
        });
      }
      const ids = await sessions.reopen(
        journal.hosts,
        { password, privateKey, passphrase },
        { jobId, resuming: 'the pairing' },
      );
      const config: PairConfig = { ...journal.pair, primary: ids[0]!, secondary: ids[1]! };
      log(
        'info',
        `Resuming the pairing of ${config.name} on ${journal.hosts.map((h) => h.computerName).join(' and ')}.`,
      );
      return jobs.start(
        'pair',
        (ctx) =>
          withJournal(
            ctx,
            jobId,
            async () => {
              const writer = await openPairJournal(dataDir, journal, journalError);
              await writer.sessions(ids[0]!, ids[1]!);
              return writer;
            },
            (writer) => resume(ctx, config, journal, writer),
          ),
        Object.fromEntries(ids.map((id) => [id, sessions.entry(id).session.computerName])),
      );
    },

    async discardJob({ jobId }) {
      if (activeJournals.has(jobId)) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `jobId: pairing ${jobId} is running; cancel it first.`,
          detail: { field: 'jobId' },
        });
      }
      await removePairJournal(dataDir, jobId);
    },
  };

  /** Finishes a pair healthy on both servers, makes one nothing was made of yet, or removes a half-made one. */
  async function resume(
    ctx: JobContext<'pair'>,
    config: PairConfig,
    journal: PairJournal,
    writer: PairJournalWriter,
  ) {
    const members = await membersOf(config);
    for (const m of members)
      ctx.host(m.sessionId, {
        label: m.label,
        state: 'running',
        step: 'resume',
        percent: 0,
        message: `Reading ${config.name} on ${m.label}`,
      });
    ctx.progress(1, `Resuming ${config.name}: reading both servers`);
    // Both servers must answer: with one of them silent, nothing can be decided (the journal stays to resume later).
    let statuses: AgentStatus[];
    try {
      statuses = await Promise.all(members.map((m) => readStatus(m.host, { signal: ctx.signal })));
    } catch (err) {
      const data = toErrorData(err, 'reading the servers');
      throw new TwinlockError(
        {
          code: data.code,
          message: `Twinlock cannot resume ${config.name} yet: ${data.message}`,
          hint: 'Nothing was changed. When both servers answer, resume again (twinlock pair --resume).',
          detail: { step: 'resume', resumable: true },
        } as TwinlockErrorData,
        { cause: err },
      );
    }
    const roles = ['primary', 'secondary'] as const;
    const healthy = statuses.every(
      (st, i) => st.pair?.name === config.name && st.role === roles[i] && HEALTHY.has(st.pair.state),
    );
    const anything = statuses.some((st) => st.pair?.name === config.name);
    const made = hasStep(journal.hosts[0], 'create-sent');

    if (healthy) {
      // Already made: no preflight (it guards changes not yet made); a failure from here on undoes the pair.
      log('info', `${config.name} is healthy on both servers: finishing it.`);
      return runPairing(ctx, config, members, writer, made);
    }
    if (!anything && !made) {
      // Nothing was made before Twinlock stopped: the pairing starts over, with a new token.
      await preflight(ctx, config, members);
      return runPairing(ctx, config, members, writer, false);
    }
    const why = !anything
      ? 'nothing of it is left on either server'
      : reasonOf(statuses, members, config.name);
    const remains = anything ? await rollBack(ctx, config, members, statuses) : [];
    if (remains.length > 0) {
      const command = unpairCommand(members[0].host, members[1].host);
      await writer.finish('failed');
      throw new TwinlockError({
        code: 'connection-lost',
        message: `The interrupted pairing of ${config.name} could not be finished (${why}), and Twinlock could not remove all of it: ${remains.join('; ')}.`,
        hint: `When the server answers again, remove what is left with: ${command}`,
        detail: { step: 'resume', undo: { complete: false, remains, command } },
      });
    }
    await writer.finish('rolled-back');
    throw new TwinlockError({
      code: 'cancelled',
      message: `The interrupted pairing of ${config.name} could not be finished (${why}); Twinlock rolled it back: ${members[0].label} and ${members[1].label} are not paired.`,
      hint: `Pair them again when ready (twinlock pair ${journal.hosts.map((h) => `${h.address}:${h.port}`).join(' ')} --name ${config.name}).`,
      detail: { step: 'resume', undo: { complete: true, remains: [] } },
    });
  }

  /** Removes pair `name` from each server that holds it; returns what could not be removed. */
  async function rollBack(
    ctx: JobContext<'pair'>,
    config: PairConfig,
    members: [PairMember, PairMember],
    statuses: AgentStatus[],
  ): Promise<string[]> {
    const remains: string[] = [];
    ctx.progress(5, `Rolling back ${config.name}`);
    for (const [i, m] of members.entries()) {
      const lines: string[] = [];
      const undoStep = (percent: number, line: string) => {
        lines.push(line);
        ctx.host(m.sessionId, {
          state: 'running',
          step: 'undo',
          percent,
          message: `Undoing: ${line}`,
          logTail: [...lines],
        });
      };
      if (statuses[i]!.pair?.name !== config.name) {
        undoStep(100, `Nothing of ${config.name} on ${m.label}`);
        continue;
      }
      try {
        // Read again: removing the pair on the primary may have removed it here too.
        await removePairFrom(m.host, m.label, {
          name: config.name,
          removePair: true,
          ...(i === 0 ? { status: statuses[i]! } : {}),
          onStep: (line) => undoStep(50, line),
        });
        undoStep(100, `${m.label} is no longer paired`);
      } catch (err) {
        const reason = toErrorData(err).message;
        undoStep(100, `Could not undo on ${m.label}: ${reason}`);
        remains.push(`${m.label} still holds its part of pair ${config.name} (${reason})`);
      }
    }
    return remains;
  }
}

/** Why a pair found after a crash cannot be finished. */
function reasonOf(statuses: AgentStatus[], members: [PairMember, PairMember], name: string): string {
  for (const [i, st] of statuses.entries()) {
    const m = members[i]!;
    if (st.pair?.name !== name) return `${m.label} had not joined it`;
    if (!HEALTHY.has(st.pair.state)) return `${m.label} reports it ${st.pair.state}`;
  }
  return 'the servers disagree about their roles';
}

/** The configuration a bundle makes on a new pair: its name, level, witness and VMs, links over the new servers' adapters. */
function replayConfig(
  bundle: Bundle,
  proposal: PairProposal | null,
  name: string | undefined,
  primary: string,
  secondary: string,
): PairConfig {
  const base = {
    name: name ?? bundle.pair.name,
    level: bundle.pair.level,
    primary,
    secondary,
    witness: bundle.pair.witness,
    vms: bundle.pair.vms,
  };
  if (!proposal) return { ...base, links: bundle.pair.links };
  // Sync links keep the bundle's adapters where the new servers have them (same hardware model);
  // addresses always come from the new servers.
  const nicsA = new Set(proposal.nics[0].map((n) => n.name));
  const nicsB = new Set(proposal.nics[1].map((n) => n.name));
  const sameNics = bundle.pair.links.every((l) => nicsA.has(l.localNic) && nicsB.has(l.remoteNic));
  const kept = sameNics
    ? proposal.config.links.filter((l) => bundle.pair.links.some((b) => b.localNic === l.localNic))
    : proposal.config.links;
  return { ...base, links: kept.length > 0 ? kept : proposal.config.links };
}
