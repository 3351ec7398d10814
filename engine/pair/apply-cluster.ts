/**
 * Applying a Level 1 pairing plan: its steps run in order (link addresses on each server, then
 * the cluster, its witness, the VM roles and the wait, on the primary). When a step fails, the
 * steps already done are undone in reverse order, and the error names the step, Windows' own
 * message and what to do next. A cloud witness's access key is given here, held only in memory
 * for the one Set-ClusterQuorum call, and scrubbed from anything that is reported.
 */
import { z } from 'zod';
import type { PairOutcome, PairProgressStep, Plan, PlanStep } from '../api/models';
import { ClusterQuorumResultSchema, ClusterRolesResultSchema, roleSettled } from '../api/models';
import { TwinlockError, toErrorData } from '../api/errors';
import { parseScriptResult } from '../agent/script-results';
import { systemClock } from '../jobs/sleep';
import type { Clock } from '../jobs/sleep';
import type { JobContext } from '../jobs/types';
import type { ScriptName, ScriptParams } from '../remote/scripts';
import { CLOUD_KEY_PLACEHOLDER } from './cluster-plan';
import { readPairStatus } from './status';
import type { PairMember } from './transaction';

export interface ClusterApplyOptions {
  /** The cloud witness's access key (memory only), for a plan whose quorum step has the placeholder. */
  cloudWitnessKey?: string | undefined;
  clock?: Clock;
  /**
   * The pairing journal: each step is recorded on its server as `sent:<step id>` before it runs,
   * `done:<step id>` once it did, and `undone:<step id>` once an undo took it back (never the key).
   */
  recorder?: ClusterStepRecorder | undefined;
  /** A resumed pairing: the steps not run again (what the cluster already has). */
  resumed?: ResumedSteps | undefined;
}

/** Where a Level 1 pairing records its steps (the pairing journal). */
export interface ClusterStepRecorder {
  step(role: 'primary' | 'secondary', step: string): Promise<void>;
}

/** What a resumed pairing skips: `done` steps are this pairing's (undone on a failure), `present` ones are not. */
export interface ResumedSteps {
  done: ReadonlySet<string>;
  present: ReadonlySet<string>;
}

/** The journal keys of a Level 1 step. */
export const sentKey = (id: string) => `sent:${id}`;
export const doneKey = (id: string) => `done:${id}`;
export const undoneKey = (id: string) => `undone:${id}`;

/** True when the plan sets a cloud witness, whose key must be given at apply time. */
export function needsCloudKey(plan: Plan): boolean {
  return plan.steps.some((s) => s.script.name === 'set-cluster-quorum' && s.params.kind === 'cloud');
}

/** Refuses a cloud-witness plan applied without its key, before anything changes. */
export function checkCloudKey(plan: Plan, key: string | undefined): void {
  if (!needsCloudKey(plan) || (key !== undefined && key !== '')) return;
  throw new TwinlockError({
    code: 'invalid-input',
    message:
      'cloudWitnessKey: this plan gives the cluster a cloud witness, whose storage account access key is not in the plan; nothing was changed.',
    hint: 'Give the key when applying (twinlock reads it from TWINLOCK_CLOUD_WITNESS_KEY or asks for it); it is used once and never stored.',
    detail: { field: 'cloudWitnessKey' },
  });
}

/** What to do next after Windows refused a step, from its own words. */
export function nextStepFor(message: string): string {
  if (/network name '.*' is already in use|computer object .* already exists/i.test(message))
    return 'Choose another cluster name (cluster.name): that one is taken in the directory or on the network. Then pair again.';
  if (/Static address '.*' is already in use/i.test(message))
    return 'Choose a free cluster address (cluster.address) on the business network: something already answers on that one. Then pair again.';
  if (/not found on any cluster network/i.test(message))
    return 'Choose a cluster address (cluster.address) in the business network’s subnet. Then pair again.';
  if (/file share witness/i.test(message) && /Access is denied/i.test(message))
    return 'Give both servers’ computer accounts and the cluster’s (its name followed by $) Full Control of the witness share, or choose another witness. Then pair again.';
  if (/file share witness/i.test(message))
    return 'Check that the witness share exists and both servers reach it (\\\\server\\share), or choose another witness. Then pair again.';
  if (/Access is denied to/i.test(message))
    return 'Connect to both servers with a password: a key logon has no network credentials, so Windows cannot reach the other server as you. Then pair again.';
  if (/does not have the Failover Clustering feature|Failover Clustering is not installed/i.test(message))
    return 'Install Failover Clustering on both servers first (the Install step at Level 1). Then pair again.';
  if (/same domain/i.test(message))
    return 'Join both servers to the same domain (or both to a workgroup). Then pair again.';
  if (/is joined to a cluster/i.test(message))
    return 'Remove that server from its other cluster first (Remove-ClusterNode, or twinlock unpair for a Twinlock pair). Then pair again.';
  if (/no disk named/i.test(message))
    return 'Name a disk both servers see on shared storage, as Failover Cluster Manager shows it (witness address). Then pair again.';
  return 'Fix what Windows reports on the server. Then pair again.';
}

