/**
 * Applying a plan: it is checked (its hash, both servers against its basis, the scripts against
 * those it carries, and its steps against the steps its configuration gives on these servers),
 * then run. A pairing plan runs through the pairing transaction (transaction.ts) with its address
 * steps; an unpair plan runs its steps here, in order.
 */
import { z } from 'zod';
import type { PairConfig, PairOutcome, Plan, PlanDrift, UnpairOutcome } from '../api/models';
import { TwinlockError } from '../api/errors';
import { canonicalJson } from '../bundle/canonical';
import { systemClock } from '../jobs/sleep';
import type { Clock } from '../jobs/sleep';
import type { JobContext } from '../jobs/types';
import type { ScriptName } from '../remote/scripts';
import { SCRIPT_NAMES } from '../remote/scripts';
import type { ScriptInfo } from '../remote/session';
import { runCtl } from '../agent/ctl';
import { CTL_VERBS } from '../agent/ctl';
import type { CtlVerb } from '../agent/ctl';
import { PairRemoveSchema, ProtectSchema } from './agent-calls';
import { basisDrift, checkPlanHash, scriptDrift, staleError } from './plan-basis';
import type { LinkAddress, PlanBasis, PlanServerState, ScriptReader } from './plan';
import { basisOf, makePlan, makeUnpairPlan } from './plan';
import { readAgentStatusOrNone, readPairStatus, readStatus } from './status';
import { ClusterRoleRemovedSchema } from '../api/models';

/** The scripts a Level 1 unpair plan runs as they are planned. */
const CLUSTER_UNPAIR_SCRIPTS: ReadonlySet<string> = new Set([
  'remove-cluster-vm-role',
  'remove-cluster',
  'uninstall-cluster-feature',
]);
import type { PairMember } from './transaction';

export { checkPlanHash };

export const planPair = (config: PairConfig, p: PlanServerState, s: PlanServerState, scripts: ScriptReader) =>
  makePlan(config, p, s, { scripts });

export const planUnpair = (
  a: PlanServerState,
  b: PlanServerState,
  scripts: ScriptReader,
  options: { removeFeature?: boolean } = {},
) => makeUnpairPlan(a, b, { scripts, ...options });

/** An unpair plan that uninstalls Failover Clustering (it was asked for with removeFeature). */
const removesFeature = (plan: Plan) => plan.steps.some((s) => s.script.name === 'uninstall-cluster-feature');

const PlanBasisSchema = z.object({
  adapters: z.array(z.object({ name: z.string(), status: z.string(), addresses: z.array(z.string()) })),
  vms: z.array(z.string()),
  agentVersion: z.string().nullable(),
  pair: z
    .object({
      name: z.string(),
      role: z.enum(['primary', 'secondary', 'none']),
      protectedVms: z.array(z.string()),
    })
    .nullable(),
  linkAddresses: z.array(z.string()).optional(),
  cluster: z.string().optional(),
});

function notTwinlocks(what: string): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `plan: ${what}, so it is not applied. Nothing was changed.`,
    hint: 'Plan again (twinlock plan …) and apply that plan as it is.',
    detail: { field: 'plan' },
  });
}

/**
 * Refuses a plan its servers no longer fit (`plan-stale`, every difference listed), or whose steps
 * are not the ones Twinlock runs for it (`invalid-input`). Changes nothing.
 */
