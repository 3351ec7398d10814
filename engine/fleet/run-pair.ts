/**
 * One pair of a fleet run: Twinlock's own steps, through the engine's own contract, exactly as
 * `twinlock apply` runs them — connect both servers, check the bundle against them, verify at the
 * bundle's level, install the agent, plan, pair, and check the result for drift. Steps an earlier
 * run finished are not run again; an install or a pairing it left half-done is resumed from its
 * own journal. Whatever happens, the pair's sessions are closed when it ends, and nothing it does
 * reaches another pair.
 */
import { TwinlockError, toErrorData } from '../api/errors';
import type { TwinlockApi } from '../api/contract';
import type { JobSnapshot } from '../api/jobs';
import type {
  DriftItem,
  FleetPair,
  FleetPairOutcome,
  FleetProgressStep,
  FleetHost,
  HostSession,
  PairConfig,
} from '../api/models';
import type { JournalStep } from './fleet-journal';

/** The contract methods a pair's run calls. */
export type FleetApi = Pick<
  TwinlockApi,
  | 'connect'
  | 'disconnect'
  | 'readBundle'
  | 'preflightBundle'
  | 'verify'
  | 'install'
  | 'waitJob'
  | 'cancelJob'
  | 'resumableJobs'
  | 'resumeJob'
  | 'plan'
  | 'applyPlan'
  | 'drift'
  | 'inventory'
>;

export interface PairCredentials {
  username: string;
  password?: string | undefined;
  privateKey?: string | undefined;
  passphrase?: string | undefined;
}

export interface PairRunOptions {
  mode: 'apply' | 'drift';
  check: boolean;
  bundle: string;
  credentials: PairCredentials;
  trustNew: boolean;
  /** Host keys accepted for a new server the fleet file pins no key for (`--fingerprint`). */
  fingerprints?: readonly string[] | undefined;
  packageDir?: string | undefined;
  trustPublisher?: string | undefined;
  timeoutMs?: number | undefined;
  /** Level 1, a cloud witness: the storage account's access key (held in memory, never journalled). */
  cloudWitnessKey?: string | undefined;
}

/** A patch of the pair's row in the fleet job. */
export interface PairProgress {
  state?: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  step?: FleetProgressStep;
  percent?: number;
  message?: string;
  label?: string;
}

export interface PairRunHooks {
  api: FleetApi;
  signal: AbortSignal;
  /** Steps an earlier run finished (not run again). */
  finished: readonly FleetProgressStep[];
  progress(patch: PairProgress): void;
  /** Records a finished step in the fleet's journal. */
  stepDone(step: JournalStep): Promise<void>;
  /** Records the computer names once both servers answered. */
  reached(servers: [string, string]): Promise<void>;
  /** Follows a sub-job's progress (install, pairing) while it runs; returns the unsubscribe. */
  watchJob(jobId: string, onSnapshot: (job: JobSnapshot) => void): () => void;
}

/** Where each step begins on the pair's progress bar. */
const SPAN: Record<JournalStep | 'connect', [number, number]> = {
  connect: [0, 5],
  verify: [5, 15],
  install: [15, 50],
  plan: [50, 55],
  pair: [55, 95],
  drift: [95, 100],
};

