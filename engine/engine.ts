/**
 * The one implementation of the contract: every method validates its input with the method's
 * schema, runs, and validates its output. Sessions live in memory (passwords included, for
 * reconnects); nothing secret is written to disk or put in an event.
 *
 * This is the composition root: it wires every engine module together, so it lives beside them
 * and not in `engine/api` (the contract, which the renderer's type-check reads). It answers the
 * light methods itself (host keys, discovery, sessions, the wizard's draft, jobs) and loads the
 * features (engine/services.ts) on the first call that needs one, so a `twinlock` process that
 * lists host keys or scans never loads verification, pairing or fleets.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { z, ZodError } from 'zod';
import type { PairTimings } from './pair/transaction';
import type { InstallTimings } from './agent/install';
import { createJobRunner } from './jobs/job-runner';
import { hostIdOf } from './remote/fingerprint';
import { KnownHosts } from './remote/known-hosts';
import type { DrillTimings } from './pair/drill';
import { createSessionStore } from './service/sessions';
import { readJsonFile, resolveDataDir, writeJsonFile } from './store';
import { appPaths } from './app-paths';
import type { FixTimings } from './verify/verifier';
import type { ApiInput, ApiOutput, MethodName, TwinlockApi, TwinlockEngine } from './api/contract';
import type * as Contract from './api/contract';
import type { methods } from './api/contract';
import { hostMethods } from './api/contract-hosts';
import { TwinlockError, toErrorData } from './api/errors';
import type { ApiEvent } from './api/jobs';
import type { DiscoveredHost, Witness } from './api/models';
import { WizardDraftSchema } from './api/models/draft';
import type { Clock } from './jobs/sleep';
import type { createFeatures } from './services';

/** The methods `createEngine` answers itself, without loading the features (engine/services.ts). */
export const CORE_METHODS = [
  'suggestions',
  'checkTargets',
  'scan',
  'connect',
  'disconnect',
  'sessions',
  'knownHosts',
  'forgetHostKey',
  'inventory',
  'wizardDraft',
  'saveWizardDraft',
  'job',
  'waitJob',
  'cancelJob',
] as const satisfies readonly MethodName[];
export type CoreMethod = (typeof CORE_METHODS)[number];
/** The methods the features answer (engine/services.ts). */
export const FEATURE_METHODS = [
  'verify',
  'previewFix',
  'applyFix',
  'exportReport',
  'install',
  'rollback',
  'resumableJobs',
  'resumeJob',
  'discardJob',
  'proposePair',
  'pair',
  'plan',
  'applyPlan',
  'measureLinks',
  'checkWitness',
  'drill',
  'exportProtectionReport',
  'unpair',
  'status',
  'exportBundle',
  'readBundle',
  'trustedKeys',
  'trustKey',
  'forgetKey',
  'exportPublicKey',
  'preflightBundle',
  'drift',
  'parseFleet',
  'fleet',
  'exportAnsible',
  'agentPackage',
  'trustedPublishers',
  'trustPublisher',
  'forgetPublisher',
] as const satisfies readonly Exclude<MethodName, CoreMethod>[];
export type FeatureMethod = (typeof FEATURE_METHODS)[number];
// Every method of the contract is in one list or the other (a new method that is in neither fails
// to compile here); the contract itself is loaded only when a call needs its schemas.
const _everyMethodListed: Record<Exclude<MethodName, CoreMethod | FeatureMethod>, never> = {};

/** What a method's implementation receives: its input after parsing (defaults applied). */
export type ParsedInput<M extends MethodName> = z.output<(typeof methods)[M]['input']>;
/** One method's implementation. */
export type MethodImpl<M extends MethodName> = (input: ParsedInput<M>) => Promise<ApiOutput<M>>;

