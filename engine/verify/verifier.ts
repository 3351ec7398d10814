/**
 * Verification as the engine runs it: both inventories, the report, the fixes a finding offers
 * (preview, run, wait out a restart, verify again) and the report's export.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { TwinlockError } from '../api/errors';
import type {
  ClusterConfig,
  ClusterValidation,
  ExportReportResult,
  FixId,
  FixPreview,
  FixResult,
  HostInventory,
  ProtectionLevel,
  ReportFormat,
  VerifyReport,
} from '../api/models';
import { ClusterPrereqsResultSchema, ClusterValidationSchema } from '../api/models';
import type { HostProgress } from '../api/jobs';
import type { JobContext } from '../jobs/types';
import type { RemoteHost } from '../remote/types';
import { sleep, systemClock } from '../jobs/sleep';
import type { Clock } from '../jobs/sleep';
import { writeFileAtomic } from '../store';
import { planFix } from './fixes';
import type { PlannedFix } from './fixes';
import type { ClusterEvidence, LogonKind } from './cluster';
import { reportHtml, reportJson, reportPdf } from './report';
import { verifyPair } from './verify-pair';

/** Waits of a fix that restarts a server; the defaults suit real servers. */
export interface FixTimings {
  /** How often to look for the server during a restart (default 2 s). */
  pollMs?: number;
  /** How long a restart may take before Twinlock gives up (default 20 min). */
  rebootTimeoutMs?: number;
  /** Seconds between scheduling a restart and the restart (default 5). */
  restartDelaySeconds?: number;
  /** What the polls and the time limits are measured on (engine/jobs/sleep.ts); real time by default. */
  clock?: Clock;
}

export interface VerifierDeps {
  /** The session's host, reconnected when the connection dropped (throws while the server is down). */
  hostOf(sessionId: string): Promise<RemoteHost>;
  /** Reads and parses one server's inventory. */
  readInventory(sessionId: string): Promise<HostInventory>;
  /** The last inventory read for a session, if any. */
  lastInventory(sessionId: string): HostInventory | null;
  /** How the session was reached, and how it logged on (HostSession.logon). */
  endpoint(sessionId: string): { address: string; port: number; computerName: string; logon: LogonKind };
  resourcesDir: string;
  dataDir: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  timings?: FixTimings;
}

/** What a verification reads besides the inventories (Level 1's cluster checks). */
export interface VerifyOptions {
  /** Level 1: the cluster's name and address to check; null or absent: not chosen yet. */
  cluster?: ClusterConfig | null | undefined;
  /** Level 1: also run Windows' Test-Cluster (default true). */
  testCluster?: boolean | undefined;
  /**
   * Level 1: read the cluster's prerequisites at all (default true). False keeps to the
   * inventories, for a check of a pair that already is a cluster (a drift check, a drill).
   */
  clusterChecks?: boolean | undefined;
}

/** Test-Cluster validates every node from one of them: a minute or more on real servers. */
export const TEST_CLUSTER_TIMEOUT_MS = 15 * 60_000;
/** test-cluster-prereqs asks the directory, DNS and the network: seconds, more when a DC is slow. */
export const CLUSTER_PREREQS_TIMEOUT_MS = 3 * 60_000;

/** `2025-01-02T10:11:12.345Z` → `20250102T101112Z`. */
function stamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** Verification, fixes and reports for the engine's sessions. */
export type Verifier = ReturnType<typeof createVerifier>;

