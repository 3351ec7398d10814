/**
 * The one implementation of the contract: every method validates its input with the method's
 * schema, runs, and validates its output. Sessions live in memory (passwords included, for
 * reconnects); nothing secret is written to disk or put in an event.
 *
 * This is the composition root: it wires every engine module together, so it lives beside them
 * and not in `engine/api` (the contract, which the renderer's type-check reads). Modules are
 * imported statically; the `twinlock` command's start-up is answered by its bundle
 * (scripts/build-cli.mjs).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { z, ZodError } from 'zod';
import type { PairTimings } from './pair/transaction';
import type { InstallTimings } from './agent/install';
import { labTargets, workstationTargets } from './discovery/prefill';
import { checkTargets as readTargets, planTargets } from './discovery/targets';
import { runScan } from './discovery/scan';
import { createJobRunner } from './jobs/job-runner';
import { hostIdOf } from './remote/fingerprint';
import { KnownHosts } from './remote/known-hosts';
import { createInstallService } from './service/installs';
import { createPairingService } from './service/pairings';
import { createDrillService } from './service/drills';
import { createFleetService } from './service/fleets';
import { createEvidenceStore, pairKeyOf } from './service/evidence';
import type { DrillTimings } from './pair/drill';
import { createSessionStore } from './service/sessions';
import { createSignerService } from './service/signers';
import type { SessionEntry } from './service/sessions';
import { readJsonFile, resolveDataDir, writeJsonFile } from './store';
import { appPaths } from './app-paths';
import { createVerifier } from './verify/verifier';
import type { FixTimings, Verifier } from './verify/verifier';
import { proposePair } from './pair/propose';
import { probePort } from './discovery/probe';
import { checkWitnessFrom } from './pair/witness';
import { readPairStatus } from './pair/status';
import { measureLinks } from './pair/measure';
import { exportBundle } from './bundle/export';
import { exportAnsibleProject } from './fleet/ansible';
import { readFleet } from './fleet/fleet-file';
import type { ApiInput, ApiOutput, MethodName, TwinlockApi, TwinlockEngine } from './api/contract';
import { methods } from './api/contract';
import { TwinlockError, toErrorData } from './api/errors';
import type { ApiEvent } from './api/jobs';
import type { DiscoveredHost, DriftItem, Plan, Witness } from './api/models';
import { WizardDraftSchema } from './api/models';
import type { Clock } from './jobs/sleep';

/** A lab server the engine may offer on the Discover screen. */
export interface LabHostOption {
  name: string;
  address: string;
  port: number;
  username: string;
  password: string;
  /** The lab's own host key fingerprint (informational). */
  fingerprint?: string;
}

export interface EngineOptions {
  /** Where known hosts, the signing key and bundles live; the user's data folder by default. */
  dataDir?: string;
  /** Folder with bootstrap.ps1, scripts/ and agent/; `resources/` at the repository root by default. */
  resourcesDir?: string;
  /** The running lab, when there is one, and the witness its servers can reach (suggested by `proposePair`). */
  lab?: { hosts: LabHostOption[]; witness?: Witness | null };
  /** Waits and time limits of long operations; the defaults suit real servers (tests and the lab shorten them). */
  timings?: {
    install?: InstallTimings;
    pair?: PairTimings;
    fix?: FixTimings;
    /** Failover drills: how often VMs are looked at, and how long a drill may take. */
    drill?: DrillTimings;
    /** The clock every wait above (and the jobs' progress throttle) runs on; real time by default. */
    clock?: Clock;
  };
}

/** Twinlock's `resources/`, wherever the application runs from (engine/app-paths.ts). */
export function defaultResourcesDir(): string {
  return appPaths().resources;
}

const LAB_BANNER = 'SSH-2.0-OpenSSH_for_Windows_8.1';

