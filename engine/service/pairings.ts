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
import type {
  AgentStatus,
  Bundle,
  DriftItem,
  HostInventory,
  PairConfig,
  PairProposal,
  PairState,
  ReplayValues,
} from '../api/models';
import { compareDrift } from '../pair/drift';
import { pairPlanOf } from '../pair/plan';
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
import { applyClusterPlan, checkCloudKey } from '../pair/apply-cluster';
import { readClusterState, statusFromCluster } from '../pair/cluster-status';
import { resumeClusterPairing } from '../pair/resume-cluster';
import { removePairFrom } from '../pair/unpair';
import type { LinkAddress, PlanServerState, ScriptReader } from '../pair/plan';
import { readLinkAddressRecord } from '../pair/link-record';
import { addressKey } from '../pair/transaction';
import {
  applyUnpairPlan,
  checkPlanHash,
  checkPlanNow,
  linkAddressesOf,
  planPair,
  planUnpair,
  runReconcileRemovals,
} from '../pair/apply-plan';
import { readScript } from '../remote/session';
import { replayCluster } from '../api/cluster-replay';
import type { ReplayServer } from '../api/cluster-replay';
import type { Plan } from '../api/models';
import type { ClusterEvidence } from '../verify/cluster';

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
  /** Told of each pairing plan about to be applied (the protection report shows it). */
  planApplied?: (plan: Plan) => Promise<void>;
  /** Level 1's prerequisites as the last verification at Level 1 of these sessions read them, or null. */
  clusterEvidence?: (sessions: readonly [string, string]) => ClusterEvidence | null;
}

export interface PairingService {
  pair(config: Parsed<'pair'>): Promise<JobRef>;
  plan(request: Parsed<'plan'>): Promise<Plan>;
  applyPlan(request: Parsed<'applyPlan'>): Promise<JobRef>;
  preflightBundle(input: Parsed<'preflightBundle'>): Promise<ApiOutput<'preflightBundle'>>;
  /** How the pair on two servers differs from a bundle's configuration (the verification rules excepted). */
  driftOf(
    bundle: Bundle,
    sessions: readonly [string, string],
    values: ReplayValues,
  ): Promise<{ config: PairConfig; items: DriftItem[]; servers: [string, string] }>;
  unpair(input: Parsed<'unpair'>): Promise<ApiOutput<'unpair'>>;
  resumableJobs(): Promise<ApiOutput<'resumableJobs'>>;
  /** True when `jobId` names a pairing journal. */
  owns(jobId: string): Promise<boolean>;
  resumeJob(input: Parsed<'resumeJob'>): Promise<JobRef>;
  discardJob(input: Parsed<'discardJob'>): Promise<void>;
}

/** What a Level 1 pairing's journal names in place of an agent version (it installs none). */
const LEVEL1_VERSION = 'Failover Clustering';

/** A Level 1 pairing's completed steps on one server: the ids of the plan's steps done and not undone. */
function level1Completed(host: PairJournal['hosts'][number]): string[] {
  return Object.keys(host.steps)
    .filter((k) => k.startsWith('done:') && !hasStep(host, `undone:${k.slice('done:'.length)}`))
    .map((k) => k.slice('done:'.length));
}

/** States of a pair that is on its way to protected (or there). */
const HEALTHY: ReadonlySet<PairState> = new Set(['pairing', 'mirroring', 'syncing', 'protected']);