/** Runs one pair to its outcome; never throws (a failure is the outcome). */
export async function runFleetPair(
  pair: FleetPair,
  options: PairRunOptions,
  hooks: PairRunHooks,
): Promise<FleetPairOutcome> {
  const started = Date.now();
  const { api, signal } = hooks;
  const resumed = hooks.finished.filter((s) => s !== 'connect');
  const done = new Set<FleetProgressStep>(resumed);
  let servers: [string, string] = [endpoint(pair.primary), endpoint(pair.secondary)];
  let current: FleetProgressStep = 'connect';
  let changed = false;
  const sessions: string[] = [];
  const outcome = (
    result: FleetPairOutcome['result'],
    extra: Partial<FleetPairOutcome> = {},
  ): FleetPairOutcome => ({
    name: pair.name,
    servers,
    result,
    changed,
    resumed,
    elapsedMs: Date.now() - started,
    ...extra,
  });
  const at = (step: JournalStep | 'connect', message: string, within = 0) => {
    current = step;
    const [from, to] = SPAN[step];
    hooks.progress({
      state: 'running',
      step,
      percent: Math.round(from + ((to - from) * within) / 100),
      message,
    });
  };
  const finish = async (step: JournalStep) => {
    done.add(step);
    await hooks.stepDone(step);
  };

  try {
    at('connect', `Connecting to ${servers.join(' and ')}.`);
    const pairSessions = await connectBoth(pair, options, api, sessions);
    const [a, b] = pairSessions;
    servers = [a.computerName, b.computerName];
    const ids: [string, string] = [a.sessionId, b.sessionId];
    await hooks.reached(servers);
    hooks.progress({ label: `${servers[0]} + ${servers[1]}` });
    throwIfCancelled(signal);
    const values = {
      name: pair.name,
      ...(pair.vms !== undefined ? { vms: pair.vms } : {}),
      ...(pair.linkAddresses !== undefined ? { linkAddresses: pair.linkAddresses } : {}),
      // Level 1: the pair's own cluster, from its row of the fleet file.
      ...(pair.cluster !== undefined
        ? { clusterName: pair.cluster.name, clusterAddress: pair.cluster.address }
        : {}),
    };

    if (options.mode === 'drift') {
      at('drift', `Comparing ${pair.name} with the bundle.`);
      const report = await api.drift({ bundle: { path: options.bundle }, sessions: ids, ...values });
      return outcome(report.matches ? 'matches' : 'drift', { differences: report.differences });
    }

    const bundle = await api.readBundle({ path: options.bundle });
    // The bundle checked against both servers: read-only, so done again whenever a later step needs its configuration.
    let config: PairConfig | null = null;
    const preflight = async () => {
      config ??= (
        await api.preflightBundle({
          path: options.bundle,
          sessions: ids,
          ...values,
          ...(options.packageDir ? { packageDir: options.packageDir } : {}),
        })
      ).config;
      return config;
    };

    if (!done.has('verify')) {
      at('verify', `Checking the bundle against ${servers.join(' and ')}.`);
      const checked = await preflight();
      at('verify', `Verifying ${servers.join(' and ')} at level ${bundle.pair.level}.`, 50);
      const report = await api.verify({
        sessions: ids,
        level: bundle.pair.level,
        ...(checked.cluster ? { cluster: checked.cluster } : {}),
      });
      if (report.outcome === 'blocked') {
        const blocker = report.findings.find((f) => f.severity === 'blocker');
        throw new TwinlockError({
          code: 'incompatible',
          message: blocker
            ? `Verification found a blocker: ${blocker.title}: ${blocker.reason}`
            : report.verdict,
          hint: blocker?.remedy ?? 'Open the verification report, fix each blocker, and run the fleet again.',
          detail: { findings: report.findings.filter((f) => f.severity === 'blocker').map((f) => f.ruleId) },
        });
      }
      if (!options.check) await finish('verify');
    }
    throwIfCancelled(signal);

    if (options.check) {
      at('plan', `Planning ${pair.name}.`);
      const inventories = await Promise.all(ids.map((sessionId) => api.inventory({ sessionId })));
      if (inventories.some((i) => i.agentVersion === null)) {
        return outcome('planned', {
          differences: [
            {
              field: 'agent',
              what: 'Agent',
              expected: bundle.agent.version,
              actual: 'not installed',
              change: `Install the agent ${bundle.agent.version}, then pair ${pair.name}`,
            },
          ],
        });
      }
      const plan = await api.plan({ kind: 'pair', config: await preflight() });
      if (plan.corrects?.length === 0) return outcome('unchanged', { differences: [] });
      return outcome('planned', { differences: plan.corrects ?? [notPaired(pair.name, plan.pair.level)] });
    }

    if (!done.has('install')) {
      at(
        'install',
        `${bundle.pair.level === 1 ? 'Enabling Failover Clustering' : 'Installing the agent'} on ${servers.join(' and ')}.`,
      );
      const interrupted = await interruptedJob(api, 'install', pair);
      const ref = interrupted
        ? await api.resumeJob({ jobId: interrupted, ...logonOf(options.credentials) })
        : await api.install(
            bundle.pair.level === 1
              ? // Level 1 enables Windows' Failover Clustering instead: no agent package.
                { sessions: ids, level: 1 }
              : {
                  sessions: ids,
                  level: bundle.pair.level,
                  bundlePath: options.bundle,
                  ...(options.packageDir ? { packageDir: options.packageDir } : {}),
                  ...(options.trustPublisher ? { trustPublisher: options.trustPublisher } : {}),
                },
          );
      const job = await follow(hooks, ref.jobId, (p) => at('install', `Installing the agent (${p}%).`, p));
      if (job.kind === 'install' && job.result?.some((o) => o.action !== 'already-installed')) changed = true;
      await finish('install');
    }
    throwIfCancelled(signal);

    if (!done.has('pair')) {
      const interrupted = await interruptedJob(api, 'pair', pair);
      let paired = false;
      if (interrupted) {
        at('pair', `Resuming the pairing of ${pair.name}.`);
        changed = true;
        const ref = await api.resumeJob({ jobId: interrupted, ...logonOf(options.credentials) });
        try {
          await follow(hooks, ref.jobId, (p) =>
            at('pair', `Resuming the pairing of ${pair.name} (${p}%).`, p),
          );
          paired = true;
        } catch (err) {
          // A pairing that could not be finished and was rolled back completely leaves both servers
          // as they were before it: the pair is planned and made afresh. Anything else stops here.
          const undo = toErrorData(err).detail?.undo as { complete?: unknown } | undefined;
          if (undo?.complete !== true) throw err;
          throwIfCancelled(signal);
        }
      }
      if (!paired) {
        at('plan', `Planning ${pair.name}.`);
        const plan = await api.plan({ kind: 'pair', config: await preflight() });
        if (plan.corrects?.length === 0 && resumed.length === 0 && !changed) {
          // Both servers already hold this pair as the bundle has it: nothing to apply.
          await finish('plan');
          return outcome('unchanged');
        }
        // Empty `corrects` after an earlier run began: it made the pair and stopped before recording it; checked, not made again.
        if (plan.corrects?.length !== 0) {
          throwIfCancelled(signal);
          at('pair', `Pairing ${pair.name}: ${plan.steps.filter((s) => s.changes).length} change(s).`);
          const ref = await api.applyPlan({
            plan,
            sessions: ids,
            ...(options.cloudWitnessKey !== undefined ? { cloudWitnessKey: options.cloudWitnessKey } : {}),
          });
          changed = true;
          await follow(hooks, ref.jobId, (p) => at('pair', `Pairing ${pair.name} (${p}%).`, p));
        }
      }
      await finish('plan');
      await finish('pair');
    }
    throwIfCancelled(signal);

    if (done.has('drift')) return outcome('protected');
    at('drift', `Checking ${pair.name} against the bundle.`);
    const report = await api.drift({ bundle: { path: options.bundle }, sessions: ids, ...values });
    if (!report.matches) {
      return outcome('failed', {
        failedStep: 'drift',
        differences: report.differences,
        error: {
          code: 'incompatible',
          message: `${pair.name} was paired but still differs from the bundle: ${report.differences.map((d) => `${d.what} (${d.actual}, expected ${d.expected})`).join('; ')}.`,
          hint: `Run twinlock drift for ${pair.name} to see each difference, then run the fleet again.`,
        },
      });
    }
    await finish('drift');
    return outcome('protected');
  } catch (err) {
    const error = toErrorData(err, `pair ${pair.name}`);
    return outcome('failed', { failedStep: current, error });
  } finally {
    // A pair's sessions end with it: a run of 200 pairs does not hold 400 SSH connections.
    await Promise.all(sessions.map((sessionId) => api.disconnect({ sessionId }).catch(() => undefined)));
  }
}