export async function checkPlanNow(
  plan: Plan,
  now: [PlanServerState, PlanServerState],
  scripts: ScriptReader,
): Promise<void> {
  const drift: PlanDrift[] = [];
  plan.servers.forEach((srv, i) => {
    const planned = PlanBasisSchema.safeParse(srv.basis);
    if (!planned.success) throw notTwinlocks(`the basis of ${srv.computerName} is not one Twinlock wrote`);
    drift.push(...basisDrift(srv.computerName, planned.data as PlanBasis, basisOf(now[i]!)));
  });
  const names = Object.keys(plan.scripts);
  const unknown = names.find((n) => !(SCRIPT_NAMES as readonly string[]).includes(n));
  if (unknown) throw notTwinlocks(`it names a script Twinlock does not have (${unknown})`);
  const current = (await Promise.all(names.map((n) => scripts(n as ScriptName).catch(() => null)))).filter(
    (c): c is ScriptInfo => c !== null,
  );
  drift.push(...scriptDrift(plan, current));
  if (drift.length > 0) throw staleError(plan, drift);

  // The servers are as planned: the plan's steps must be those Twinlock makes for its configuration now.
  const again =
    plan.kind === 'pair'
      ? await makePlan({ ...plan.pair, primary: 'p', secondary: 's' }, now[0], now[1], {
          scripts,
          now: new Date(plan.createdAt),
        })
      : await makeUnpairPlan(now[0], now[1], {
          scripts,
          now: new Date(plan.createdAt),
          removeFeature: removesFeature(plan),
        });
  // An existing pair whose level or witness changed since (its basis does not name them) is stale too.
  const differences = (p: Plan) =>
    p.corrects === undefined
      ? 'not paired'
      : p.corrects.map((c) => `${c.what}: ${c.actual}`).join('; ') || 'matches';
  if (canonicalJson(again.corrects ?? null) !== canonicalJson(plan.corrects ?? null))
    throw staleError(plan, [
      {
        server: plan.servers[0].computerName,
        what: `pair ${plan.pair.name}`,
        planned: differences(plan),
        now: differences(again),
      },
    ]);
  if (canonicalJson(again.steps) !== canonicalJson(plan.steps))
    throw notTwinlocks('its steps are not the ones Twinlock runs for its configuration on these servers');
}

/**
 * Runs the steps of a pairing plan for an existing pair that come before the pairing itself: VMs
 * unprotected and, when the pair is made again, `pair remove` on both servers (each server read
 * before its change: removing the pair on one may reach the other). What follows (addresses,
 * links test, create, join, protect, wait) is the pairing transaction's.
 */
export async function runReconcileRemovals(
  ctx: JobContext<'pair'>,
  plan: Plan,
  members: [PairMember, PairMember],
): Promise<void> {
  const signal = ctx.signal;
  const steps = plan.steps.filter((s) => {
    const verb = CtlParamsSchema.safeParse(s.params);
    return (
      s.script.name === 'invoke-twinlockctl' &&
      verb.success &&
      ['unprotect', 'pair remove'].includes(verb.data.verb.join(' '))
    );
  });
  for (const [i, step] of steps.entries()) {
    const m = members[step.server === 'primary' ? 0 : 1];
    ctx.progress(1, step.title);
    ctx.host(m.sessionId, {
      label: m.label,
      state: 'running',
      step: 'undo',
      percent: Math.round((i / steps.length) * 10),
      message: step.title,
    });
    const ctl = CtlParamsSchema.parse(step.params);
    const status = await readStatus(m.host, { signal });
    if (ctl.verb.join(' ') === 'unprotect') {
      const vm = String(ctl.input.vm);
      if (status.vms.some((v) => v.name === vm && v.protected))
        await runCtl(m.host, 'unprotect', { vm }, ProtectSchema, { signal });
    } else if (status.pair) {
      await runCtl(m.host, 'pair remove', {}, PairRemoveSchema, { signal });
    }
  }
}

/** The link addresses a pairing plan sets, in its order. */
export function linkAddressesOf(plan: Plan): LinkAddress[] {
  return plan.steps
    .filter((s) => s.script.name === 'set-link-address')
    .map((s) => ({
      role: s.server,
      adapter: String(s.params.adapter),
      address: String(s.params.address),
      prefixLength: Number(s.params.prefixLength),
    }));
}

const CtlParamsSchema = z.object({
  verb: z.array(z.string()),
  input: z.record(z.string(), z.unknown()),
});

/**
 * Runs an unpair plan's steps in order: VMs unprotected, the pair removed on each server (skipped
 * where the agent already reports no pair), then the link addresses Twinlock added removed. Reports progress on
 * `ctx` when given; answers with both servers' status at the end and what was removed on each.
 */
