/**
 * The one implementation of the contract: every method validates its input with the method's
 * schema, runs, and validates its output. Sessions live in memory (passwords included, for
 * reconnects); nothing secret is written to disk or put in an event.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z, ZodError } from 'zod';
import type { AgentPackage } from '../agent/manifest';
import { installAgent, rollbackHost } from '../agent/install';
import type { InstallOptions, InstallTarget } from '../agent/install';
import { resolvePackage } from '../agent/package-source';
import { verifyBundle } from '../bundle/bundle';
import { exportBundle } from '../bundle/export';
import { labTargets, workstationTargets } from '../discovery/prefill';
import { planTargets } from '../discovery/targets';
import { runScan } from '../discovery/scan';
import { parseIdentity, parseInventory } from '../inventory/parse';
import { createJobRunner } from '../jobs/job-runner';
import type { InstallJournal, StepJournal } from '../jobs/journal';
import { listJournals, openJournal, pruneJournals, readJournal, removeJournal } from '../jobs/journal';
import type { JobContext } from '../jobs/types';
import { applyPair } from '../pair/apply';
import type { ApplyOptions } from '../pair/apply';
import { proposePair } from '../pair/propose';
import { readStatus } from '../pair/status';
import { hostIdOf } from '../remote/fingerprint';
import { KnownHosts } from '../remote/known-hosts';
import { openSession } from '../remote/session';
import type { RemoteHost } from '../remote/types';
import { resolveDataDir } from '../store';
import { clockOffset, createVerifyService } from '../verify/service';
import type { FixTimings } from '../verify/service';
import type { ApiInput, ApiOutput, MethodName, TwinlockApi, TwinlockEngine } from './contract';
import { methods } from './contract';
import { TwinlockError, toErrorData } from './errors';
import type { ApiEvent } from './jobs';
import type { DiscoveredHost, HostInventory, HostSession } from './models';

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
  /** The running lab, when there is one. */
  lab?: { hosts: LabHostOption[] };
  /** Waits and time limits of long operations; the defaults suit real servers (tests and the lab shorten them). */
  timings?: { install?: InstallOptions; apply?: ApplyOptions; fix?: FixTimings };
}

/** `resources/` next to `engine/`, wherever the application is installed. */
export function defaultResourcesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
}