type Features = ReturnType<typeof createFeatures>;

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
  const jobs = createJobRunner((job) => emit({ type: 'job', job }), clock ? { clock } : {});
  const sessions = createSessionStore({ knownHosts, resourcesDir, log, closing });
  /** The features, loaded and composed on the first call that needs one (engine/services.ts). */
  let features: Promise<Features> | undefined;
  const loadFeatures = (): Promise<Features> =>
    (features ??= import('./services').then(({ createFeatures }) =>
      createFeatures({
        dataDir,
        resourcesDir,
        sessions,
        jobs,
        log,
        closing,
        timings: options.timings,
        labWitness: options.lab?.witness ?? null,
        api: () => api,
        call,
        listen: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      }),
    ));

  const core: { [M in CoreMethod]: MethodImpl<M> } = {
    async suggestions() {
      const [prefill, , , probe] = await loadDiscovery();
      // Each lab server is reached once, so its row shows a round trip like a scanned one.
      const reached = await Promise.all(
        labHosts.map((h) =>
          probe.probePort(h.address, h.port, { timeoutMs: 1000, bannerMs: 0, sockets: new Set() }),
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
        targets: labHosts.length > 0 ? prefill.labTargets(labHosts) : prefill.workstationTargets().join(', '),
        hosts,
        labAccount: first ? { username: first.username, password: first.password } : null,
      };
    },

    async checkTargets({ targets, allowLarge }) {
      if (targets.trim() === '') return { count: 0 };
      const [, targetRules] = await loadDiscovery();
      const checked = targetRules.checkTargets(targets, { allowLarge: allowLarge === true });
      if (checked instanceof TwinlockError) throw checked;
      return checked;
    },

    async scan(input) {
      const [, targetRules, scanner] = await loadDiscovery();
      const plan = targetRules.planTargets(input.targets, { allowLarge: input.allowLarge === true });
      log('info', `Scanning ${plan.count} address(es).`);
      const knownName = (address: string, port: number) =>
        labHosts.find((h) => h.address === address && h.port === port)?.name ?? null;
      return jobs.start('scan', (ctx) => scanner.runScan(ctx, plan, input, { knownName }));
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

    async wizardDraft() {
      return readJsonFile(draftPath, WizardDraftSchema);
    },

    async saveWizardDraft({ draft }) {
      if (draft === null) await rm(draftPath, { force: true });
      else await writeJsonFile(draftPath, draft);
      return {};
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
    const spec = await specOf(method);
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) throw invalidInput(method, parsed.error);
    let output: unknown;
    try {
      const run = (isCore(method) ? core[method] : (await loadFeatures())[method as FeatureMethod]) as (
        input: unknown,
      ) => Promise<unknown>;
      output = await run(parsed.data);
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
    [...CORE_METHODS, ...FEATURE_METHODS].map((m) => [m, (input: ApiInput<typeof m>) => call(m, input)]),
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

const coreMethods: ReadonlySet<string> = new Set(CORE_METHODS);
const isCore = (method: MethodName): method is CoreMethod => coreMethods.has(method);

/** The scanner and what Discover pre-fills (DNS, sockets, the interfaces), loaded by the first discovery call. */
const importDiscovery = () =>
  Promise.all([
    import('./discovery/prefill'),
    import('./discovery/targets'),
    import('./discovery/scan'),
    import('./discovery/probe'),
  ]);
let discovery: ReturnType<typeof importDiscovery> | undefined;
const loadDiscovery = () => (discovery ??= importDiscovery());

type HostMethod = keyof typeof hostMethods;
const isHostMethod = (method: MethodName): method is HostMethod => Object.hasOwn(hostMethods, method);
/** The whole contract's schemas, built by the first call that is not about servers and host keys. */
let contract: Promise<typeof Contract> | undefined;
/** The input and output schemas of a method. */
async function specOf(method: MethodName): Promise<{ input: z.ZodType; output: z.ZodType }> {
  if (isHostMethod(method)) return hostMethods[method];
  return (await (contract ??= import('./api/contract'))).methods[method];
}