export async function applyUnpairPlan(
  ctx: JobContext<'pair'> | null,
  plan: Plan,
  members: [PairMember, PairMember],
  clock: Clock = systemClock,
): Promise<PairOutcome> {
  const started = clock.now();
  const signal = ctx?.signal;
  const outcomes: UnpairOutcome[] = members.map((m, i) => ({
    computerName: plan.servers[i]!.computerName,
    pair: null,
    unprotected: [],
    removed: false,
  }));
  const total = plan.steps.length;
  for (const [n, m] of members.entries())
    ctx?.host(m.sessionId, {
      label: m.label,
      state: 'running',
      step: 'undo',
      percent: 0,
      message: `${plan.steps.filter((s) => s.server === plan.servers[n]!.role).length} step(s) to run`,
    });
  for (const [i, step] of plan.steps.entries()) {
    const index = step.server === 'primary' ? 0 : 1;
    const m = members[index];
    const outcome = outcomes[index]!;
    ctx?.progress(Math.round((i / Math.max(total, 1)) * 100), step.title);
    ctx?.host(m.sessionId, {
      state: 'running',
      step: 'undo',
      percent: Math.round((i / Math.max(total, 1)) * 100),
      message: step.title,
    });
    if (CLUSTER_UNPAIR_SCRIPTS.has(step.script.name)) {
      // Level 1: each step runs its script as planned (the scripts do nothing where there is nothing left to remove).
      const raw = await m.host.runScript(
        step.script.name as ScriptName,
        step.params as never,
        signal ? { signal } : {},
      );
      if (step.script.name === 'remove-cluster-vm-role') {
        const removed = ClusterRoleRemovedSchema.safeParse(raw);
        if (removed.success && removed.data.removed) outcome.unprotected.push(String(step.params.vm));
      }
      if (step.script.name === 'remove-cluster') {
        // The cluster is gone from both nodes at once.
        for (const o of outcomes) {
          o.pair = plan.pair.name;
          o.removed = true;
        }
      }
      continue;
    }
    if (step.script.name === 'remove-link-address') {
      // The plan removes only addresses Twinlock added; the script checks the server's record again.
      await m.host.runScript(
        'remove-link-address',
        {
          adapter: String(step.params.adapter),
          address: String(step.params.address),
          onlyIfRecorded: step.params.onlyIfRecorded === true,
        },
        signal ? { signal } : {},
      );
      continue;
    }
    const ctl = CtlParamsSchema.parse(step.params);
    const verb = ctl.verb.join(' ') as CtlVerb;
    if (step.script.name !== 'invoke-twinlockctl' || !CTL_VERBS.includes(verb))
      throw new Error(`unreachable: an unpair plan runs no ${step.script.name} ${verb}`);
    // Removing the pair on one server may reach the other: each server is read before its change.
    const status = await readStatus(m.host, signal ? { signal } : {});
    if (status.pair) outcome.pair = status.pair.name;
    if (verb === 'unprotect') {
      const vm = String(ctl.input.vm);
      if (!status.vms.some((v) => v.name === vm && v.protected)) continue;
      await runCtl(m.host, 'unprotect', { vm }, ProtectSchema, signal ? { signal } : {});
      outcome.unprotected.push(vm);
    } else if (verb === 'pair remove') {
      if (!status.pair) continue;
      await runCtl(m.host, 'pair remove', {}, PairRemoveSchema, signal ? { signal } : {});
      outcome.removed = true;
    } else {
      throw new Error(`unreachable: an unpair plan runs no ${verb}`);
    }
  }
  const clustered = plan.pair.level === 1;
  const status = await Promise.all(
    members.map((m, i) =>
      clustered
        ? readPairStatus(m.host, plan.servers[i]!.computerName, signal ? { signal } : {}, {
            installed: false,
          })
        : // A server without the agent is in no pair: the unpairing found nothing there to remove.
          readAgentStatusOrNone(m.host, plan.servers[i]!.computerName, signal ? { signal } : {}),
    ),
  );
  for (const [n, m] of members.entries())
    ctx?.host(m.sessionId, {
      state: 'done',
      step: 'none',
      percent: 100,
      message: status[n]!.pair
        ? `Still in pair ${status[n]!.pair.name}`
        : 'In no pair, the link addresses Twinlock added removed',
    });
  ctx?.progress(100, 'Both servers are in no pair');
  return {
    pairId: plan.pair.name,
    state: 'none',
    elapsedMs: clock.now() - started,
    status: [status[0]!, status[1]!],
    planHash: plan.hash,
    unpaired: outcomes,
  };
}
