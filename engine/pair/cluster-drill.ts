/**
 * A failover drill on a Level 1 pair (a Windows failover cluster, no agent). Each step runs the
 * `invoke-cluster-drill` script on the server that stays up, while Twinlock watches every VM from
 * outside exactly as at Levels 2 and 3 (engine/pair/vm-watch.ts):
 *
 * - `primary-loss`: Stop-ClusterNode of the primary (its cluster service stops, as when the server
 *   fails); the cluster restarts its VMs on the secondary; each VM's downtime is the time it ran
 *   nowhere. Then Start-ClusterNode, and each VM moved back by live migration.
 * - `drain`: Suspend-ClusterNode -Drain -Wait (the primary's VMs live-migrated off, the node
 *   paused), then Resume-ClusterNode -Failback Immediate (the VMs moved back).
 * - `live-migration`: Move-ClusterVirtualMachineRole -MigrationType Live of each VM to the
 *   secondary and back: the no-downtime test.
 *
 * Whatever happens, a node the drill stopped is started again and a node it paused is resumed,
 * and the result says so. The pair passes when both servers read it protected again, every VM on
 * the node it ran on before the drill.
 */
import { z } from 'zod';
import { TwinlockError, toErrorData } from '../api/errors';
import type { AgentStatus, ClusterDrillResult, ClusterStatus, DrillKind, DrillResult } from '../api/models';
import { ClusterDrillResultSchema, roleSettled } from '../api/models';
import { parseScriptResult } from '../agent/script-results';
import type { JobContext } from '../jobs/types';
import type { ScriptParams } from '../remote/scripts';
import { readClusterState } from './cluster-status';
import { startDrillWatch, vmDowntimes } from './drill';
import type { DrillMember } from './drill';
import { readPairStatus } from './status';
import { achievedIntervalMs } from './vm-watch';
import type { WatchOptions } from './vm-watch';

export interface ClusterDrillTimings {
  /** Milliseconds between looks at each VM (at most 100). */
  sampleIntervalMs?: number;
  /** Milliseconds between reads of the cluster's state while waiting for its roles. */
  statusIntervalMs?: number;
  /** How long the VMs may take to come online after a step (a real restart takes minutes). */
  rolesTimeoutMs?: number;
  /** How long after the last step both servers may take to read the pair protected. */
  protectedTimeoutMs?: number;
  /** How long the watch keeps looking for a VM the cluster reports online but Get-VM does not show running yet. */
  settleMs?: number;
}

const DEFAULTS: Required<ClusterDrillTimings> = {
  sampleIntervalMs: 50,
  statusIntervalMs: 250,
  rolesTimeoutMs: 30 * 60_000,
  protectedTimeoutMs: 10 * 60_000,
  settleMs: 60_000,
};

/** The drill kinds a Level 1 pair runs. */
export const CLUSTER_DRILL_KINDS = ['primary-loss', 'drain', 'live-migration'] as const;

/**
 * Why a Level 1 pair cannot run this drill, or null. A failover cluster has no sync link of its
 * own to cut: its nodes talk over every cluster network, and Twinlock does not unplug networks.
 */
export function clusterDrillRefusal(kind: DrillKind): string | null {
  if (kind === 'link-loss')
    return 'a Level 1 pair is a Windows failover cluster, which has no sync link to cut (its servers talk over every cluster network); pick primary-loss to stop the primary’s cluster service, drain to move its VMs off gracefully, or live-migration to move each VM while it runs';
  return null;
}

/** Why a Level 1 pair cannot be drilled now (both servers must read it protected, as one cluster), or null. */
export function clusterPairRefusal(
  members: readonly DrillMember[],
  statuses: readonly AgentStatus[],
): string | null {
  for (const [i, st] of statuses.entries()) {
    const name = members[i]!.computerName;
    if (!st.pair || !st.cluster) return `${name} is not a node of the pair’s failover cluster`;
    if (st.pair.state !== 'protected') {
      const down = st.cluster.nodes.filter((n) => n.state !== 'Up').map((n) => `${n.name} is ${n.state}`);
      const roles = st.cluster.roles.filter((r) => !roleSettled(r.state)).map((r) => `${r.vm} is ${r.state}`);
      return `the cluster is not healthy as ${name} reads it (${[...down, ...roles].join(', ') || st.pair.state})`;
    }
  }
  if (statuses[0]!.cluster!.name.toLowerCase() !== statuses[1]!.cluster!.name.toLowerCase())
    return `${members[0]!.computerName} and ${members[1]!.computerName} are nodes of different clusters (${statuses[0]!.cluster!.name}, ${statuses[1]!.cluster!.name})`;
  if (statuses[0]!.cluster!.roles.length === 0) return 'the cluster has no VM roles to drill';
  return null;
}

