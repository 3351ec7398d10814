/**
 * The engine's agent installations: start one as a job with its journal on disk, resume one a
 * stopped Twinlock left running, discard it, roll a host back. The installer itself loads with
 * the first installation.
 */
import type { z } from 'zod';
import type { ApiOutput, MethodName, methods } from '../api/contract';
import { TwinlockError } from '../api/errors';
import type { JobRef } from '../api/jobs';
import type { AgentPackage } from '../agent/manifest';
import type { InstallTimings, InstallTarget } from '../agent/install';
import type { JobRunner } from '../jobs/job-runner';
import type { InstallJournal, JournalClaim, StepJournal } from '../jobs/journal';
import {
  claimJournal,
  isJournalClaimed,
  journalOwner,
  listJournals,
  openJournal,
  pruneJournals,
  readJournal,
  removeJournal,
} from '../jobs/journal';
import type { JobContext } from '../jobs/types';
import { TrustedPublishers } from '../agent/trusted-publishers';
import type { TrustedPublisher } from '../agent/trusted-publishers';
import type { SessionStore } from './sessions';
import { resolvePackage } from '../agent/package-source';
import { installAgent, rollbackHost } from '../agent/install';
import { installClusterFeature } from '../agent/cluster-feature';
import { ClusterFeatureRecord } from '../agent/cluster-feature-record';
import { rollbackClusterFeature } from '../agent/cluster-rollback';

/** A method's input after parsing (defaults applied). */
type Parsed<M extends MethodName> = z.output<(typeof methods)[M]['input']>;

export interface InstallServiceDeps {
  sessions: SessionStore;
  jobs: JobRunner;
  dataDir: string;
  resourcesDir: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  timings?: InstallTimings | undefined;
  /** True once the engine is closing: a running installation then leaves its journal to resume. */
  closing: () => boolean;
}

export interface InstallService {
  install(input: Parsed<'install'>): Promise<JobRef>;
  rollback(input: Parsed<'rollback'>): Promise<ApiOutput<'rollback'>>;
  resumableJobs(): Promise<ApiOutput<'resumableJobs'>>;
  resumeJob(input: Parsed<'resumeJob'>): Promise<JobRef>;
  discardJob(input: Parsed<'discardJob'>): Promise<void>;
  /** The package of the last installation, or the default one. */
  currentPackage(): Promise<AgentPackage>;
  packageInfo(input: Parsed<'agentPackage'>): Promise<ApiOutput<'agentPackage'>>;
  trustedPublishers(): Promise<ApiOutput<'trustedPublishers'>>;
  trustPublisher(input: Parsed<'trustPublisher'>): Promise<ApiOutput<'trustPublisher'>>;
  forgetPublisher(input: Parsed<'forgetPublisher'>): Promise<ApiOutput<'forgetPublisher'>>;
}