function endpoint(h: FleetHost): string {
  return h.address.includes(':') ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`;
}

function logonOf(c: PairCredentials) {
  return {
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.privateKey !== undefined ? { privateKey: c.privateKey } : {}),
    ...(c.passphrase !== undefined ? { passphrase: c.passphrase } : {}),
  };
}

function notPaired(name: string, level: number): DriftItem {
  return {
    field: 'pair',
    what: 'Pair',
    expected: `${name} at level ${level}`,
    actual: 'not paired',
    change: `Pair the servers as ${name}`,
  };
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted)
    throw new TwinlockError({
      code: 'cancelled',
      message: 'The fleet run was stopped.',
      hint: 'Run the fleet again: each pair continues where it stopped.',
    });
}

/** Both servers connected; a new host key accepted only when the fleet file pins it or `trustNew`. */
async function connectBoth(
  pair: FleetPair,
  options: PairRunOptions,
  api: FleetApi,
  opened: string[],
): Promise<[HostSession, HostSession]> {
  const settled = await Promise.allSettled(
    (['primary', 'secondary'] as const).map(async (role) => {
      const host = pair[role];
      const request = {
        address: host.address,
        port: host.port,
        ...options.credentials,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      };
      let session: HostSession;
      try {
        session = await api.connect(request);
      } catch (err) {
        const data = toErrorData(err);
        const presented = typeof data.detail?.fingerprint === 'string' ? data.detail.fingerprint : undefined;
        if (data.code !== 'unknown-host-key' || !presented) throw err;
        if (host.fingerprint !== undefined && host.fingerprint !== presented) {
          throw new TwinlockError({
            code: 'host-key-changed',
            message: `${endpoint(host)} (the ${role} of ${pair.name}) presents the host key ${presented}, not the ${host.fingerprint} the fleet file pins.`,
            hint: 'Compare the key with the server’s own before anything else: if the server was reinstalled, put its new fingerprint in the fleet file.',
            detail: { expected: host.fingerprint, actual: presented, hostId: endpoint(host) },
          });
        }
        const given = options.fingerprints?.includes(presented) === true;
        if (host.fingerprint === undefined && !options.trustNew && !given) {
          throw new TwinlockError({
            code: 'unknown-host-key',
            message: `${endpoint(host)} (the ${role} of ${pair.name}) has never been seen before; its host key is ${presented}.`,
            hint:
              'Compare it with the server’s own' +
              (typeof data.detail?.checkCommand === 'string' ? ` (${data.detail.checkCommand})` : '') +
              `, then put it in the fleet file (fingerprints: { ${role}: "${presented}" }), give it with --fingerprint ${presented}, or run with --trust-new.`,
            detail: { fingerprint: presented, host: endpoint(host) },
          });
        }
        session = await api.connect({ ...request, acceptFingerprint: presented });
      }
      opened.push(session.sessionId);
      if (host.fingerprint !== undefined && session.fingerprint !== host.fingerprint) {
        throw new TwinlockError({
          code: 'host-key-changed',
          message: `${endpoint(host)} (the ${role} of ${pair.name}) is pinned with the host key ${session.fingerprint}, not the ${host.fingerprint} the fleet file gives.`,
          hint: 'Compare both with the server’s own key, then correct the fleet file (or forget the pinned key with twinlock hosts forget).',
          detail: { expected: host.fingerprint, actual: session.fingerprint, hostId: endpoint(host) },
        });
      }
      return session;
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<HostSession>).value) as [HostSession, HostSession];
}

/** An install or pairing of exactly these two servers that a stopped run left behind, by its journal. */
async function interruptedJob(
  api: FleetApi,
  kind: 'install' | 'pair',
  pair: FleetPair,
): Promise<string | null> {
  const jobs = await api.resumableJobs({});
  const ends = [pair.primary, pair.secondary].map((h) => endpoint(h).toLowerCase()).sort();
  const match = jobs.find((j) => {
    if (j.kind !== kind || j.hosts.length !== 2) return false;
    const hosts = j.hosts.map((h) => endpoint(h).toLowerCase()).sort();
    return hosts[0] === ends[0] && hosts[1] === ends[1];
  });
  return match?.jobId ?? null;
}

/** Waits for a sub-job, passing its progress on; a failed one throws its error; cancelling the fleet cancels it. */
async function follow(
  hooks: PairRunHooks,
  jobId: string,
  onPercent: (percent: number) => void,
): Promise<JobSnapshot> {
  const stop = hooks.watchJob(jobId, (job) => onPercent(Math.round(job.percent)));
  const cancel = () => void hooks.api.cancelJob({ jobId }).catch(() => undefined);
  hooks.signal.addEventListener('abort', cancel, { once: true });
  try {
    const job = await hooks.api.waitJob({ jobId });
    if (job.state !== 'done') {
      throw new TwinlockError(
        job.error ?? {
          code: job.state === 'cancelled' ? 'cancelled' : 'internal',
          message: `The ${job.kind} job ended ${job.state}.`,
        },
      );
    }
    return job;
  } finally {
    stop();
    hooks.signal.removeEventListener('abort', cancel);
  }
}