export function createVerifier(deps: VerifierDeps) {
  /** The pair, level and options each session was last verified with, for re-verifying after a fix. */
  const lastVerify = new Map<
    string,
    { sessions: [string, string]; level: ProtectionLevel; options: VerifyOptions }
  >();
  /** Level 1's evidence from the last verification that read it, by `first|second` session ids. */
  const lastCluster = new Map<string, ClusterEvidence>();

  /** Test-Cluster from the first server over both, or why it is not run (one sentence). */
  const runTestCluster = async (
    ids: [string, string],
    names: [string, string],
    e: Omit<ClusterEvidence, 'validation' | 'validationNotRun'>,
    wanted: boolean,
  ): Promise<{ validation: ClusterValidation | null; validationNotRun: string }> => {
    const [na, nb] = names;
    const notRun = (validationNotRun: string) => ({ validation: null, validationNotRun });
    if (!wanted)
      return notRun(
        'Windows’ Test-Cluster was not asked for this time (--no-test-cluster), so its own validation is still to come.',
      );
    if (e.logons[0] === 'key')
      return notRun(
        `Test-Cluster was not run: it reaches ${nb} from ${na} as you, which a key-based logon to ${na} cannot do (see Logon for the cluster).`,
      );
    const unavailable = names.filter((_, i) => !e.prereqs[i]!.featureAvailable);
    if (unavailable.length > 0)
      return notRun(
        `Test-Cluster was not run: Failover Clustering is not available on ${unavailable.join(' and ')} (see Failover Clustering available).`,
      );
    // Test-Cluster is a cmdlet of the feature's tools, and validates only servers that have the feature.
    const notInstalled = names.filter((_, i) => !e.prereqs[i]!.featureInstalled);
    if (notInstalled.length > 0)
      return notRun(
        `Test-Cluster was not run: Failover Clustering is not installed on ${notInstalled.join(' and ')} yet, and Windows validates only servers that have it (the Install step enables it; verify at Level 1 again afterwards).`,
      );
    const host = await deps.hostOf(ids[0]);
    deps.log('info', `Running Windows’ Test-Cluster from ${na} over ${na} and ${nb} (a minute or more).`);
    try {
      const raw = await host.runScript(
        'test-cluster',
        { nodes: [na, nb], include: [] },
        { timeoutMs: TEST_CLUSTER_TIMEOUT_MS },
      );
      const validation = ClusterValidationSchema.parse(raw);
      deps.log('info', `Test-Cluster on ${na} and ${nb}: ${validation.result}.`);
      return { validation, validationNotRun: '' };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      deps.log('warn', `Test-Cluster could not run from ${na}: ${message}`);
      return notRun(
        `Test-Cluster could not run from ${na} (${message.replace(/\.$/, '')}), so Windows’ own validation is still to come.`,
      );
    }
  };

  const readCluster = async (
    ids: [string, string],
    a: HostInventory,
    b: HostInventory,
    options: VerifyOptions,
  ): Promise<ClusterEvidence> => {
    const cluster = options.cluster ?? null;
    const params = {
      clusterName: cluster?.name ?? '',
      clusterAddress: cluster?.address ?? '',
      vms: a.vms.map((v) => v.name),
    };
    const read = async (id: string, sharePaths?: string[]) => {
      const host = await deps.hostOf(id);
      const raw = await host.runScript(
        'test-cluster-prereqs',
        { ...params, ...(sharePaths ? { sharePaths } : {}) },
        { timeoutMs: CLUSTER_PREREQS_TIMEOUT_MS },
      );
      return ClusterPrereqsResultSchema.parse(raw);
    };
    // The second server checks the shares the first one's VMs are on: both must reach them.
    const first = await read(ids[0]);
    const second = await read(ids[1], Object.values(first.storage.vmPaths).flat());
    const prereqs: ClusterEvidence['prereqs'] = [first, second];
    const logons = ids.map((id) => deps.endpoint(id).logon) as [LogonKind, LogonKind];
    const partial = { prereqs, logons, cluster };
    const run = await runTestCluster(
      ids,
      [a.computerName, b.computerName],
      partial,
      options.testCluster !== false,
    );
    return { ...partial, ...run };
  };

  const verify = async (
    ids: [string, string],
    level: ProtectionLevel,
    options: VerifyOptions = {},
  ): Promise<VerifyReport> => {
    const [a, b] = (await Promise.all(ids.map((id) => deps.readInventory(id)))) as [
      HostInventory,
      HostInventory,
    ];
    const evidence =
      level === 1 && options.clusterChecks !== false ? await readCluster(ids, a, b, options) : null;
    if (evidence) lastCluster.set(ids.join('|'), evidence);
    const report: VerifyReport = {
      ...verifyPair(a, b, level, evidence),
      ranAt: new Date().toISOString(),
      targets: ids.map((id) => {
        const e = deps.endpoint(id);
        return `${e.address}:${e.port}`;
      }),
      ...(evidence
        ? {
            cluster: evidence.cluster,
            clusterPrereqs: [evidence.prereqs[0], evidence.prereqs[1]],
            clusterValidation: evidence.validation,
          }
        : {}),
    };
    for (const id of ids) lastVerify.set(id, { sessions: ids, level, options });
    return report;
  };

  const plan = async (sessionId: string, fixId: FixId): Promise<PlannedFix> => {
    const target = deps.lastInventory(sessionId) ?? (await deps.readInventory(sessionId));
    const pair = lastVerify.get(sessionId);
    const peerId = pair ? pair.sessions.find((s) => s !== sessionId) : undefined;
    const peer = peerId ? (deps.lastInventory(peerId) ?? null) : null;
    try {
      return planFix(fixId, { target, peer, peerAddress: peerId ? deps.endpoint(peerId).address : null });
    } catch (err) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: err instanceof Error ? err.message : String(err),
        hint: 'Verify the servers again; the finding may have changed.',
        detail: { fixId },
      });
    }
  };

  const scriptText = (name: string) => readFile(join(deps.resourcesDir, 'scripts', `${name}.ps1`), 'utf8');

  /** Waits for the old connection to drop, then for the server to accept a new one. */
  const waitForRestart = async (
    sessionId: string,
    before: RemoteHost,
    signal: AbortSignal,
  ): Promise<void> => {
    const stopped = () => {
      if (!signal.aborted) return;
      throw new TwinlockError({
        code: 'cancelled',
        message: `Twinlock stopped waiting for ${deps.endpoint(sessionId).computerName}; the restart itself goes on.`,
        hint: 'Connect again once the server is back, then verify again.',
      });
    };
    // A cancel cuts the pause short; the check after it says what the cancel left behind.
    const t = deps.timings ?? {};
    const clock = t.clock ?? systemClock;
    const pause = (ms: number) => sleep(ms, signal, clock).catch(() => undefined);
    const poll = t.pollMs ?? 2000;
    const deadline = clock.now() + (t.rebootTimeoutMs ?? 20 * 60_000);
    const goneBy = clock.now() + ((t.restartDelaySeconds ?? 5) + 120) * 1000;
    while (before.isConnected() && clock.now() < goneBy) {
      stopped();
      await pause(Math.min(poll, 250));
    }
    let lastError: unknown = null;
    while (clock.now() < deadline) {
      stopped();
      try {
        const host = await deps.hostOf(sessionId);
        if (host !== before && host.isConnected()) return;
      } catch (err) {
        lastError = err;
      }
      await pause(poll);
    }
    const name = deps.endpoint(sessionId).computerName;
    throw new TwinlockError({
      code: 'timeout',
      message: `${name} did not come back after its restart.`,
      hint: `Check ${name}’s console (iDRAC/iLO): it may wait at a firmware prompt. Then connect and verify again.`,
      detail: { sessionId, lastError: lastError instanceof Error ? lastError.message : null },
    });
  };

  return {
    verify,

    /**
     * Level 1's evidence from the last verification of these two servers at Level 1, as the
     * primary (`ids[0]`) and secondary see it; null when none read it.
     */
    clusterEvidence(ids: readonly [string, string]): ClusterEvidence | null {
      const same = lastCluster.get(ids.join('|'));
      if (same) return same;
      const swapped = lastCluster.get(`${ids[1]}|${ids[0]}`);
      if (!swapped) return null;
      // The rules read the first server as the one that creates the cluster: keep that true for the new order.
      return {
        ...swapped,
        prereqs: [swapped.prereqs[1], swapped.prereqs[0]],
        logons: [swapped.logons[1], swapped.logons[0]],
      };
    },

    async previewFix(sessionId: string, fixId: FixId): Promise<FixPreview> {
      const p = await plan(sessionId, fixId);
      return {
        fixId,
        computerName: deps.endpoint(sessionId).computerName,
        description: p.description,
        scriptName: p.scriptName,
        script: await scriptText(p.scriptName),
        params: p.params as Record<string, unknown>,
        needsReboot: p.needsReboot,
      };
    },

    /** Runs a fix as a job's work: each stage is a progress line; a cancel stops the wait for a restart. */
    async applyFix(
      ctx: JobContext<'fix'>,
      sessionId: string,
      fixId: FixId,
      level?: ProtectionLevel,
    ): Promise<FixResult> {
      const clock = deps.timings?.clock ?? systemClock;
      const started = clock.now();
      const name = deps.endpoint(sessionId).computerName;
      const stage = (percent: number, message: string, state: HostProgress['state'] = 'running') => {
        ctx.progress(percent, message);
        ctx.host(sessionId, { label: name, state, step: 'fix', percent, message });
      };
      const p = await plan(sessionId, fixId);
      const host = await deps.hostOf(sessionId);
      deps.log('info', `Fixing ${name}: ${p.description}`);
      stage(10, `${p.description.replace(/\.$/, '')}…`);
      const out = (await host.runScript(p.scriptName, p.params as never, {
        timeoutMs: 30 * 60_000,
        signal: ctx.signal,
      })) as Record<string, unknown> | null;
      if (out && typeof out.failed === 'number' && out.failed > 0) {
        throw new TwinlockError({
          code: 'script-failed',
          message: `${out.failed} update package(s) failed to install on ${name}.`,
          hint: 'Install the update by hand (double-click the .msu) to see Windows’ message.',
          detail: { fixId, result: out },
        });
      }
      let rebooted = false;
      if (p.needsReboot) {
        const delaySeconds = deps.timings?.restartDelaySeconds ?? 5;
        deps.log('info', `Restarting ${name} to finish the fix; Twinlock waits for it to come back.`);
        stage(40, `Restarting ${name}; waiting for it to come back (this can take several minutes)…`);
        // The restart fix has just scheduled it; a second shutdown.exe would be refused (1190).
        if (p.scriptName !== 'restart-host')
          await host.runScript('restart-host', { delaySeconds, reason: 'fix' });
        await waitForRestart(sessionId, host, ctx.signal);
        rebooted = true;
        deps.log('info', `${name} is back after its restart.`);
      }
      const pair = lastVerify.get(sessionId);
      stage(85, pair ? 'Verifying the pair again…' : `Reading ${name}’s inventory again…`);
      let report: VerifyReport | null = null;
      if (pair) report = await verify(pair.sessions, level ?? pair.level, pair.options);
      else await deps.readInventory(sessionId);
      const message = `${p.description.replace(/\.$/, '')}: done${rebooted ? ', restarted and back' : ''}.`;
      stage(100, message, 'done');
      return { fixId, computerName: name, message, rebooted, elapsedMs: clock.now() - started, report };
    },

    async exportReport(
      report: VerifyReport,
      format: ReportFormat,
      path?: string,
      includeContent = false,
    ): Promise<ExportReportResult> {
      const [a, b] = report.hosts;
      const target = path
        ? isAbsolute(path)
          ? path
          : resolve(path)
        : join(
            deps.dataDir,
            'reports',
            `verify-${a.computerName}-${b.computerName}-${stamp(report.ranAt)}.${format}`,
          );
      const data =
        format === 'json'
          ? reportJson(report)
          : format === 'html'
            ? reportHtml(report)
            : await reportPdf(report);
      // A report holds no secret: readable like any document the admin saves.
      await writeFileAtomic(target, data, { mode: 0o644 });
      deps.log('info', `Exported the verification report to ${target}.`);
      const written = { path: target, format, bytes: (await stat(target)).size };
      if (!includeContent) return written;
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
      return { ...written, contentBase64: bytes.toString('base64') };
    },
  };
}