const progressStepOf = (step: PlanStep): PairProgressStep => {
  switch (step.script.name) {
    case 'set-link-address':
      return 'links';
    case 'add-cluster-vm-role':
    case 'wait-cluster-roles':
      return 'protect';
    default:
      return 'pair';
  }
};

/** The parameters a step runs with: the plan's, with the cloud witness's key in place of its placeholder. */
function runParams(
  step: Pick<PlanStep, 'script' | 'params'>,
  key: string | undefined,
): Record<string, unknown> {
  if (step.script.name === 'set-cluster-quorum' && step.params.accessKey === CLOUD_KEY_PLACEHOLDER)
    return { ...step.params, accessKey: key ?? '' };
  return step.params;
}

const RoleSchema = z.object({ name: z.string(), vm: z.string(), ownerNode: z.string(), state: z.string() });

/** Runs a Level 1 pairing plan; on a failure undoes what it did and throws a plain error. */
export async function applyClusterPlan(
  ctx: JobContext<'pair'>,
  plan: Plan,
  members: [PairMember, PairMember],
  options: ClusterApplyOptions = {},
): Promise<PairOutcome> {
  const skipped = (s: PlanStep) =>
    options.resumed !== undefined && (options.resumed.done.has(s.id) || options.resumed.present.has(s.id));
  checkCloudKey({ ...plan, steps: plan.steps.filter((s) => !skipped(s)) }, options.cloudWitnessKey);
  const record = async (step: Pick<PlanStep, 'server'>, key: string) => {
    await options.recorder?.step(step.server, key);
  };
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const key = options.cloudWitnessKey;
  const scrub = (text: string) => (key ? text.split(key).join('[redacted]') : text);
  const memberOf = (step: Pick<PlanStep, 'server'>) => members[step.server === 'primary' ? 0 : 1];
  const total = plan.steps.length;
  const done: PlanStep[] = [];
  for (const [n, m] of members.entries())
    ctx.host(m.sessionId, {
      label: m.label,
      state: 'running',
      step: 'preflight',
      percent: 0,
      message: `${plan.steps.filter((s) => s.server === plan.servers[n]!.role && !skipped(s)).length} step(s) to run`,
    });
  const run = (script: ScriptName, params: Record<string, unknown>, m: PairMember) =>
    m.host.runScript(script, params as ScriptParams[typeof script], { signal: ctx.signal });
  for (const [i, step] of plan.steps.entries()) {
    const m = memberOf(step);
    const percent = Math.round((i / Math.max(total, 1)) * 100);
    if (skipped(step)) {
      // Resumed: the cluster already has it. This pairing's own is undone with the rest on a failure.
      if (options.resumed!.done.has(step.id)) {
        done.push(step);
        await record(step, doneKey(step.id));
      }
      ctx.host(m.sessionId, {
        state: 'running',
        step: progressStepOf(step),
        percent,
        message: `Already done: ${step.title}`,
      });
      continue;
    }
    ctx.progress(percent, step.title);
    ctx.host(m.sessionId, { state: 'running', step: progressStepOf(step), percent, message: step.title });
    try {
      await record(step, sentKey(step.id));
      const raw = await run(step.script.name as ScriptName, runParams(step, key), m);
      if (step.script.name === 'set-cluster-quorum')
        parseScriptResult(step.script.name, ClusterQuorumResultSchema, raw, m.label);
      if (step.script.name === 'add-cluster-vm-role')
        parseScriptResult(step.script.name, RoleSchema, raw, m.label);
      if (step.script.name === 'wait-cluster-roles') {
        const result = parseScriptResult(step.script.name, ClusterRolesResultSchema, raw, m.label);
        if (!result.settled) {
          const late = [
            ...result.roles
              .filter((r) => !roleSettled(r.state))
              .map((r) => `${r.vm} (${r.state} on ${r.ownerNode})`),
            ...result.missing.map((vm) => `${vm} (no role)`),
          ];
          throw new TwinlockError({
            code: 'timeout',
            message: `The VM roles did not come online in time: ${late.join(', ')}.`,
            hint: 'Check in Failover Cluster Manager why the role does not start (the VM’s files must be on storage both servers reach), then pair again.',
          });
        }
      }
      done.push(step);
      await record(step, doneKey(step.id));
    } catch (err) {
      const data = toErrorData(err);
      const windows = scrub(data.message);
      const undone = await undoSteps(ctx, done, memberOf, key, options.recorder);
      const left =
        undone.failed.length === 0
          ? done.length === 0
            ? 'Nothing had been changed.'
            : `Twinlock undid the ${done.length} step(s) it had done: both servers are as they were.`
          : `Twinlock could not undo everything: ${undone.failed.join('; ')}.`;
      for (const mm of members)
        ctx.host(mm.sessionId, {
          state: 'failed',
          step: 'undo',
          percent: 100,
          message: `Stopped at “${step.title}”`,
        });
      throw new TwinlockError({
        code: data.code === 'cancelled' ? 'cancelled' : 'script-failed',
        message: `Pairing stopped at “${step.title}” on ${m.label}. Windows said: ${windows} ${left}`,
        hint: data.code === 'timeout' ? (data.hint ?? nextStepFor(windows)) : nextStepFor(windows),
        detail: {
          step: step.id,
          server: m.label,
          undone: undone.done,
          undoFailed: undone.failed,
          undo: { complete: undone.failed.length === 0, remains: undone.failed },
        },
      });
    }
  }
  const status = await Promise.all(
    members.map((m, i) =>
      readPairStatus(m.host, plan.servers[i]!.computerName, { signal: ctx.signal }, { installed: false }),
    ),
  );
  for (const [n, m] of members.entries())
    ctx.host(m.sessionId, {
      state: 'done',
      step: status[n]!.pair?.state ?? 'none',
      percent: 100,
      message: status[n]!.pair
        ? `Node of cluster ${status[n]!.cluster?.name ?? ''}: ${status[n]!.pair!.state}`
        : 'In no pair',
    });
  ctx.progress(100, `Pair ${plan.pair.name} is ${status[0]!.pair?.state ?? 'not formed'}`);
  return {
    pairId: plan.pair.name,
    state: status[0]!.pair?.state ?? 'none',
    elapsedMs: clock.now() - started,
    status: [status[0]!, status[1]!],
    planHash: plan.hash,
  };
}