/** Field and fix for the first problem of a rejected input. */
function invalidInput(method: string, error: ZodError): TwinlockError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message }));
  const first = issues[0] ?? { field: '(input)', message: 'is invalid' };
  return new TwinlockError({
    code: 'invalid-input',
    message: `${first.field}: ${first.message}`,
    hint: `Correct ${first.field === '(input)' ? 'the request' : `“${first.field}”`} and try again.`,
    detail: { method, field: first.field, issues },
  });
}

/** Creates the engine. */
export function createEngine(options: EngineOptions = {}): TwinlockEngine {
  const dataDir = options.dataDir ?? resolveDataDir();
  /** The wizard's draft: its step and the admin's choices not applied yet (no secret in it). */
  const draftPath = join(dataDir, 'wizard-draft.json');
  const resourcesDir = options.resourcesDir ?? defaultResourcesDir();
  const knownHosts = KnownHosts.inDataDir(dataDir);
  const labHosts = options.lab?.hosts ?? [];
  const listeners = new Set<(event: ApiEvent) => void>();
  let closed = false;
  const closing = () => closed;

  const emit = (event: ApiEvent) => {
    for (const l of [...listeners]) {
      try {
        l(event);
      } catch {
        // One broken listener must not starve the others.
      }
    }
  };
  /** Log lines carry names, addresses and outcomes, never a password or a token. */
  const log = (level: 'info' | 'warn' | 'error', message: string) =>
    emit({ type: 'log', level, message, at: new Date().toISOString() });
  const clock = options.timings?.clock;
  const withClock = <T extends object>(t: T | undefined): T | undefined =>
    clock ? ({ ...t, clock } as T) : t;
  const jobs = createJobRunner((job) => emit({ type: 'job', job }), clock ? { clock } : {});
  const sessions = createSessionStore({ knownHosts, resourcesDir, log, closing });
  const signers = createSignerService(dataDir, log);
  const installs = createInstallService({
    sessions,
    jobs,
    dataDir,
    resourcesDir,
    log,
    timings: withClock(options.timings?.install),
    closing,
  });
  const pairings = createPairingService({
    sessions,
    jobs,
    dataDir,
    resourcesDir,
    log,
    timings: withClock(options.timings?.pair),
    readBundle: (path) => call('readBundle', { path }),
    closing,
    planApplied: (plan) => recordPlan(plan),
    clusterEvidence: (ids) => verification.clusterEvidence(ids),
  });

  const verification: Verifier = createVerifier({
    hostOf: sessions.hostOf,
    readInventory: sessions.readInventory,
    lastInventory: (id) => sessions.entry(id).inventory,
    endpoint: (id) => sessions.entry(id).session,
    resourcesDir,
    dataDir,
    log,
    ...(options.timings?.fix || clock ? { timings: withClock(options.timings?.fix)! } : {}),
  });

  const evidence = createEvidenceStore(dataDir);
  /** The protection report shows the pairing plan that was applied last. */
  const recordPlan = (plan: Plan): Promise<void> => {
    const [p, s] = plan.servers;
    return evidence
      .recordPlan(pairKeyOf([p.computerName, s.computerName]), plan)
      .catch((err) => log('warn', `The applied plan could not be recorded: ${toErrorData(err).message}`));
  };
  const drills = createDrillService({
    sessions,
    jobs,
    evidence,
    dataDir,
    log,
    // A drill checks a pair that already is a cluster: its own name and address are taken by it.
    verify: (ids, level) => verification.verify(ids, level, { clusterChecks: false }),
    timings: options.timings?.drill,
  });

  // Each pair of a fleet runs Twinlock's own steps through the contract, as a shell would.
  const fleets = createFleetService({
    api: () => api,
    jobs,
    dataDir,
    log,
    watchJob: (jobId, onSnapshot) => {
      const listener = (event: ApiEvent) => {
        if (event.type === 'job' && event.job.id === jobId) onSnapshot(event.job);
      };
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });

  const impl: { [M in MethodName]: (input: ApiOutputOfInput<M>) => Promise<ApiOutput<M>> } = {
    async suggestions() {
      // Each lab server is reached once, so its row shows a round trip like a scanned one.
      const reached = await Promise.all(
        labHosts.map((h) =>
          probePort(h.address, h.port, { timeoutMs: 1000, bannerMs: 0, sockets: new Set() }),
        ),
      );
      const hosts: DiscoveredHost[] = labHosts.map((h, i) => ({
        address: h.address,
        port: h.port,
        name: h.name,
        kind: 'windows-ssh',
        banner: LAB_BANNER,
        openPorts: [h.port],
        rttMs: reached[i]?.state === 'open' ? reached[i].rttMs : null,
        reason: 'Lab server: ready to connect.',
      }));
      const first = labHosts[0];
      return {
        // With the lab running, its range replaces the workstation's networks: the lab is what there is to find.
        targets: labHosts.length > 0 ? labTargets(labHosts) : workstationTargets().join(', '),
        hosts,
        labAccount: first ? { username: first.username, password: first.password } : null,
      };
    },

    async checkTargets({ targets, allowLarge }) {
      if (targets.trim() === '') return { count: 0 };
      const checked = readTargets(targets, { allowLarge: allowLarge === true });
      if (checked instanceof TwinlockError) throw checked;
      return checked;
    },

    async scan(input) {
      const plan = planTargets(input.targets, { allowLarge: input.allowLarge === true });
      log('info', `Scanning ${plan.count} address(es).`);
      const knownName = (address: string, port: number) =>
        labHosts.find((h) => h.address === address && h.port === port)?.name ?? null;
      return jobs.start('scan', (ctx) => runScan(ctx, plan, input, { knownName }));
    },

    async connect(input) {
      return sessions.connect(input);
    },

    async disconnect({ sessionId }) {
      await sessions.disconnect(sessionId);
      return {};
    },

    async sessions() {
      return sessions.list();
    },

    async knownHosts() {
      const pinned = await knownHosts.list();
      return Object.entries(pinned).map(([host, k]) => ({
        host,
        fingerprint: k.fingerprint,
        keyType: k.keyType,
        firstSeen: k.firstSeen,
      }));
    },

    async forgetHostKey({ address, port }) {
      return { forgotten: await knownHosts.forget(hostIdOf(address, port)) };
    },

    async inventory({ sessionId }) {
      return sessions.readInventory(sessionId);
    },

    async verify({ sessions: ids, level, cluster, testCluster }) {
      sessions.pairOf(ids, 'Verification');
      const report = await verification.verify(ids, level, { cluster: cluster ?? null, testCluster });
      await evidence
        .recordVerify(pairKeyOf([report.hosts[0].computerName, report.hosts[1].computerName]), report)
        .catch((err) => log('warn', `The verification could not be recorded: ${toErrorData(err).message}`));
      log(
        'info',
        `Verified ${report.hosts[0].computerName} and ${report.hosts[1].computerName}: ${report.verdict}.`,
      );
      return report;
    },

    async previewFix({ sessionId, fixId }) {
      return verification.previewFix(sessionId, fixId);
    },

    async applyFix({ sessionId, fixId, level }) {
      const { computerName } = sessions.entry(sessionId).session;
      return jobs.start('fix', (ctx) => verification.applyFix(ctx, sessionId, fixId, level), {
        [sessionId]: computerName,
      });
    },

    async exportReport({ report, format, path, includeContent }) {
      return verification.exportReport(report, format, path, includeContent);
    },

    install: (input) => installs.install(input),
    rollback: (input) => installs.rollback(input),
    async resumableJobs() {
      const [installing, pairing] = await Promise.all([installs.resumableJobs(), pairings.resumableJobs()]);
      return [...installing, ...pairing].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    },

    async wizardDraft() {
      return readJsonFile(draftPath, WizardDraftSchema);
    },

    async saveWizardDraft({ draft }) {
      if (draft === null) await rm(draftPath, { force: true });
      else await writeJsonFile(draftPath, draft);
      return {};
    },

    async resumeJob(input) {
      return (await pairings.owns(input.jobId)) ? pairings.resumeJob(input) : installs.resumeJob(input);
    },

    async discardJob(input) {
      if (await pairings.owns(input.jobId)) await pairings.discardJob(input);
      else await installs.discardJob(input);
      return {};
    },

    async proposePair({ primary, secondary, linkRange }) {
      sessions.pairOf([primary, secondary], 'A pair');
      const [a, b] = await Promise.all(
        [primary, secondary].map((id) => sessions.entry(id).inventory ?? sessions.readInventory(id)),
      );
      return proposePair(
        a!,
        b!,
        { primary, secondary },
        {
          ...(linkRange !== undefined ? { linkRange } : {}),
          witnessSuggestion: options.lab?.witness ?? null,
          cluster: verification.clusterEvidence([primary, secondary]),
        },
      );
    },

    pair: (config) => pairings.pair(config),
    async measureLinks({ primary, secondary, links, level, seconds }) {
      sessions.pairOf([primary, secondary], 'Measuring sync links');
      const end = async (id: string) => ({
        host: await sessions.hostOf(id),
        computerName: sessions.entry(id).session.computerName,
      });
      const [a, b] = await Promise.all([end(primary), end(secondary)]);
      const measured = await measureLinks(a, b, { links, level, seconds });
      // The protection report shows the last measurement of the pair's links.
      await evidence
        .recordLinks(pairKeyOf([a.computerName, b.computerName]), measured)
        .catch((err) =>
          log('warn', `The link measurement could not be recorded: ${toErrorData(err).message}`),
        );
      return measured;
    },
    drill: (input) => drills.drill(input),
    exportProtectionReport: (input) => drills.exportProtectionReport(input),
    async checkWitness({ sessions: ids, witness }) {
      const entries = sessions.pairOf(ids, 'A witness check');
      const vantages = await Promise.all(
        entries.map(async (e) => ({
          computerName: e.session.computerName,
          host: await sessions.hostOf(e.session.sessionId),
        })),
      );
      const check = await checkWitnessFrom(vantages, witness);
      log(
        check.ok ? 'info' : 'warn',
        `Witness ${witness.address} checked from ${vantages.map((v) => v.computerName).join(' and ')}: ${check.ok ? 'reached from both' : 'not reached from every server'}.`,
      );
      return check;
    },
    plan: (input) => pairings.plan(input),
    async applyPlan(input) {
      const ref = await pairings.applyPlan(input);
      if (input.plan.kind === 'pair') await recordPlan(input.plan);
      return ref;
    },
    unpair: (input) => pairings.unpair(input),
    preflightBundle: (input) => pairings.preflightBundle(input),
    async drift({
      bundle: source,
      sessions: ids,
      name,
      vms,
      linkAddresses,
      clusterName,
      clusterAddress,
      verify,
    }) {
      const bundle = await signers.readBundle(source);
      const values = {
        ...(name !== undefined ? { name } : {}),
        ...(vms !== undefined ? { vms } : {}),
        ...(linkAddresses !== undefined ? { linkAddresses } : {}),
        ...(clusterName !== undefined ? { clusterName } : {}),
        ...(clusterAddress !== undefined ? { clusterAddress } : {}),
      };
      const found = await pairings.driftOf(bundle, ids, values);
      const differences: DriftItem[] = [...found.items];
      if (verify !== false) {
        // The verification rules at the bundle's level: each one that no longer passes is a difference.
        // The pair's own cluster holds its name and address: drift keeps to the inventories' rules.
        const report = await verification.verify(ids, bundle.pair.level, { clusterChecks: false });
        for (const f of report.findings) {
          if (f.severity !== 'blocker') continue;
          differences.push({
            field: 'verify',
            what: f.title,
            expected: `passes at Level ${bundle.pair.level}`,
            actual: `${f.values[0]} / ${f.values[1]}: ${f.reason}`,
            change: null,
            hint: f.remedy,
          });
        }
      }
      log(
        'info',
        `Pair ${found.config.name} on ${found.servers.join(' and ')} checked against bundle ${bundle.pair.name}: ${differences.length === 0 ? 'it matches' : `${differences.length} difference(s)`}.`,
      );
      return {
        bundle: { name: bundle.pair.name, level: bundle.pair.level, createdAt: bundle.createdAt },
        pair: found.config.name,
        servers: found.servers,
        checkedAt: new Date().toISOString(),
        matches: differences.length === 0,
        differences,
      };
    },
    parseFleet: (input) => readFleet(input),
    fleet: (input) => fleets.run(input),
    exportAnsible: (input) => exportAnsibleProject(input, (path) => signers.readBundle({ path })),

    async status({ sessionId }) {
      // A Level 1 pair's status comes from its cluster; any other from the agent.
      return readPairStatus(await sessions.hostOf(sessionId), sessions.entry(sessionId).session.computerName);
    },

    readBundle: (input) => signers.readBundle(input),
    trustedKeys: () => signers.trustedKeys(),
    trustKey: (input) => signers.trustKey(input),
    forgetKey: (input) => signers.forgetKey(input),
    exportPublicKey: (input) => signers.exportPublicKey(input),
    agentPackage: (input) => installs.packageInfo(input),
    trustedPublishers: () => installs.trustedPublishers(),
    trustPublisher: (input) => installs.trustPublisher(input),
    forgetPublisher: (input) => installs.forgetPublisher(input),

    async exportBundle({ config, path }) {
      const [p, s] = sessions.pairOf([config.primary, config.secondary], 'A bundle');
      const pkg = await installs.currentPackage();
      const host = (e: SessionEntry) => ({
        address: e.session.address,
        port: e.session.port,
        fingerprint: e.session.fingerprint,
        computerName: e.session.computerName,
      });
      const result = await exportBundle(
        {
          config,
          primary: host(p),
          secondary: host(s),
          agent: { version: pkg.manifest.version, sha256: pkg.manifest.sha256 },
        },
        dataDir,
        path,
      );
      log('info', `Exported the bundle of ${config.name} to ${result.path}.`);
      return result;
    },

    async job({ jobId }) {
      return jobs.get(jobId);
    },

    async waitJob({ jobId }) {
      return jobs.wait(jobId);
    },

    async cancelJob({ jobId }) {
      jobs.cancel(jobId);
      return {};
    },
  };

  const call = async <M extends MethodName>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> => {
    if (closed) {
      throw new TwinlockError({
        code: 'cancelled',
        message: 'Twinlock is shutting down.',
        hint: 'Start Twinlock again.',
      });
    }
    const spec = methods[method];
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) throw invalidInput(method, parsed.error);
    let output: unknown;
    try {
      output = await impl[method](parsed.data as ApiOutputOfInput<M>);
    } catch (err) {
      if (err instanceof TwinlockError) throw err;
      throw new TwinlockError(toErrorData(err, `“${method}”`), { cause: err });
    }
    const checked = spec.output.safeParse(output);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new TwinlockError({
        code: 'internal',
        message: `Twinlock produced an invalid answer to “${method}” (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}).`,
        hint: 'Try again; if it happens again, export the log from the Help menu and report it.',
        detail: { method },
      });
    }
    return checked.data as ApiOutput<M>;
  };

  const api = Object.fromEntries(
    (Object.keys(methods) as MethodName[]).map((m) => [m, (input: ApiInput<typeof m>) => call(m, input)]),
  ) as TwinlockApi;

  return {
    api,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      await jobs.cancelAll();
      await sessions.closeAll();
      listeners.clear();
    },
  };
}

/** What a method's implementation receives: its input after parsing (defaults applied). */
type ApiOutputOfInput<M extends MethodName> = z.output<(typeof methods)[M]['input']>;