interface SessionEntry {
  session: HostSession;
  host: RemoteHost;
  /** Kept in memory only, to reconnect after a dropped connection. */
  password: string;
  /** A reconnect in progress, shared by concurrent callers. */
  reconnecting: Promise<RemoteHost> | null;
  inventory: HostInventory | null;
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
  const resourcesDir = options.resourcesDir ?? defaultResourcesDir();
  const knownHosts = KnownHosts.inDataDir(dataDir);
  const labHosts = options.lab?.hosts ?? [];
  const listeners = new Set<(event: ApiEvent) => void>();
  const sessions = new Map<string, SessionEntry>();
  let lastPackage: AgentPackage | null = null;
  let closed = false;
  /** Journals of installs running in this process: not offered for resume. */
  const activeJournals = new Set<string>();

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
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message, at: new Date().toISOString() });
  const jobs = createJobRunner((job) => emit({ type: 'job', job }));

  const entry = (sessionId: string): SessionEntry => {
    const e = sessions.get(sessionId);
    if (!e) {
      throw new TwinlockError({
        code: 'not-found',
        message: `There is no open connection with id ${sessionId}; it was closed or Twinlock restarted.`,
        hint: 'Connect to the server again.',
        detail: { sessionId },
      });
    }
    return e;
  };

  /** The session's host, reconnected with the pinned key if the connection dropped. */
  const hostOf = async (sessionId: string): Promise<RemoteHost> => {
    const e = entry(sessionId);
    if (e.host.isConnected()) return e.host;
    if (!e.reconnecting) {
      const { address, port, username, computerName } = e.session;
      log('warn', `The connection to ${computerName} dropped; reconnecting.`);
      e.reconnecting = openSession({ address, port, username, password: e.password, knownHosts, resourcesDir })
        .then(({ host }) => {
          e.host = host;
          return host;
        })
        .finally(() => {
          e.reconnecting = null;
        });
    }
    return e.reconnecting;
  };

  const readInventory = async (sessionId: string): Promise<HostInventory> => {
    const host = await hostOf(sessionId);
    const sentAt = Date.now();
    const raw = await host.runScript('get-inventory', {}, { timeoutMs: 120_000 });
    const inv = clockOffset(parseInventory(raw), sentAt, Date.now());
    entry(sessionId).inventory = inv;
    return inv;
  };

  const verification = createVerifyService({
    hostOf,
    readInventory,
    lastInventory: (id) => entry(id).inventory,
    endpoint: (id) => entry(id).session,
    resourcesDir,
    dataDir,
    log,
    ...(options.timings?.fix ? { timings: options.timings.fix } : {}),
  });

  const pairOf = (sessions: readonly [string, string] | [string, string], what: string) => {
    if (sessions[0] === sessions[1]) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: `sessions: ${what} needs two different servers, but both entries are the same connection.`,
        hint: 'Pick the second server.',
        detail: { field: 'sessions' },
      });
    }
    return sessions.map((id) => entry(id)) as [SessionEntry, SessionEntry];
  };

  const loadAgentPackage = async (dir?: string, bundlePath?: string): Promise<AgentPackage> => {
    const pkg = await resolvePackage({ resourcesDir, ...(dir ? { packageDir: dir } : {}), ...(bundlePath ? { bundlePath } : {}) });
    lastPackage = pkg;
    return pkg;
  };

  /** Runs an install job against its journal on disk (a fresh one, or one being resumed). */
  const startInstall = (
    targets: Array<{ sessionId: string; label: string }>,
    pkg: AgentPackage,
    request: InstallJournal['request'],
    resumed: InstallJournal | null,
  ) =>
    jobs.start(
      'install',
      async (ctx: JobContext<'install'>) => {
        const journalId = resumed?.jobId ?? ctx.jobId;
        activeJournals.add(journalId);
        let journal: StepJournal | null = null;
        try {
          const now = new Date().toISOString();
          journal = await openJournal(
            dataDir,
            resumed ?? {
              format: 'twinlock-journal/1',
              jobId: journalId,
              kind: 'install',
              state: 'running',
              startedAt: now,
              updatedAt: now,
              request,
              package: { version: pkg.manifest.version, sha256: pkg.manifest.sha256, file: pkg.manifest.file },
              hosts: targets.map((t) => {
                const s = entry(t.sessionId).session;
                return { sessionId: t.sessionId, computerName: s.computerName, address: s.address, port: s.port, username: s.username, fingerprint: s.fingerprint, steps: {} };
              }),
            },
          );
          const hosts = await Promise.all(targets.map((t) => hostOf(t.sessionId)));
          const installTargets: InstallTarget[] = targets.map((t, i) => ({ ...t, host: hosts[i]!, reconnect: () => hostOf(t.sessionId) }));
          const outcomes = await installAgent(ctx, installTargets, pkg, options.timings?.install, {
            allowReboot: request.allowReboot,
            force: request.force,
            journal,
            shuttingDown: () => closed,
          });
          await journal.finish('done');
          return outcomes;
        } catch (err) {
          // Shutting down leaves the journal `running`, so that the next start offers to resume.
          if (!closed) await journal?.finish(ctx.signal.aborted ? 'cancelled' : 'failed');
          throw err;
        } finally {
          activeJournals.delete(journalId);
        }
      },
      Object.fromEntries(targets.map((t) => [t.sessionId, t.label])),
    );

  /** An open session to the same server and account, if any. */
  const sessionFor = (h: { address: string; port: number; username: string }): SessionEntry | undefined =>
    [...sessions.values()].find(
      (e) => e.session.address === h.address && e.session.port === h.port && e.session.username.toLowerCase() === h.username.toLowerCase(),
    );

  const impl: { [M in MethodName]: (input: ApiOutputOfInput<M>) => Promise<ApiOutput<M>> } = {
    async suggestions() {
      const hosts: DiscoveredHost[] = labHosts.map((h) => ({
        address: h.address,
        port: h.port,
        name: h.name,
        kind: 'windows-ssh',
        banner: LAB_BANNER,
        openPorts: [h.port],
        rttMs: null,
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

    async scan(input) {
      const plan = planTargets(input.targets, { allowLarge: input.allowLarge === true });
      log('info', `Scanning ${plan.count} address(es).`);
      const knownName = (address: string, port: number) => labHosts.find((h) => h.address === address && h.port === port)?.name ?? null;
      return jobs.start('scan', (ctx) => runScan(ctx, plan, input, { knownName }));
    },

    async connect(input) {
      // Lab hosts are pinned like any other: the admin sees the key and accepts it on first use.
      const acceptFingerprint = input.acceptFingerprint;
      const { host, newlyPinned } = await openSession({
        address: input.address,
        port: input.port,
        username: input.username,
        password: input.password,
        ...(acceptFingerprint ? { acceptFingerprint } : {}),
        ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
        knownHosts,
        resourcesDir,
      });
      try {
        if (closed) {
          // The engine closed while this connection was being made: it must not outlive it.
          throw new TwinlockError({ code: 'cancelled', message: 'Twinlock is shutting down; the connection was closed.' });
        }
        const identity = parseIdentity(await host.runScript('get-identity', {}));
        if (!identity.isAdmin) {
          throw new TwinlockError({
            code: 'not-admin',
            message: `${input.username} can log on to ${identity.computerName} but is not an elevated administrator there.`,
            hint: 'Use an account in the server’s local Administrators group (for example Administrator); with UAC on, the built-in Administrator or a domain admin works over SSH.',
            detail: { computerName: identity.computerName, username: input.username },
          });
        }
        const session: HostSession = {
          sessionId: `session-${randomUUID()}`,
          address: input.address,
          port: input.port,
          username: input.username,
          fingerprint: host.fingerprint,
          newlyPinned,
          computerName: identity.computerName,
          osCaption: identity.osCaption,
          isAdmin: identity.isAdmin,
        };
        sessions.set(session.sessionId, { session, host, password: input.password, reconnecting: null, inventory: null });
        log('info', `Connected to ${identity.computerName} (${input.address}:${input.port}) as ${input.username}${newlyPinned ? '; host key pinned' : ''}.`);
        return session;
      } catch (err) {
        await host.close().catch(() => undefined);
        throw err;
      }
    },

    async disconnect({ sessionId }) {
      const e = entry(sessionId);
      sessions.delete(sessionId);
      await e.host.close().catch(() => undefined);
      log('info', `Disconnected from ${e.session.computerName}.`);
      return {};
    },

    async sessions() {
      return [...sessions.values()].map((e) => e.session);
    },

    async knownHosts() {
      const pinned = await knownHosts.list();
      return Object.entries(pinned).map(([host, k]) => ({ host, fingerprint: k.fingerprint, keyType: k.keyType, firstSeen: k.firstSeen }));
    },

    async forgetHostKey({ address, port }) {
      return { forgotten: await knownHosts.forget(hostIdOf(address, port)) };
    },

    async inventory({ sessionId }) {
      return readInventory(sessionId);
    },

    async verify({ sessions: ids, level }) {
      pairOf(ids, 'Verification');
      const report = await verification.verify(ids, level);
      log('info', `Verified ${report.hosts[0].computerName} and ${report.hosts[1].computerName}: ${report.verdict}.`);
      return report;
    },

    async previewFix({ sessionId, fixId }) {
      return verification.previewFix(sessionId, fixId);
    },

    async applyFix({ sessionId, fixId, level }) {
      return verification.applyFix(sessionId, fixId, level);
    },

    async exportReport({ report, format, path }) {
      return verification.exportReport(report, format, path);
    },

    async install({ sessions: ids, packageDir, bundlePath, allowReboot, force }) {
      const [a, b] = pairOf(ids, 'Installation');
      const pkg = await loadAgentPackage(packageDir, bundlePath);
      const targets = [a, b].map((e) => ({ sessionId: e.session.sessionId, label: e.session.computerName }));
      log('info', `Installing agent ${pkg.manifest.version} on ${targets.map((t) => t.label).join(' and ')}.`);
      return startInstall(targets, pkg, { packageDir: pkg.dir, allowReboot, force }, null);
    },

    async rollback({ sessionId }) {
      const e = entry(sessionId);
      const pkg = lastPackage ?? (await loadAgentPackage());
      const outcome = await rollbackHost(await hostOf(sessionId), e.session.computerName, pkg);
      log('info', outcome.message);
      return outcome;
    },

    async resumableJobs() {
      // Listing at start-up is also when old finished journals are tidied away.
      await pruneJournals(dataDir).catch(() => 0);
      const journals = (await listJournals(dataDir)).filter((j) => j.state === 'running' && !activeJournals.has(j.jobId));
      return journals.map((j) => ({
        jobId: j.jobId,
        kind: j.kind,
        startedAt: j.startedAt,
        updatedAt: j.updatedAt,
        version: j.package.version,
        hosts: j.hosts.map((h) => ({
          computerName: h.computerName,
          address: h.address,
          port: h.port,
          username: h.username,
          completed: Object.keys(h.steps),
        })),
        needsPassword: j.hosts.some((h) => !sessionFor(h)),
      }));
    },

    async resumeJob({ jobId, password }) {
      const journal = await readJournal(dataDir, jobId);
      if (!journal || journal.state !== 'running' || activeJournals.has(jobId)) {
        throw new TwinlockError({
          code: 'not-found',
          message: `There is no interrupted installation with id ${jobId} to resume.`,
          hint: 'Start the installation again; steps already done on the servers are detected and skipped.',
          detail: { jobId },
        });
      }
      const sessionIds: string[] = [];
      for (const h of journal.hosts) {
        const open = sessionFor(h);
        if (open) {
          sessionIds.push(open.session.sessionId);
          continue;
        }
        if (!password) {
          throw new TwinlockError({
            code: 'invalid-input',
            message: `password: the connection to ${h.computerName} has to be opened again to resume.`,
            hint: `Enter the password of ${h.username} on ${h.computerName}.`,
            detail: { field: 'password', jobId },
          });
        }
        // The journal holds the key pinned when the job started: a different key stops here.
        const session = await impl.connect({ address: h.address, port: h.port, username: h.username, password, acceptFingerprint: h.fingerprint });
        sessionIds.push(session.sessionId);
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
      const resumed: InstallJournal = { ...journal, hosts: journal.hosts.map((h, i) => ({ ...h, sessionId: sessionIds[i]! })) };
      const targets = resumed.hosts.map((h) => ({ sessionId: h.sessionId, label: entry(h.sessionId).session.computerName }));
      log('info', `Resuming the installation of agent ${pkg.manifest.version} on ${targets.map((t) => t.label).join(' and ')}.`);
      return startInstall(targets, pkg, journal.request, resumed);
    },

    async discardJob({ jobId }) {
      if (activeJournals.has(jobId)) {
        throw new TwinlockError({ code: 'invalid-input', message: `jobId: installation ${jobId} is running; cancel it first.`, detail: { field: 'jobId' } });
      }
      await removeJournal(dataDir, jobId);
      return {};
    },

    async proposePair({ primary, secondary }) {
      pairOf([primary, secondary], 'A pair');
      const [a, b] = await Promise.all([primary, secondary].map((id) => entry(id).inventory ?? readInventory(id)));
      return proposePair(a!, b!, { primary, secondary });
    },

    async apply(config) {
      const [p, s] = pairOf([config.primary, config.secondary], 'A pair');
      const members = [p, s].map((e) => ({ sessionId: e.session.sessionId, label: e.session.computerName }));
      log('info', `Applying pair ${config.name}: ${members[0]!.label} primary, ${members[1]!.label} secondary, level ${config.level}.`);
      return jobs.start(
        'apply',
        async (ctx) => {
          const [hp, hs] = await Promise.all(members.map((m) => hostOf(m.sessionId)));
          return applyPair(ctx, config, { ...members[0]!, host: hp! }, { ...members[1]!, host: hs! }, options.timings?.apply);
        },
        Object.fromEntries(members.map((m) => [m.sessionId, m.label])),
      );
    },

    async status({ sessionId }) {
      return readStatus(await hostOf(sessionId));
    },

    async readBundle({ path }) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        throw new TwinlockError({
          code: 'not-found',
          message: `Twinlock could not read the bundle ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}).`,
          hint: 'Check the path; bundles end in .twinlock.json.',
        });
      }
      return verifyBundle(text);
    },

    async exportBundle({ config, path }) {
      const [p, s] = pairOf([config.primary, config.secondary], 'A bundle');
      const pkg = lastPackage ?? (await loadAgentPackage());
      const host = (e: SessionEntry) => ({
        address: e.session.address,
        port: e.session.port,
        fingerprint: e.session.fingerprint,
        computerName: e.session.computerName,
      });
      const result = await exportBundle(
        { config, primary: host(p), secondary: host(s), agent: { version: pkg.manifest.version, sha256: pkg.manifest.sha256 } },
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
      throw new TwinlockError({ code: 'cancelled', message: 'Twinlock is shutting down.', hint: 'Start Twinlock again.' });
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
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((e) => e.host.close().catch(() => undefined)));
      listeners.clear();
    },
  };
}

/** What a method's implementation receives: its input after parsing (defaults applied). */
type ApiOutputOfInput<M extends MethodName> = z.output<(typeof methods)[M]['input']>;