/** Undoes `done` in reverse order; reports what was undone and what could not be. */
export async function undoSteps(
  ctx: JobContext<'pair'>,
  done: PlanStep[],
  memberOf: (s: Pick<PlanStep, 'server'>) => PairMember,
  key: string | undefined,
  recorder?: ClusterStepRecorder,
): Promise<{ done: string[]; failed: string[] }> {
  const out = { done: [] as string[], failed: [] as string[] };
  // Removing the cluster takes its quorum with it: the quorum step's own undo is then not needed.
  const clusterUndone = done.some((s) => s.undo?.script.name === 'remove-cluster');
  for (const step of [...done].reverse()) {
    const undo = step.undo;
    if (!undo) continue;
    if (clusterUndone && step.script.name === 'set-cluster-quorum') continue;
    const m = memberOf(step);
    ctx.host(m.sessionId, { state: 'running', step: 'undo', message: undo.title });
    try {
      // The undo runs even when the job was cancelled: it must not leave half a pair behind.
      await m.host.runScript(undo.script.name as ScriptName, runParams(undo, key) as never, {});
      out.done.push(undo.title);
      await recorder?.step(step.server, undoneKey(step.id));
    } catch (err) {
      out.failed.push(`${undo.title} (${toErrorData(err).message})`);
    }
  }
  return out;
}