export function createInstallService(deps: InstallServiceDeps): InstallService {
  const { sessions, jobs, dataDir, resourcesDir, log } = deps;
  let lastPackage: AgentPackage | null = null;
  /** Journals of installs running in this process: not offered for resume. */
  const activeJournals = new Set<string>();

  const publishers = new TrustedPublishers(dataDir);
  /** The servers a Level 1 installation added Failover Clustering to (what its Roll back may remove). */
  const clusterFeatures = new ClusterFeatureRecord(dataDir);

  const findPackage = async (dir?: string, bundlePath?: string): Promise<AgentPackage> => {
    return resolvePackage({
      resourcesDir,
      dataDir,
      ...(dir ? { packageDir: dir } : {}),
      ...(bundlePath ? { bundlePath } : {}),
    });
  };
  const loadAgentPackage = async (dir?: string, bundlePath?: string): Promise<AgentPackage> => {
    const pkg = await findPackage(dir, bundlePath);
    lastPackage = pkg;
    return pkg;
  };

  const claim = (jobId: string): Promise<JournalClaim> =>
    claimJournal(dataDir, jobId, () =>
      log(
        'warn',
        `Installation ${jobId} stalled long enough for another Twinlock process to take its journal over.`,
      ),
    );

  /**
   * Runs an install job against its journal on disk (a fresh one, or one being resumed, whose
   * claim the caller already holds); the claim is given up when the job ends.
   */
  const startInstall = (
    targets: Array<{ sessionId: string; label: string }>,
    /** The agent package and its pinned publisher; null at Level 1 (Failover Clustering, no package). */
    agent: { pkg: AgentPackage; publisher: TrustedPublisher } | null,
    request: InstallJournal['request'],
    resumed: { journal: InstallJournal; claim: JournalClaim } | null,
  ) =>
    jobs.start(
      'install',
      async (ctx: JobContext<'install'>) => {
        const journalId = resumed?.journal.jobId ?? ctx.jobId;
        activeJournals.add(journalId);
        let journal: StepJournal | null = null;
        let owned: JournalClaim | null = resumed?.claim ?? null;
        try {
          owned ??= await claim(journalId);
          const now = new Date().toISOString();
          journal = await openJournal(
            dataDir,
            resumed
              ? { ...resumed.journal, owner: journalOwner() }
              : {
                  format: 'twinlock-journal/1',
                  jobId: journalId,
                  kind: 'install',
                  state: 'running',
                  startedAt: now,
                  updatedAt: now,
                  request,
                  ...(agent
                    ? {
                        package: {
                          version: agent.pkg.manifest.version,
                          sha256: agent.pkg.manifest.sha256,
                          file: agent.pkg.manifest.file,
                        },
                      }
                    : {}),
                  owner: journalOwner(),
                  hosts: targets.map((t) => {
                    const s = sessions.entry(t.sessionId).session;
                    return {
                      sessionId: t.sessionId,
                      computerName: s.computerName,
                      address: s.address,
                      port: s.port,
                      username: s.username,
                      fingerprint: s.fingerprint,
                      steps: {},
                    };
                  }),
                },
          );
          const hosts = await Promise.all(targets.map((t) => sessions.hostOf(t.sessionId)));
          const installTargets: InstallTarget[] = targets.map((t, i) => ({
            ...t,
            host: hosts[i]!,
            reconnect: () => sessions.hostOf(t.sessionId),
          }));
          const outcomes = agent
            ? await installAgent(ctx, installTargets, agent.pkg, deps.timings, {
                publisher: agent.publisher,
                allowReboot: request.allowReboot,
                force: request.force,
                journal,
                shuttingDown: deps.closing,
              })
            : await installClusterFeature(ctx, installTargets, deps.timings, {
                allowReboot: request.allowReboot,
                journal,
                record: clusterFeatures,
                shuttingDown: deps.closing,
              });
          await journal.finish('done');
          return outcomes;
        } catch (err) {
          // Shutting down leaves the journal `running`, so that the next start offers to resume.
          if (!deps.closing()) await journal?.finish(ctx.signal.aborted ? 'cancelled' : 'failed');
          throw err;
        } finally {
          activeJournals.delete(journalId);
          await owned?.release();
        }
      },
      Object.fromEntries(targets.map((t) => [t.sessionId, t.label])),
    );

  return {
    async install({ sessions: ids, level, packageDir, bundlePath, allowReboot, force, trustPublisher }) {
      if (level === 1) {
        // Level 1 is Windows' own Failover Clustering: no agent package, so its options cannot apply.
        const given = Object.entries({ packageDir, bundlePath, trustPublisher, force: force || undefined })
          .filter(([, v]) => v !== undefined)
          .map(([k]) => k);
        if (given.length > 0) {
          throw new TwinlockError({
            code: 'invalid-input',
            message: `${given[0]}: Level 1 installs Windows' Failover Clustering feature, not the agent, so ${given.join(', ')} does not apply.`,
            hint: 'Leave the agent package options out at Level 1, or install at Level 2 or 3 to install the agent.',
            detail: { field: given[0]! },
          });
        }
        const [a1, b1] = sessions.pairOf(ids, 'Installation');
        const targets1 = [a1, b1].map((e) => ({
          sessionId: e.session.sessionId,
          label: e.session.computerName,
        }));
        log('info', `Enabling Failover Clustering on ${targets1.map((t) => t.label).join(' and ')}.`);
        return startInstall(targets1, null, { packageDir: '', allowReboot, force: false, level: 1 }, null);
      }
      const [a, b] = sessions.pairOf(ids, 'Installation');
      const pkg = await loadAgentPackage(packageDir, bundlePath);
      // Before the job starts, so that a package from an untrusted publisher never reaches a server.
      const publisher = await publishers.require(pkg, trustPublisher);
      const targets = [a, b].map((e) => ({ sessionId: e.session.sessionId, label: e.session.computerName }));
      log(
        'info',
        `Installing agent ${pkg.manifest.version} (publisher ${publisher.subject}) on ${targets.map((t) => t.label).join(' and ')}.`,
      );
      return startInstall(
        targets,
        { pkg, publisher },
        { packageDir: pkg.dir, allowReboot, force, level },
        null,
      );
    },

    async rollback({ sessionId, level, allowReboot }) {
      const e = sessions.entry(sessionId);
      if (level === 1) {
        const outcome = await rollbackClusterFeature(
          {
            sessionId,
            label: e.session.computerName,
            host: await sessions.hostOf(sessionId),
            reconnect: () => sessions.hostOf(sessionId),
          },
          { record: clusterFeatures, allowReboot },
          deps.timings,
        );
        log('info', outcome.message);
        return outcome;
      }
      const pkg = lastPackage ?? (await loadAgentPackage());
      const outcome = await rollbackHost(await sessions.hostOf(sessionId), e.session.computerName, pkg);
      log('info', outcome.message);
      return outcome;
    },

    async resumableJobs() {
      // Listing at start-up is also when old finished journals are tidied away.
      await pruneJournals(dataDir).catch(() => 0);
      const journals: InstallJournal[] = [];
      for (const j of await listJournals(dataDir)) {
        // A job another Twinlock window or command is running is not offered here.
        if (
          j.state === 'running' &&
          !activeJournals.has(j.jobId) &&
          !(await isJournalClaimed(dataDir, j.jobId, j.owner))
        )
          journals.push(j);
      }
      return journals.map((j) => ({
        jobId: j.jobId,
        kind: j.kind,
        startedAt: j.startedAt,
        updatedAt: j.updatedAt,
        version: j.package?.version ?? 'Failover Clustering',
        ...(j.request.level !== undefined
          ? { level: j.request.level as NonNullable<ApiOutput<'resumableJobs'>[number]['level']> }
          : {}),
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

    async resumeJob({ jobId, password, privateKey, passphrase }) {
      const notFound = () =>
        new TwinlockError({
          code: 'not-found',
          message: `There is no interrupted installation with id ${jobId} to resume.`,
          hint: 'Start the installation again; steps already done on the servers are detected and skipped.',
          detail: { jobId },
        });
      const before = await readJournal(dataDir, jobId);
      if (!before || before.state !== 'running' || activeJournals.has(jobId)) throw notFound();
      // Held from here to the job's end: a second process resuming the same job is refused.
      const claimed = await claim(jobId);
      try {
        return await resumeClaimed(jobId, claimed, notFound, password, privateKey, passphrase);
      } catch (err) {
        await claimed.release();
        throw err;
      }
    },

    async discardJob({ jobId }) {
      const owner = (await readJournal(dataDir, jobId).catch(() => null))?.owner;
      if (activeJournals.has(jobId) || (await isJournalClaimed(dataDir, jobId, owner))) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `jobId: installation ${jobId} is running${activeJournals.has(jobId) ? '' : ' in another Twinlock window or command'}; cancel it first.`,
          detail: { field: 'jobId' },
        });
      }
      await removeJournal(dataDir, jobId);
    },

    currentPackage() {
      return lastPackage ? Promise.resolve(lastPackage) : loadAgentPackage();
    },

    async packageInfo({ packageDir, bundlePath }) {
      const pkg = await findPackage(packageDir, bundlePath);
      const { subject, thumbprint } = pkg.manifest.signer;
      return {
        name: pkg.manifest.name,
        version: pkg.manifest.version,
        size: pkg.manifest.size,
        dir: pkg.dir,
        publisher: { subject, thumbprint },
        publisherTrusted: (await publishers.get(thumbprint)) !== null,
      };
    },

    trustedPublishers: () => publishers.list(),

    async trustPublisher({ thumbprint, subject, packageDir, bundlePath }) {
      if (subject !== undefined) return publishers.trust(thumbprint, subject);
      const pkg = await findPackage(packageDir, bundlePath);
      if (pkg.manifest.signer.thumbprint !== thumbprint) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `thumbprint: ${thumbprint} is not the publisher of the agent package ${pkg.manifest.version} in ${pkg.dir}, which names “${pkg.manifest.signer.subject}” (${pkg.manifest.signer.thumbprint}).`,
          hint: 'Give the thumbprint Twinlock showed for this package, or give the publisher’s subject too to trust another publisher.',
          detail: { field: 'thumbprint', packageThumbprint: pkg.manifest.signer.thumbprint },
        });
      }
      const pinned = await publishers.trust(thumbprint, pkg.manifest.signer.subject);
      log('info', `Trusted the agent publisher ${pinned.subject} (${pinned.thumbprint}).`);
      return pinned;
    },

    async forgetPublisher({ thumbprint }) {
      return { forgotten: await publishers.forget(thumbprint) };
    },
  };

  /** Resumes a journal this process has claimed. */
  async function resumeClaimed(
    jobId: string,
    claimed: JournalClaim,
    notFound: () => TwinlockError,
    password: string | undefined,
    privateKey: string | undefined,
    passphrase: string | undefined,
  ): Promise<JobRef> {
    // Read again under the claim: the process that held it may have finished the job meanwhile.
    const journal = await readJournal(dataDir, jobId);
    if (!journal || journal.state !== 'running') throw notFound();
    const sessionIds = await sessions.reopen(
      journal.hosts,
      { password, privateKey, passphrase },
      { jobId, resuming: 'the installation' },
    );
    const resumed: InstallJournal = {
      ...journal,
      hosts: journal.hosts.map((h, i) => ({ ...h, sessionId: sessionIds[i]! })),
    };
    const targets = resumed.hosts.map((h) => ({
      sessionId: h.sessionId,
      label: sessions.entry(h.sessionId).session.computerName,
    }));
    if (!journal.package) {
      log('info', `Resuming enabling Failover Clustering on ${targets.map((t) => t.label).join(' and ')}.`);
      return startInstall(targets, null, journal.request, { journal: resumed, claim: claimed });
    }
    const pkg = await loadAgentPackage(journal.request.packageDir);
    if (pkg.manifest.sha256 !== journal.package.sha256) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: `The agent package in ${journal.request.packageDir} changed since the installation started (now ${pkg.manifest.version}, was ${journal.package.version}).`,
        hint: 'Put the original package back, or discard this installation and start a new one.',
        detail: { jobId },
      });
    }
    // The publisher may have been forgotten since the installation started.
    const publisher = await publishers.require(pkg);
    log(
      'info',
      `Resuming the installation of agent ${pkg.manifest.version} on ${targets.map((t) => t.label).join(' and ')}.`,
    );
    return startInstall(targets, { pkg, publisher }, journal.request, { journal: resumed, claim: claimed });
  }
}