/** invoke-cluster-drill's answer, tolerant of ConvertTo-Json's one-item arrays. */
const listOf = (v: unknown): unknown[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);
const DrillStepWireSchema = z.preprocess((raw) => {
  if (typeof raw !== 'object' || raw === null) return raw;
  const r = raw as Record<string, unknown>;
  return { ...r, nodes: listOf(r.nodes), roles: listOf(r.roles) };
}, ClusterDrillResultSchema);

type Action = ScriptParams['invoke-cluster-drill']['action'];

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** A duration for an admin's progress line. */
function spoken(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Runs a drill on a Level 1 pair; `statuses` read just before (the refusals checked). */
export async function runClusterDrill(
  ctx: JobContext<'drill'>,
  members: readonly [DrillMember, DrillMember],
  statuses: readonly [AgentStatus, AgentStatus],
  request: { kind: DrillKind; watchPorts: Record<string, number> },
  timings: ClusterDrillTimings = {},
  watchOptions: Partial<WatchOptions> = {},
): Promise<DrillResult> {
  const t = { ...DEFAULTS, ...timings };
  const kind = request.kind;
  const refused = clusterDrillRefusal(kind);
  if (refused)
    throw new TwinlockError({
      code: 'invalid-input',
      message: `The ${kind} drill does not apply to this pair: ${refused}.`,
      hint: 'Run twinlock drill again with --kind primary-loss, drain or live-migration.',
      detail: { field: 'kind' },
    });
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const p = statuses[0].role === 'primary' ? 0 : 1;
  const primary = members[p]!;
  const secondary = members[1 - p]!;
  const cluster0: ClusterStatus = statuses[p]!.cluster!;
  // Where each running VM's role is: a role whose VM is off (Offline) is not moved by the drill.
  const home = new Map(cluster0.roles.filter((r) => r.state === 'Online').map((r) => [r.vm, r.ownerNode]));
  const vms = statuses[p]!.vms.filter((v) => v.protected).map((v) => v.name);
  const names = members.map((m) => m.computerName);
  const timeline: DrillResult['timeline'] = [];
  const note = (state: string, node: string, message: string, atMs = since()) =>
    timeline.push({ atMs, state, node, message });
  const say = (
    percent: number,
    message: string,
    step: 'check' | 'failing-over' | 'failed-over' | 'resynchronising' | 'protected' = 'failing-over',
    /** What each server's line says (primary, secondary), when it differs from `message`. */
    per?: [string, string],
  ) => {
    ctx.progress(percent, message);
    for (const m of members)
      ctx.host(m.sessionId, {
        state: 'running',
        step,
        percent,
        message: per ? per[m === primary ? 0 : 1] : message,
      });
  };
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

  const { watch, where } = startDrillWatch({
    ctx,
    members,
    vms,
    watchPorts: request.watchPorts,
    intervalMs: t.sampleIntervalMs,
    now: () => performance.now() - t0,
    note,
    watchOptions,
  });
  const runningSomewhere = (vm: string) => names.some((n) => where.get(`${vm}@${n}`) === true);

  /** One drill step, run on `on` (a server that stays up). */
  const step = async (
    on: DrillMember,
    action: Action,
    node: string,
    vm = '',
  ): Promise<ClusterDrillResult> => {
    const raw = await on.host.runScript(
      'invoke-cluster-drill',
      { action, node, vm },
      { timeoutMs: t.rolesTimeoutMs },
    );
    return parseScriptResult('invoke-cluster-drill', DrillStepWireSchema, raw, on.computerName);
  };

  /** Reads the cluster on `on` until `done` holds; the last reading. */
  const waitCluster = async (
    on: DrillMember,
    done: (c: ClusterStatus) => boolean,
    /** What did not happen, in words (the time it had is added). */
    what: string,
    timeoutMs = t.rolesTimeoutMs,
  ): Promise<ClusterStatus> => {
    const deadline = performance.now() + timeoutMs;
    let last: ClusterStatus | null = null;
    for (;;) {
      if (ctx.signal.aborted) throw cancelled();
      const state = await readClusterState(on.host, { signal: ctx.signal, timeoutMs: 30_000 }).catch(
        () => null,
      );
      if (state?.cluster) {
        last = state.cluster;
        if (done(last)) return last;
      }
      if (performance.now() > deadline) {
        const roles = last?.roles.map((r) => `${r.vm} ${r.state} on ${r.ownerNode}`).join(', ');
        throw new Error(`${what} within ${spoken(timeoutMs)}${roles ? ` (${roles})` : ''}`);
      }
      await sleep(t.statusIntervalMs, ctx.signal);
    }
  };

  /** Waits until the watch sees each VM running again (Get-VM may lag the cluster a moment). */
  const waitSeen = async () => {
    const deadline = performance.now() + t.settleMs;
    while (vms.some((vm) => !before.includes(vm) && !runningSomewhere(vm)) && performance.now() < deadline)
      await sleep(t.sampleIntervalMs, ctx.signal);
  };

  const allOnlineOn = (node: string) => (c: ClusterStatus) =>
    c.roles.every((r) => roleSettled(r.state) && same(r.ownerNode, node));
  const allHome = (c: ClusterStatus) =>
    c.nodes.every((n) => n.state === 'Up') &&
    c.roles.every((r) => roleSettled(r.state) && same(r.ownerNode, home.get(r.vm) ?? r.ownerNode));

  /** Moves each VM that is not where it ran before the drill back there, while it runs. */
  const moveBack = async (percent: number) => {
    const now = await readClusterState(secondary.host, { signal: ctx.signal, timeoutMs: 30_000 });
    for (const [vm, node] of home) {
      const role = now.cluster?.roles.find((r) => r.vm === vm);
      if (role && same(role.ownerNode, node)) continue;
      say(percent, `Moving ${vm} back to ${node} while it runs (live migration)`, 'resynchronising', [
        `Taking ${vm} back while it runs (live migration)`,
        `Handing ${vm} back to ${node} while it runs (live migration)`,
      ]);
      const r = await step(secondary, 'live-migrate', node, vm);
      if (r.roles.some((x) => x.vm === vm && !same(x.ownerNode, node))) continue;
      note(
        'moved-back',
        node,
        `${vm} runs on ${node} again (Move-ClusterVirtualMachineRole -MigrationType Live)`,
      );
    }
  };

  let failure: string | null = null;
  let finalState = 'unknown';
  let clusterRestartMs: number | null = null;
  /** What the drill has left undone on the primary, for the undo. */
  let stopped = false;
  let paused = false;
  const undone: string[] = [];
  let before: string[] = [];
  let watched: Awaited<ReturnType<typeof watch.stop>> = { samples: [], ports: [] };
  try {
    try {
      await watch.ready();
      before = vms.filter((vm) => !runningSomewhere(vm));
      if (before.length > 0)
        note(
          'vm-stopped',
          primary.computerName,
          `Not running before the drill (not counted): ${before.join(', ')}`,
        );
      note('started', primary.computerName, `Twinlock started a ${kind} drill on ${names.join(' and ')}`);

      switch (kind) {
        case 'primary-loss': {
          say(
            10,
            `Stopping the cluster service on ${primary.computerName}, as if the server failed: its VMs restart on ${secondary.computerName}`,
            'failing-over',
            [
              'Stopping the cluster service here, as if the server failed',
              `Taking over ${vms.join(', ')}: the cluster restarts them here`,
            ],
          );
          const stopAt = since();
          stopped = true;
          await step(secondary, 'stop-node', primary.computerName);
          note(
            'node-stopped',
            primary.computerName,
            `Stop-ClusterNode -Name ${primary.computerName}: its cluster service is stopped`,
          );
          await waitCluster(
            secondary,
            (c) => c.roles.every((r) => roleSettled(r.state) && !same(r.ownerNode, primary.computerName)),
            `the cluster did not bring every VM online on ${secondary.computerName}`,
          );
          clusterRestartMs = since() - stopAt;
          note(
            'failed-over',
            secondary.computerName,
            `Twinlock read every VM online on ${secondary.computerName} in the cluster ${spoken(clusterRestartMs)} after the stop`,
          );
          await waitSeen();
          say(
            50,
            `Every VM runs on ${secondary.computerName}; starting the cluster service on ${primary.computerName} again`,
            'failed-over',
            [
              'Starting the cluster service here again',
              `Running ${vms.join(', ')}: the cluster restarted them here`,
            ],
          );
          await step(secondary, 'start-node', primary.computerName);
          stopped = false;
          note(
            'node-started',
            primary.computerName,
            `Start-ClusterNode -Name ${primary.computerName}: it is back in the cluster`,
          );
          await moveBack(70);
          break;
        }
        case 'drain': {
          say(
            10,
            `Draining ${primary.computerName}: the cluster moves its VMs to ${secondary.computerName} while they run, then pauses it`,
            'failing-over',
            [
              `Draining: its VMs move to ${secondary.computerName} while they run, then it pauses`,
              `Receiving ${vms.join(', ')} by live migration`,
            ],
          );
          paused = true;
          await step(secondary, 'drain', primary.computerName);
          note(
            'drained',
            primary.computerName,
            `Suspend-ClusterNode -Name ${primary.computerName} -Drain -Wait: its VMs run on ${secondary.computerName}, the node is paused`,
          );
          await waitCluster(
            secondary,
            allOnlineOn(secondary.computerName),
            `the drain did not leave every VM running on ${secondary.computerName}`,
          );
          await waitSeen();
          say(
            50,
            `Resuming ${primary.computerName}: the cluster moves its VMs back (failback)`,
            'failed-over',
            [
              'Resuming: its VMs come back while they run (failback)',
              `Handing ${vms.join(', ')} back to ${primary.computerName}`,
            ],
          );
          await step(secondary, 'resume', primary.computerName);
          paused = false;
          note(
            'resumed',
            primary.computerName,
            `Resume-ClusterNode -Name ${primary.computerName} -Failback Immediate: the node is up and its VMs move back`,
          );
          break;
        }
        case 'live-migration': {
          let i = 0;
          for (const vm of home.keys()) {
            const target = same(home.get(vm)!, primary.computerName)
              ? secondary.computerName
              : primary.computerName;
            say(
              10 + Math.round((40 * i++) / home.size),
              `Moving ${vm} to ${target} while it runs (live migration)`,
            );
            await step(secondary, 'live-migrate', target, vm);
            note(
              'migrated',
              target,
              `Move-ClusterVirtualMachineRole -Name ${vm} -Node ${target} -MigrationType Live`,
            );
          }
          await waitSeen();
          await moveBack(60);
          break;
        }
        case 'link-loss':
          throw new Error('a Level 1 pair has no link-loss drill');
        default:
          return assertNever(kind);
      }

      say(85, 'Waiting for the pair to be protected again on both servers', 'resynchronising');
      await waitCluster(
        secondary,
        allHome,
        'the VMs did not all come back, online, to the server each ran on before the drill',
        t.protectedTimeoutMs,
      );
      await waitSeen();
      const states = await Promise.all(
        members.map((m) =>
          readPairStatus(m.host, m.computerName, { signal: ctx.signal, timeoutMs: 30_000 })
            .then((s) => s.pair?.state ?? 'none')
            .catch(() => 'unreachable'),
        ),
      );
      finalState = states.every((s) => s === 'protected') ? 'protected' : states.join(' / ');
      if (finalState !== 'protected')
        failure = `the pair is not protected again (${names.map((n, i) => `${n}: ${states[i]}`).join(', ')})`;
    } catch (err) {
      if (ctx.signal.aborted && !stopped && !paused) throw err;
      failure = reasonOf(err);
    } finally {
      // Whatever happened, the primary is not left out of the cluster.
      if (stopped) {
        const r = await undo(secondary, 'start-node', primary.computerName).catch((e) => e as Error);
        undone.push(
          r instanceof Error
            ? `Twinlock could not start the cluster service on ${primary.computerName} again (${reasonOf(r)}): run Start-ClusterNode -Name ${primary.computerName}`
            : `Twinlock started the cluster service on ${primary.computerName} again (Start-ClusterNode)`,
        );
      }
      if (paused) {
        const r = await undo(secondary, 'resume', primary.computerName).catch((e) => e as Error);
        undone.push(
          r instanceof Error
            ? `Twinlock could not resume ${primary.computerName} (${reasonOf(r)}): run Resume-ClusterNode -Name ${primary.computerName} -Failback Immediate`
            : `Twinlock resumed ${primary.computerName} and moved its VMs back (Resume-ClusterNode -Failback Immediate)`,
        );
      }
      for (const u of undone) note('undo', primary.computerName, u);
    }
  } finally {
    watched = await watch.stop();
  }

  async function undo(on: DrillMember, action: Action, node: string) {
    const raw = await on.host.runScript(
      'invoke-cluster-drill',
      { action, node, vm: '' },
      { timeoutMs: 120_000 },
    );
    return parseScriptResult('invoke-cluster-drill', DrillStepWireSchema, raw, on.computerName);
  }

  if (ctx.signal.aborted && failure !== null)
    throw new TwinlockError({
      code: 'cancelled',
      message: `The drill was cancelled. ${undone.join('. ') || 'Nothing was left stopped.'}.`,
      hint: 'Check that the pair is protected again (twinlock status).',
    });
  if (failure !== null && finalState === 'unknown') {
    const states = await Promise.all(
      members.map((m) =>
        readPairStatus(m.host, m.computerName, { timeoutMs: 30_000 })
          .then((s) => s.pair?.state ?? 'none')
          .catch(() => 'unreachable'),
      ),
    );
    finalState = states.every((s) => s === 'protected') ? 'protected' : states.join(' / ');
  }
  if (failure !== null && undone.length > 0) failure = `${failure}. ${undone.join('. ')}`;
  if (finalState === 'protected')
    note('protected', primary.computerName, `Twinlock read protected on ${names.join(' and ')}`);
  timeline.sort((a, b) => a.atMs - b.atMs);

  const vmResults = vmDowntimes(vms, before, watched, request.watchPorts, names);
  const measured = vmResults.reduce((m, v) => Math.max(m, v.downtimeMs), 0);
  const result: DrillResult = {
    kind,
    level: 1,
    result: failure === null ? 'passed' : 'failed',
    reason: failure,
    measuredDowntimeMs: measured,
    // What the servers reported: the cluster's own time from the stop to every VM online.
    agentDowntimeMs: clusterRestartMs,
    sampleIntervalMs: achievedIntervalMs(watched.samples, names),
    serverTimeScale: 1,
    vms: vmResults,
    timeline,
    startedAt,
    elapsedMs: since(),
    finalState,
    cluster: cluster0.name,
  };
  const summary =
    failure === null
      ? `Drill passed: ${vmResults.map((v) => `${v.name} down ${spoken(v.downtimeMs)}`).join(', ')}; protected again`
      : `Drill failed: ${failure}`;
  for (const m of members)
    ctx.host(m.sessionId, {
      state: failure === null ? 'done' : 'failed',
      step: failure === null ? 'protected' : 'failed',
      percent: 100,
      message: failure === null ? `${m.computerName}: protected again` : `Drill failed: ${failure}`,
    });
  ctx.progress(100, summary);
  return result;
}

/** What went wrong, in the words of the server (a script's error) or of the drill's own checks. */
function reasonOf(err: unknown): string {
  const data = toErrorData(err);
  return data.code === 'internal' && err instanceof Error ? err.message : data.message;
}

function cancelled(): TwinlockError {
  return new TwinlockError({
    code: 'cancelled',
    message: 'The drill was cancelled.',
    hint: 'Check that the pair is protected again (twinlock status).',
  });
}

function assertNever(value: never): never {
  throw new Error(`unexpected drill kind ${String(value)}`);
}
