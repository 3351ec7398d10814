/**
 * The engine's features (verification, installs, pairing, drills, bundles, fleets and their
 * stores), composed on the first call that needs one: `createEngine` (engine/engine.ts) loads this
 * module then, so a call that needs none of them (the pinned host keys, a scan, a job's state)
 * never loads or evaluates them. The `twinlock` command starts a process per call, and `twinlock
 * hosts list` pays only for what it uses; the desktop app and the browser shell load it once.
 */
import type { JobRunner } from './jobs/job-runner';
import { createInstallService } from './service/installs';
import { createPairingService } from './service/pairings';
import { createDrillService } from './service/drills';
import { createFleetService } from './service/fleets';
import { createEvidenceStore, pairKeyOf } from './service/evidence';
import { createSignerService } from './service/signers';
import type { SessionEntry, SessionStore } from './service/sessions';
import { createVerifier } from './verify/verifier';
import type { Verifier } from './verify/verifier';
import { proposePair } from './pair/propose';
import { checkWitnessFrom } from './pair/witness';
import { readPairStatus } from './pair/status';
import { measureLinks } from './pair/measure';
import { exportBundle } from './bundle/export';
import { exportAnsibleProject } from './fleet/ansible';
import { readFleet } from './fleet/fleet-file';
import type { ApiInput, ApiOutput, MethodName, TwinlockApi } from './api/contract';
import type { EngineOptions, FeatureMethod, MethodImpl } from './engine';
import { toErrorData } from './api/errors';
import type { ApiEvent } from './api/jobs';
import type { DriftItem, Plan, Witness } from './api/models';

/** What the features are built on: the engine's core, created with it. */
export interface FeatureDeps {
  dataDir: string;
  resourcesDir: string;
  sessions: SessionStore;
  jobs: JobRunner;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  closing: () => boolean;
  /** EngineOptions.timings: waits and time limits, and the clock they run on. */
  timings: EngineOptions['timings'];
  /** The witness the running lab's servers can reach, suggested by `proposePair`. */
  labWitness: Witness | null;
  /** The engine's own contract, for the features that run its steps as a shell would (fleets). */
  api: () => TwinlockApi;
  /** A contract call, validated like any other. */
  call: <M extends MethodName>(method: M, input: ApiInput<M>) => Promise<ApiOutput<M>>;
  /** Listens to the engine's events until the returned function is called. */
  listen: (listener: (event: ApiEvent) => void) => () => void;
}

/** Creates the features' services and the contract methods they answer. */
export function createFeatures(deps: FeatureDeps): { [M in FeatureMethod]: MethodImpl<M> } {
  const { dataDir, resourcesDir, sessions, jobs, log, closing, call } = deps;
  const clock = deps.timings?.clock;
  const withClock = <T extends object>(t: T | undefined): T | undefined =>
    clock ? ({ ...t, clock } as T) : t;

  const signers = createSignerService(dataDir, log);
  const installs = createInstallService({
    sessions,
    jobs,
    dataDir,
    resourcesDir,
    log,
    timings: withClock(deps.timings?.install),
    closing,
  });
  const pairings = createPairingService({
    sessions,
    jobs,
    dataDir,
    resourcesDir,
    log,
    timings: withClock(deps.timings?.pair),
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
    ...(deps.timings?.fix || clock ? { timings: withClock(deps.timings?.fix)! } : {}),
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
    timings: deps.timings?.drill,
  });

  // Each pair of a fleet runs Twinlock's own steps through the contract, as a shell would.
  const fleets = createFleetService({
    api: deps.api,
    jobs,
    dataDir,
    log,
    watchJob: (jobId, onSnapshot) =>
      deps.listen((event: ApiEvent) => {
        if (event.type === 'job' && event.job.id === jobId) onSnapshot(event.job);
      }),
  });

  return {
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
          witnessSuggestion: deps.labWitness,
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
  };
}
