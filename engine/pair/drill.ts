/**
 * A failover drill (docs/agent-contract.md, `drill`): the agent fails the pair over and back while
 * Twinlock watches every protected VM from outside (engine/pair/vm-watch.ts) and reads the pair's
 * state on both servers; the drill ends when both report protected again, or fails with why.
 */
import { z } from 'zod';
import { TwinlockError, toErrorData } from '../api/errors';
import type { AgentStatus, DrillKind, DrillResult } from '../api/models';
import { runCtl } from '../agent/ctl';
import type { JobContext } from '../jobs/types';
import type { RemoteHost } from '../remote/types';
import { readStatus } from './status';
import { achievedIntervalMs, longestOutageMs, outagesOf, watchVms } from './vm-watch';
import type { PortSample, Sample, Watch, WatchOptions } from './vm-watch';

export interface DrillTimings {
  /** Milliseconds between looks at each VM (at most 100). */
  sampleIntervalMs?: number;
  /** Milliseconds between reads of the pair's state on each server. */
  statusIntervalMs?: number;
  /** How long the agent's drill may take (real servers: a Level 1 restart takes minutes). */
  drillTimeoutMs?: number;
  /** How long after the agent answers the pair may take to report protected on both servers. */
  protectedTimeoutMs?: number;
}

const DEFAULTS: Required<DrillTimings> = {
  sampleIntervalMs: 50,
  statusIntervalMs: 250,
  drillTimeoutMs: 30 * 60_000,
  protectedTimeoutMs: 30 * 60_000,
};

/** One server of the pair, connected. */
export interface DrillMember {
  sessionId: string;
  computerName: string;
  host: RemoteHost;
}

/**
 * Each VM's longest outage as the watch saw it from outside (0 for a VM not running before the
 * drill, which is not counted), and what watched it: Get-VM on both servers, and its service port.
 */
export function vmDowntimes(
  vms: readonly string[],
  before: readonly string[],
  watched: { samples: Sample[]; ports: PortSample[] },
  watchPorts: Record<string, number>,
  names: string[],
): DrillResult['vms'] {
  return vms.map((vm) => {
    if (before.includes(vm))
      return { name: vm, downtimeMs: 0, watched: 'not running before the drill: not counted' };
    const outages = outagesOf(vm, watched.samples, watched.ports, names);
    const port = watchPorts[vm];
    const probed = watched.ports.some((s) => s.vm === vm);
    return {
      name: vm,
      downtimeMs: Math.round(longestOutageMs(outages)),
      watched:
        `Get-VM on ${names.join(' and ')}` +
        (port === undefined
          ? ''
          : probed
            ? ` and TCP ${port}`
            : `; TCP ${port} not watched: Hyper-V reported no address for ${vm}`),
    };
  });
}

/**
 * Starts watching the protected VMs on both servers from outside, for a drill at any level: each
 * server's line says so, and each change Twinlock sees (a VM running, or no longer, on a server)
 * goes on the timeline. `where` holds the latest look at each VM on each server (`vm@server`).
 */
export function startDrillWatch(o: {
  ctx: JobContext<'drill'>;
  members: readonly DrillMember[];
  vms: string[];
  watchPorts: Record<string, number>;
  intervalMs: number;
  now: () => number;
  note: (state: string, node: string, message: string, atMs?: number) => void;
  watchOptions: Partial<WatchOptions>;
}): { watch: Watch; where: Map<string, boolean> } {
  const { ctx, members, vms, note } = o;
  for (const m of members)
    ctx.host(m.sessionId, {
      label: m.computerName,
      state: 'running',
      step: 'check',
      percent: 5,
      message: `Watching ${vms.join(', ') || 'no VMs'} on ${m.computerName}`,
    });
  ctx.progress(5, `Watching ${vms.length} VM(s) on both servers before the drill`);
  const watch = watchVms({
    servers: members.map((m) => ({ computerName: m.computerName, host: m.host })),
    vms,
    watchPorts: o.watchPorts,
    intervalMs: o.intervalMs,
    now: o.now,
    ...o.watchOptions,
  });
  // Where each VM runs, as Twinlock sees it: a change goes on the timeline.
  const where = new Map<string, boolean>();
  watch.onSample((s: Sample) => {
    for (const vm of vms) {
      const key = `${vm}@${s.server}`;
      const running = s.running[vm] === true;
      if (where.get(key) === running) continue;
      const first = !where.has(key);
      where.set(key, running);
      if (!first || running)
        note(
          running ? 'vm-running' : 'vm-stopped',
          s.server,
          `Twinlock saw ${vm} ${running ? 'running' : 'not running'} on ${s.server}`,
          Math.round(s.at),
        );
    }
  });
  return { watch, where };
}