export function createPairingService(deps: PairingServiceDeps): PairingService {
  const { sessions, jobs, dataDir, resourcesDir, log } = deps;
  /** Journals of pairings running in this process: not offered for resume. */
  const activeJournals = new Set<string>();
  const journalError = (err: unknown) =>
    log('warn', `The pairing journal could not be written: ${toErrorData(err).message}`);

  const scripts: ScriptReader = (name) => readScript(resourcesDir, name);

  /** One server as a plan reads it: its session, a fresh inventory, its agent's status and its record of the link addresses Twinlock added. */
  const readServer = async (id: string): Promise<PlanServerState> => {
    const inventory = await sessions.readInventory(id);
    const host = await sessions.hostOf(id);
    // A server without the agent is in no pair: the preflight then says to install it first,
    // rather than twinlockctl's own "not found".
    const s = sessions.entry(id).session;
    // A Level 1 pair has no agent: its status is read from the cluster the servers are nodes of.
    const [cluster, linkAddresses] = await Promise.all([readClusterState(host), readLinkAddressRecord(host)]);
    const status =
      statusFromCluster(s.computerName, cluster) ??
      (inventory.agentVersion === null
        ? ({ nodeId: '', role: 'none', pair: null, vms: [] } satisfies AgentStatus)
        : await readStatus(host));
    return {
      session: { computerName: s.computerName, address: s.address, port: s.port, fingerprint: s.fingerprint },
      inventory,
      status,
      linkAddresses,
      cluster,
    };
  };

  /** The sessions of a plan's servers, in its order: given (matched by host key) or found by address and port. */
  const sessionsOfPlan = (plan: Plan, given?: readonly [string, string]): [string, string] => {
    const open = given ? given.map((id) => sessions.entry(id).session) : sessions.list();
    return plan.servers.map((srv) => {
      const byKey = open.find((o) => o.fingerprint === srv.fingerprint);
      if (byKey && (given || (byKey.address === srv.address && byKey.port === srv.port)))
        return byKey.sessionId;
      const at = open.find((o) => o.address === srv.address && o.port === srv.port);
      if (at) {
        throw new TwinlockError({
          code: 'plan-stale',
          message: `${srv.address}:${srv.port} is not the server the plan was made for: its host key is ${at.fingerprint}, the plan's ${srv.computerName} had ${srv.fingerprint}. Nothing was changed.`,
          hint: 'Plan again against the servers you mean to pair.',
          detail: {
            drift: [
              { server: srv.computerName, what: 'host key', planned: srv.fingerprint, now: at.fingerprint },
            ],
          },
        });
      }
      throw new TwinlockError({
        code: 'not-found',
        message: `The plan's ${srv.role}, ${srv.computerName} (${srv.address}:${srv.port}), is not connected${given ? ' among the sessions given' : ''}.`,
        hint: `Connect to ${srv.address}:${srv.port} first, then apply the plan again.`,
        detail: { address: srv.address, port: srv.port },
      });
    }) as [string, string];
  };

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
      // A disk or cloud witness is the cluster's own: Set-ClusterQuorum checks it, nothing can reach it first.
      config.witness && (config.witness.kind === 'host' || config.witness.kind === 'file-share')
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
      cluster: deps.clusterEvidence?.([members[0]!.sessionId, members[1]!.sessionId]) ?? null,
    });
    if (witness && !issues.some((i) => i.field.startsWith('witness'))) issues.push(...witnessIssues(witness));
    if (issues.length > 0) throw preflightError(issues, 'apply');
    return inventories;
  };

  const newJournal = (
    jobId: string,
    config: PairConfig,
    agentVersion: string,
    addresses: LinkAddress[] = [],
    planHash?: string,
  ): PairJournal => {
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
        ...(config.cluster ? { cluster: config.cluster } : {}),
      },
      agentVersion,
      addresses,
      ...(planHash ? { planHash } : {}),
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
    addresses: { set?: LinkAddress[]; owned?: LinkAddress[]; planHash?: string; remade?: boolean } = {},
  ) => {
    const outcome = await runTransaction(ctx, config, members[0], members[1], deps.timings, {
      recorder: journal,
      owned,
      shuttingDown: deps.closing,
      ...(addresses.remade ? { remade: true } : {}),
      ...(addresses.set ? { addresses: addresses.set } : {}),
      ...(addresses.owned ? { ownedAddresses: addresses.owned } : {}),
    });
    await journal.finish('done');
    return addresses.planHash ? { ...outcome, planHash: addresses.planHash } : outcome;
  };

  /** Applies a pairing plan inside its job: journal first, then the transaction with the plan's addresses. */
  const applyPairPlan = (
    ctx: JobContext<'pair'>,
    plan: Plan,
    config: PairConfig,
    members: [PairMember, PairMember],
    agentVersion: string,
  ) => {
    const set = linkAddressesOf(plan);
    return withJournal(
      ctx,
      ctx.jobId,
      () =>
        openPairJournal(dataDir, newJournal(ctx.jobId, config, agentVersion, set, plan.hash), journalError),
      async (journal) => {
        // An existing pair brought back: its VMs unprotected and, when it is made again, removed first.
        if (plan.corrects !== undefined) await runReconcileRemovals(ctx, plan, members);
        const remade = plan.steps.some((s) => s.id.endsWith('/remove'));
        return runPairing(ctx, config, members, journal, false, { set, planHash: plan.hash, remade });
      },
    );
  };

  /**
   * Applies a Level 1 plan inside its job, journal first: the plan (its cloud witness key never)
   * and each step as it is sent and done, so that a stopped Twinlock can finish or take it back.
   */
  const applyLevel1 = (
    ctx: JobContext<'pair'>,
    plan: Plan,
    config: PairConfig,
    members: [PairMember, PairMember],
    cloudWitnessKey: string | undefined,
  ) => {
    // A missing key is refused before anything is journalled or changed.
    checkCloudKey(plan, cloudWitnessKey);
    return withJournal(
      ctx,
      ctx.jobId,
      () =>
        openPairJournal(
          dataDir,
          {
            ...newJournal(ctx.jobId, config, LEVEL1_VERSION, linkAddressesOf(plan), plan.hash),
            plan,
          },
          journalError,
        ),
      async (journal) => {
        try {
          const outcome = await applyClusterPlan(ctx, plan, members, {
            cloudWitnessKey,
            recorder: journal,
            clock: deps.timings?.clock,
          });
          await journal.finish('done');
          return outcome;
        } catch (err) {
          // Undone in full (even while Twinlock closes): nothing is left to resume.
          if (endState(err, ctx) === 'rolled-back') await journal.finish('rolled-back');
          throw err;
        }
      },
    );
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
          await preflight(ctx, config, members);
          // `pair` is planning and applying at once: the plan is made from both servers as read now.
          const states = await Promise.all([readServer(config.primary), readServer(config.secondary)]);
          const plan = await planPair(config, states[0], states[1], scripts);
          await deps.planApplied?.(plan);
          // Level 1 through `pair`: no cloud witness key can come this way (checkCloudKey refuses it).
          if (plan.pair.level === 1) return applyLevel1(ctx, plan, config, members, undefined);
          return applyPairPlan(ctx, plan, config, members, states[0].inventory.agentVersion ?? '');
        },
        { [p.session.sessionId]: labels[0]!, [s.session.sessionId]: labels[1]! },
      );
    },

    async plan(request) {
      if (request.kind === 'pair') {
        const config = request.config;
        sessions.pairOf([config.primary, config.secondary], 'A plan');
        const states = await Promise.all([readServer(config.primary), readServer(config.secondary)]);
        const issues = preflightPair({
          plan: config,
          inventories: [states[0].inventory, states[1].inventory],
          requireAgent: true,
        });
        if (issues.length > 0) throw preflightError(issues, 'plan');
        return planPair(config, states[0], states[1], scripts);
      }
      sessions.pairOf(request.sessions, 'Unpairing');
      const states = await Promise.all(request.sessions.map((id) => readServer(id)));
      return planUnpair(states[0]!, states[1]!, scripts, { removeFeature: request.removeFeature });
    },

    async applyPlan({ plan, sessions: given, cloudWitnessKey }) {
      checkPlanHash(plan);
      // A cloud witness's key: given now or the plan is refused, before either server is read.
      checkCloudKey(plan, cloudWitnessKey);
      const ids = sessionsOfPlan(plan, given);
      sessions.pairOf(ids, 'A plan');
      // Both servers are read again and compared with the plan's basis before anything changes.
      const states = await Promise.all(ids.map((id) => readServer(id)));
      await checkPlanNow(plan, [states[0]!, states[1]!], scripts);
      const labels = ids.map((id) => sessions.entry(id).session.computerName);
      const hostsOf = { [ids[0]]: labels[0]!, [ids[1]]: labels[1]! };
      if (plan.kind === 'unpair') {
        log('info', `Applying the plan to unpair ${labels.join(' and ')} (${plan.hash.slice(0, 12)}).`);
        return jobs.start(
          'pair',
          async (ctx) => {
            const members = await membersOf({ primary: ids[0], secondary: ids[1] } as PairConfig);
            const result = await applyUnpairPlan(ctx, plan, members, deps.timings?.clock);
            for (const o of result.unpaired ?? [])
              if (o.pair) log('info', `Removed ${o.computerName} from pair ${o.pair}.`);
            return result;
          },
          hostsOf,
        );
      }
      const config: PairConfig = { ...plan.pair, primary: ids[0], secondary: ids[1] };
      log(
        'info',
        `Applying the plan of pair ${config.name} (${plan.hash.slice(0, 12)}): ${labels[0]} primary, ${labels[1]} secondary.`,
      );
      return jobs.start(
        'pair',
        async (ctx) => {
          const members = await membersOf(config);
          await preflight(ctx, config, members);
          if (plan.pair.level === 1) return applyLevel1(ctx, plan, config, members, cloudWitnessKey);
          return applyPairPlan(ctx, plan, config, members, states[0]!.inventory.agentVersion ?? '');
        },
        hostsOf,
      );
    },

    async driftOf(bundle, ids, values) {
      const [a, b] = sessions.pairOf(ids, 'A drift check');
      const states = await Promise.all([readServer(ids[0]), readServer(ids[1])]);
      const issues: PreflightIssue[] = [];
      let proposal: PairProposal | null = null;
      try {
        proposal = proposePair(states[0].inventory, states[1].inventory, {
          primary: a.session.sessionId,
          secondary: b.session.sessionId,
        });
      } catch {
        // Without a proposal the bundle's own links are compared.
      }
      const config = replayConfig(
        bundle,
        proposal,
        values,
        a.session.sessionId,
        b.session.sessionId,
        issues,
        [a.session, b.session],
      );
      if (issues.length > 0) throw preflightError(issues, 'check for drift');
      const items = compareDrift(
        // Level 1 has no agent: the bundle's agent reference is not compared.
        { ...pairPlanOf(config), agentVersion: bundle.pair.level === 1 ? null : bundle.agent.version },
        states[0],
        states[1],
      );
      return {
        config,
        items,
        servers: [states[0].session.computerName, states[1].session.computerName],
      };
    },

    async preflightBundle({
      path,
      sessions: ids,
      name,
      vms,
      linkAddresses,
      clusterName,
      clusterAddress,
      packageDir,
    }) {
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
      // Level 1 installs no agent (Windows' Failover Clustering instead): no package to find.
      if (bundle.pair.level === 1) agent = { version: bundle.agent.version, sha256: bundle.agent.sha256 };
      else
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
      const values: ReplayValues = {
        ...(name !== undefined ? { name } : {}),
        ...(vms !== undefined ? { vms } : {}),
        ...(linkAddresses !== undefined ? { linkAddresses } : {}),
        ...(clusterName !== undefined ? { clusterName } : {}),
        ...(clusterAddress !== undefined ? { clusterAddress } : {}),
      };
      const config = replayConfig(
        bundle,
        proposal,
        values,
        a.session.sessionId,
        b.session.sessionId,
        issues,
        [a.session, b.session],
      );
      // The bundle's witness must be reachable from the new servers too, before the agent is installed
      // (a disk or cloud witness is the cluster's own: Set-ClusterQuorum checks it as it sets it).
      const witness =
        config.witness && (config.witness.kind === 'host' || config.witness.kind === 'file-share')
          ? await checkWitnessFrom(
              await Promise.all(
                [a, b].map(async (e) => ({
                  computerName: e.session.computerName,
                  host: await sessions.hostOf(e.session.sessionId),
                })),
              ),
              config.witness,
            )
          : null;
      const pairIssues = preflightPair({
        plan: config,
        inventories: [primary, secondary],
        requireAgent: false,
        fieldNames: {
          name: name === undefined ? 'pair.name' : 'name',
          level: 'pair.level',
          witness: 'pair.witness',
          vms: vms === undefined ? 'pair.vms' : 'vms',
          ...(linkAddresses !== undefined ? { links: 'linkAddresses' } : {}),
        },
      });
      // Without a proposal there are no links to check: the proposal's own problem says why.
      issues.push(
        ...pairIssues.filter(
          (i) => proposal !== null || linkAddresses !== undefined || !i.field.startsWith('links'),
        ),
      );
      if (witness && !issues.some((i) => i.field.startsWith('pair.witness')))
        issues.push(...witnessIssues(witness, 'pair.witness.address'));
      if (issues.length > 0 || agent === null) throw preflightError(issues, 'replay the bundle');
      log(
        'info',
        `Bundle ${bundle.pair.name} checked against ${primary.computerName} and ${secondary.computerName}: nothing in the way.`,
      );
      return { bundle, config, agent };
    },

    async unpair({ sessions: ids, removeFeature }) {
      sessions.pairOf(ids, 'Unpairing');
      // The unpair plan, made and run at once: VMs unprotected, the pair removed, the link addresses Twinlock added removed (the admin's stay).
      const states = await Promise.all(ids.map((id) => readServer(id)));
      const plan = await planUnpair(states[0]!, states[1]!, scripts, { removeFeature });
      const planned = sessionsOfPlan(plan, ids);
      const members = await membersOf({ primary: planned[0], secondary: planned[1] } as PairConfig);
      const result = await applyUnpairPlan(null, plan, members, deps.timings?.clock);
      const outcomes = result.unpaired ?? [];
      for (const o of outcomes)
        if (o.pair)
          log(
            'info',
            `Removed ${o.computerName} from pair ${o.pair}${o.unprotected.length > 0 ? ` (unprotected ${o.unprotected.join(', ')})` : ''}.`,
          );
      // Answered in the order the sessions were given.
      return ids.map((id) => outcomes[planned.indexOf(id)]!) as ApiOutput<'unpair'>;
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
            completed: j.plan && j.pair.level === 1 ? level1Completed(h) : Object.keys(h.steps),
          })),
          needsPassword: j.hosts.some((h) => !sessions.sessionFor(h)),
        }));
    },

    async owns(jobId) {
      return (await readPairJournal(dataDir, jobId).catch(() => null)) !== null;
    },

    async resumeJob({ jobId, password, privateKey, passphrase, cloudWitnessKey }) {
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
            (writer) =>
              journal.plan && journal.pair.level === 1
                ? resumeLevel1(ctx, config, journal.plan, writer, cloudWitnessKey)
                : resume(ctx, config, journal, writer),
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

  /** Level 1: finishes the cluster this pairing was making, or takes back what it made (resume-cluster.ts). */
  async function resumeLevel1(
    ctx: JobContext<'pair'>,
    config: PairConfig,
    plan: Plan,
    writer: PairJournalWriter,
    cloudWitnessKey: string | undefined,
  ) {
    const members = await membersOf(config);
    return resumeClusterPairing(ctx, plan, members, writer.snapshot().hosts, writer, {
      cloudWitnessKey,
      clock: deps.timings?.clock,
      preflight: async () => {
        await preflight(ctx, config, members);
      },
    });
  }

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
    // A pair of this name at another level or with another witness is not the one this pairing
    // makes (a pair being brought back, stopped before it was removed): it is not finished as it is.
    const healthy = statuses.every(
      (st, i) =>
        st.pair?.name === config.name &&
        st.role === roles[i] &&
        HEALTHY.has(st.pair.state) &&
        st.pair.level === config.level &&
        (st.pair.witness?.address ?? null) === (config.witness?.address ?? null),
    );
    const anything = statuses.some((st) => st.pair?.name === config.name);
    const made = hasStep(journal.hosts[0], 'create-sent');
    // Link addresses this pairing set before it stopped: an undo removes them, as it would have.
    const planned = journal.addresses ?? [];
    const owned = planned.filter((a) => {
      const h = journal.hosts[a.role === 'primary' ? 0 : 1];
      return hasStep(h, `address:${addressKey(a)}`) && !hasStep(h, `address-removed:${addressKey(a)}`);
    });
    const planHash = journal.planHash;

    if (healthy) {
      // Already made: no preflight (it guards changes not yet made); a failure from here on undoes the pair.
      log('info', `${config.name} is healthy on both servers: finishing it.`);
      return runPairing(ctx, config, members, writer, made, { owned, ...(planHash ? { planHash } : {}) });
    }
    if (!anything && !made) {
      // Nothing was made before Twinlock stopped: the pairing starts over, with a new token.
      await preflight(ctx, config, members);
      return runPairing(ctx, config, members, writer, false, {
        set: planned,
        owned,
        ...(planHash ? { planHash } : {}),
      });
    }
    const why = !anything
      ? 'nothing of it is left on either server'
      : reasonOf(statuses, members, config.name);
    const remains = [
      ...(anything ? await rollBack(ctx, config, members, statuses) : []),
      ...(await removeAddresses(members, owned, writer)),
    ];
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

/** Removes the link addresses a stopped pairing set, in reverse order; returns what could not be removed. */
async function removeAddresses(
  members: [PairMember, PairMember],
  owned: LinkAddress[],
  writer: PairJournalWriter,
): Promise<string[]> {
  const remains: string[] = [];
  for (const a of [...owned].reverse()) {
    const m = a.role === 'primary' ? members[0] : members[1];
    try {
      await m.host.runScript('remove-link-address', { adapter: a.adapter, address: a.address });
      await writer.step(a.role, `address-removed:${addressKey(a)}`);
    } catch (err) {
      remains.push(
        `${m.label} still has the address ${a.address} on ${a.adapter} (${toErrorData(err).message})`,
      );
    }
  }
  return remains;
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

/**
 * The configuration a bundle makes on a pair: its name, level, witness and VMs (or the replay's
 * own), links over the servers' adapters with the replay's addresses when given, and at Level 1
 * the cluster (this pair's own name and address, or the bundle's on the pair it came from).
 * `issues` gets a `linkAddresses` count that does not fit the links, and a cluster that is not
 * this pair's.
 */
function replayConfig(
  bundle: Bundle,
  proposal: PairProposal | null,
  values: ReplayValues,
  primary: string,
  secondary: string,
  issues: PreflightIssue[] = [],
  servers: readonly [ReplayServer, ReplayServer] | null = null,
): PairConfig {
  const config = replayLinks(bundle, proposal, values.name, primary, secondary);
  if (values.vms !== undefined) config.vms = values.vms;
  const cluster = replayCluster(bundle, values, servers);
  issues.push(...cluster.issues);
  if (cluster.cluster !== undefined) config.cluster = cluster.cluster;
  const given = values.linkAddresses;
  if (given !== undefined) {
    if (given.length !== config.links.length) {
      const n = config.links.length;
      issues.push({
        field: 'linkAddresses',
        message: `${given.length} link address${given.length === 1 ? ' was' : 'es were'} given, but the pair uses ${n} sync link${n === 1 ? '' : 's'} (${config.links.map((l) => `${l.localNic} to ${l.remoteNic}`).join(', ')}): give exactly ${n}, one per link in the bundle’s order.`,
      });
    } else {
      config.links = config.links.map((l, i) => {
        const { prefixLength: _old, ...link } = l;
        const a = given[i]!;
        return {
          ...link,
          localAddress: a.localAddress,
          remoteAddress: a.remoteAddress,
          ...(a.prefixLength !== undefined ? { prefixLength: a.prefixLength } : {}),
        };
      });
    }
  }
  return config;
}

function replayLinks(
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
