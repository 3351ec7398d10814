/**
 * Checking a plan before it is applied: its hash (a hand-edited plan is refused), and each
 * server's basis against the server as it is now (a changed server makes the plan stale, with
 * every difference named).
 */
import type { Plan, PlanDrift } from '../api/models';
import { TwinlockError } from '../api/errors';
import type { ScriptInfo } from '../remote/session';
import type { PlanBasis } from './plan';
import { planHash } from './plan';

/** Refuses a plan whose hash is not the hash of its content. */
export function checkPlanHash(plan: Plan): void {
  if (planHash(plan) === plan.hash) return;
  throw new TwinlockError({
    code: 'invalid-input',
    message:
      'plan: This plan was changed after Twinlock made it (its hash does not match its steps), so it is not applied.',
    hint: 'Plan again (twinlock plan …) and apply that plan as it is.',
    detail: { field: 'plan.hash' },
  });
}

const addressesText = (a: string[]) => (a.length === 0 ? 'no address' : a.join(', '));
const pairText = (p: PlanBasis['pair']) =>
  p
    ? `${p.name} as ${p.role}${p.protectedVms.length > 0 ? `, protecting ${p.protectedVms.join(', ')}` : ''}`
    : 'none';

/** Every difference between a server's planned basis and its basis now. */
export function basisDrift(server: string, planned: PlanBasis, now: PlanBasis): PlanDrift[] {
  const out: PlanDrift[] = [];
  const byName = (list: PlanBasis['adapters']) => new Map(list.map((a) => [a.name, a]));
  const before = byName(planned.adapters);
  const after = byName(now.adapters);
  for (const [name, a] of before) {
    const b = after.get(name);
    const what = `adapter ${name}`;
    if (!b) {
      out.push({ server, what, planned: `present (${a.status})`, now: 'absent' });
      continue;
    }
    if (a.status !== b.status)
      out.push({ server, what, planned: `status ${a.status}`, now: `status ${b.status}` });
    const pa = [...a.addresses].sort();
    const pb = [...b.addresses].sort();
    if (pa.join(',') !== pb.join(','))
      out.push({ server, what, planned: addressesText(pa), now: addressesText(pb) });
  }
  for (const [name, b] of after)
    if (!before.has(name))
      out.push({ server, what: `adapter ${name}`, planned: 'absent', now: `present (${b.status})` });
  const vmsBefore = new Set(planned.vms);
  const vmsNow = new Set(now.vms);
  for (const vm of planned.vms)
    if (!vmsNow.has(vm)) out.push({ server, what: `VM ${vm}`, planned: 'present', now: 'absent' });
  for (const vm of now.vms)
    if (!vmsBefore.has(vm)) out.push({ server, what: `VM ${vm}`, planned: 'absent', now: 'present' });
  if (planned.agentVersion !== now.agentVersion)
    out.push({
      server,
      what: 'agent',
      planned: planned.agentVersion ?? 'not installed',
      now: now.agentVersion ?? 'not installed',
    });
  if (pairText(planned.pair) !== pairText(now.pair))
    out.push({ server, what: 'pair', planned: pairText(planned.pair), now: pairText(now.pair) });
  // The record of the addresses Twinlock added: compared when the plan was made with it.
  if (planned.linkAddresses !== undefined) {
    const pa = [...planned.linkAddresses].sort().join(', ');
    const pb = [...(now.linkAddresses ?? [])].sort().join(', ');
    if (pa !== pb)
      out.push({
        server,
        what: 'link addresses Twinlock added',
        planned: pa === '' ? 'none' : pa,
        now: pb === '' ? 'none' : pb,
      });
  }
  // Level 1: the server's failover clustering (joined a cluster, left one, roles added or gone).
  if ((planned.cluster ?? null) !== (now.cluster ?? null))
    out.push({
      server,
      what: 'cluster',
      planned: planned.cluster ?? 'not read',
      now: now.cluster ?? 'Failover Clustering not installed',
    });
  return out;
}

/** The scripts this Twinlock would run, against those the plan was made with. */
export function scriptDrift(plan: Plan, current: ScriptInfo[]): PlanDrift[] {
  const out: PlanDrift[] = [];
  for (const [name, s] of Object.entries(plan.scripts)) {
    const now = current.find((c) => c.name === name);
    if (!now)
      out.push({
        server: 'Twinlock',
        what: `script ${name}`,
        planned: `version ${s.version}`,
        now: 'absent',
      });
    else if (now.sha256 !== s.sha256)
      out.push({
        server: 'Twinlock',
        what: `script ${name}`,
        planned: `version ${s.version} (${s.sha256.slice(0, 12)})`,
        now: `version ${now.version} (${now.sha256.slice(0, 12)})`,
      });
  }
  return out;
}

/** One line per difference: "TL-NODE-A adapter SLOT 3 Port 1: status Up → Disconnected". */
export function driftLine(d: PlanDrift): string {
  // "status Up → status Disconnected" reads better as "status Up → Disconnected".
  const word = /^(\S+) /.exec(d.planned)?.[1];
  const now = word && d.now.startsWith(`${word} `) ? d.now.slice(word.length + 1) : d.now;
  return `${d.server} ${d.what}: ${d.planned} → ${now}`;
}

/** `plan-stale`, naming every difference. */
export function staleError(plan: Plan, drift: PlanDrift[]): TwinlockError {
  const shown = drift.slice(0, 5).map(driftLine).join('; ');
  const more = drift.length > 5 ? `; and ${drift.length - 5} more` : '';
  return new TwinlockError({
    code: 'plan-stale',
    message: `The servers changed since this plan was made (${plan.createdAt}), so it was not applied and nothing was changed: ${shown}${more}.`,
    hint: 'Plan again: Twinlock reads both servers anew and shows the steps that fit them now.',
    detail: { drift, planHash: plan.hash },
  });
}