const listOf = (v: unknown): unknown[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A time as the agent prints it: ISO 8601, or `/Date(ms)/` after a round trip through PowerShell 5.1. */
const AgentTimeSchema = z.string().transform((s, ctx) => {
  const ms = /^\/Date\((-?\d+)\)\/$/.exec(s)?.[1];
  const t = ms !== undefined ? Number(ms) : Date.parse(s);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${s}` });
    return z.NEVER;
  }
  return t;
});

/** What `twinlockctl drill` answers. */
export const DrillAnswerSchema = z.object({
  drillId: z.string(),
  result: z.enum(['passed', 'failed']),
  downtimeMs: z.number(),
  reason: z.string().nullish(),
  events: z.preprocess(
    listOf,
    z.array(
      z.object({ at: AgentTimeSchema, state: z.string(), node: z.string(), message: z.string().nullish() }),
    ),
  ),
});
export type DrillAnswer = z.infer<typeof DrillAnswerSchema>;

/** Why a pair cannot be drilled now, or null when it can: protected on both servers, one pair, roles set. */
export function drillRefusal(
  members: readonly DrillMember[],
  statuses: readonly AgentStatus[],
): string | null {
  for (const [i, st] of statuses.entries()) {
    const name = members[i]!.computerName;
    if (!st.pair) return `${name} is not paired`;
    if (st.pair.state !== 'protected')
      return `the pair is ${st.pair.state}${st.pair.state === 'mirroring' ? ` (${st.pair.progress} %)` : ''} on ${name}`;
  }
  if (statuses[0]!.pair!.name !== statuses[1]!.pair!.name)
    return `${members[0]!.computerName} and ${members[1]!.computerName} are in different pairs (${statuses[0]!.pair!.name}, ${statuses[1]!.pair!.name})`;
  if (!statuses.some((s) => s.role === 'primary')) return 'neither server is the primary';
  return null;
}

/** The drill's step for a pair state read on a server. */
function stepOf(state: string): 'failing-over' | 'failed-over' | 'resynchronising' | 'protected' {
  if (state === 'protected') return 'protected';
  if (state === 'mirroring' || state === 'syncing' || state === 'pairing') return 'resynchronising';
  if (state === 'failed-over') return 'failed-over';
  return 'failing-over';
}

/** Runs the drill; `members` in any order, `statuses` read just before (the refusal checked). */
export async function runDrill(
  ctx: JobContext<'drill'>,
  members: readonly [DrillMember, DrillMember],
  statuses: readonly [AgentStatus, AgentStatus],
  request: { kind: DrillKind; watchPorts: Record<string, number> },
  timings: DrillTimings = {},
  watchOptions: Partial<WatchOptions> = {},
): Promise<DrillResult> {
  const t = { ...DEFAULTS, ...timings };
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const p = statuses[0].role === 'primary' ? 0 : 1;
  const primary = members[p]!;
  const level = statuses[p]!.pair!.level;
  const vms = statuses[p]!.vms.filter((v) => v.protected).map((v) => v.name);
  const names = members.map((m) => m.computerName);
  const timeline: DrillResult['timeline'] = [];
  const note = (state: string, node: string, message: string, atMs = since()) =>
    timeline.push({ atMs, state, node, message });

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

  let answer: DrillAnswer | null = null;
  let failure: string | null = null;
  let agentSentAt = 0;
  let agentAnsweredAt = 0;
  let finalState = 'unknown';
  const lastState = new Map<string, string>();
  const readStates = async (): Promise<string[]> =>
    Promise.all(
      members.map(async (m) => {
        const st = await readStatus(m.host, { signal: ctx.signal, timeoutMs: 30_000 }).catch(() => null);
        const state = st?.pair?.state ?? (st ? 'none' : 'unreachable');
        if (lastState.get(m.computerName) !== state) {
          lastState.set(m.computerName, state);
          ctx.host(m.sessionId, {
            state: 'running',
            step: stepOf(state),
            percent: state === 'protected' ? 90 : 50,
            message: `${m.computerName}: ${state}${st?.pair?.state === 'mirroring' ? ` ${st.pair.progress}%` : ''}`,
          });
        }
        return state;
      }),
    );

  let watched: Awaited<ReturnType<typeof watch.stop>> = { samples: [], ports: [] };
  /** VMs that ran nowhere before the drill: their downtime is not the drill's. */
  let before: string[] = [];
  try {
    await watch.ready();
    before = vms.filter((vm) => !members.some((m) => where.get(`${vm}@${m.computerName}`)));
    if (before.length > 0)
      note(
        'vm-stopped',
        primary.computerName,
        `Not running before the drill (not counted): ${before.join(', ')}`,
      );
    for (const m of members)
      ctx.host(m.sessionId, { step: 'failing-over', percent: 10, message: `${request.kind} drill started` });
    ctx.progress(10, `Running a ${request.kind} drill on ${names.join(' and ')}`);
    note(
      'started',
      primary.computerName,
      `Twinlock asked ${primary.computerName} for a ${request.kind} drill`,
    );

    // The pair's state on both servers while the agent's drill runs (progress and the end condition).
    let agentDone = false;
    const statusLoop = (async () => {
      while (!agentDone && !ctx.signal.aborted) {
        await readStates();
        await new Promise((r) => setTimeout(r, t.statusIntervalMs));
      }
    })();
    agentSentAt = since();
    try {
      answer = await runCtl(primary.host, 'drill', { kind: request.kind }, DrillAnswerSchema, {
        signal: ctx.signal,
        timeoutMs: t.drillTimeoutMs,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      failure = `the agent's drill on ${primary.computerName} failed: ${toErrorData(err).message}`;
    } finally {
      agentDone = true;
      agentAnsweredAt = since();
      await statusLoop;
    }
    if (answer?.result === 'failed') failure = answer.reason ?? 'the agent reported the drill failed';

    // The drill is over when both servers say protected again (or, failed, when it is clear they will not).
    ctx.progress(80, 'Waiting for the pair to be protected again on both servers');
    const deadline = performance.now() + t.protectedTimeoutMs;
    for (;;) {
      if (ctx.signal.aborted)
        throw new TwinlockError({
          code: 'cancelled',
          message: 'The drill was cancelled while the pair resynchronised; the agent finishes it on its own.',
          hint: 'Check that the pair comes back to protected (twinlock status).',
        });
      const states = await readStates();
      finalState = states.every((s) => s === 'protected') ? 'protected' : states.join(' / ');
      if (finalState === 'protected' || failure !== null) break;
      if (performance.now() > deadline) {
        failure = `the pair did not come back to protected within ${Math.round(t.protectedTimeoutMs / 1000)} s (${names.map((n, i) => `${n}: ${states[i]}`).join(', ')})`;
        break;
      }
      await new Promise((r) => setTimeout(r, t.statusIntervalMs));
    }
  } finally {
    watched = await watch.stop();
  }
  // Settle: a state the loop read just before the end.
  finalState = finalState === 'protected' ? 'protected' : [...lastState.values()].join(' / ') || finalState;

  // The agent's clock: its events span its drill; a lab (accelerated clock) reads many times faster.
  let scale = 1;
  let agentEvents: DrillResult['timeline'] = [];
  if (answer && answer.events.length > 0) {
    const first = answer.events[0]!.at;
    const span = answer.events[answer.events.length - 1]!.at - first;
    const real = Math.max(1, agentAnsweredAt - agentSentAt);
    const ratio = span / real;
    scale = ratio > 1.5 ? Math.round(ratio * 10) / 10 : 1;
    agentEvents = answer.events.map((e) => ({
      atMs: Math.round(agentSentAt + (e.at - first) / scale),
      state: e.state,
      node: e.node,
      message: e.message ?? e.state,
    }));
  }
  timeline.push(...agentEvents);
  if (finalState === 'protected')
    note('protected', primary.computerName, `Twinlock read protected on ${names.join(' and ')}`);
  timeline.sort((a, b) => a.atMs - b.atMs);

  const vmResults = vmDowntimes(vms, before, watched, request.watchPorts, names);
  const measured = vmResults.reduce((m, v) => Math.max(m, v.downtimeMs), 0);
  const interval = achievedIntervalMs(watched.samples, names);
  const result: DrillResult = {
    kind: request.kind,
    level,
    result: failure === null ? 'passed' : 'failed',
    reason: failure,
    measuredDowntimeMs: measured,
    agentDowntimeMs: answer ? answer.downtimeMs : null,
    sampleIntervalMs: interval,
    serverTimeScale: scale,
    vms: vmResults,
    timeline,
    startedAt,
    elapsedMs: since(),
    finalState,
  };
  for (const m of members)
    ctx.host(m.sessionId, {
      state: failure === null ? 'done' : 'failed',
      step: failure === null ? 'protected' : 'failed',
      percent: 100,
      message: failure === null ? `${m.computerName}: protected again` : `Drill failed: ${failure}`,
    });
  ctx.progress(100, failure === null ? 'Drill passed: protected again' : `Drill failed: ${failure}`);
  return result;
}

/** The refusal of a drill on a pair that is not protected on both servers. */
export function drillRefused(reason: string): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `A failover drill needs the pair protected on both servers, and ${reason}.`,
    hint: 'Wait until both servers report protected (twinlock status), then run the drill again.',
    detail: { field: 'sessions' },
  });
}
