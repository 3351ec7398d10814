/**
 * Resuming a Level 1 pairing a stopped Twinlock left behind. Its journal holds the plan being
 * applied (its cloud witness key never: the quorum step has the placeholder) and, on each server,
 * the steps sent and done. Both servers' clusters are read back (get-cluster-state): when the
 * cluster this pairing made is there on both, with both nodes up, the steps not done are finished,
 * skipping what the cluster already has (the cluster, the witness, a VM already a role); otherwise
 * what this pairing made is undone in reverse order, as a failed pairing undoes it.
 */
import type { ClusterStateResult, PairOutcome, Plan, PlanStep, Witness } from '../api/models';
import { TwinlockError, toErrorData } from '../api/errors';
import type { TwinlockErrorData } from '../api/errors';
import type { PairJournalHost } from '../jobs/pair-journal';
import { hasStep } from '../jobs/pair-journal';
import type { JobContext } from '../jobs/types';
import type { Clock } from '../jobs/sleep';
import type { ClusterStepRecorder } from './apply-cluster';
import { applyClusterPlan, doneKey, needsCloudKey, sentKey, undoSteps, undoneKey } from './apply-cluster';
import { clusterDescription, readClusterState } from './cluster-status';
import type { PairMember } from './transaction';

/** What a resume does: finish the plan (skipping what is there), or take back what was made, and why. */
export type ClusterResumeDecision =
  | { kind: 'finish'; done: Set<string>; present: Set<string>; needsKey: boolean }
  | { kind: 'take-back'; why: string; undo: string[] };

const sameName = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** True when the cluster's witness is the one the pairing gives it. */
function witnessIs(cluster: NonNullable<ClusterStateResult['cluster']>, witness: Witness | null): boolean {
  const w = cluster.quorum.witness;
  if (witness === null) return w === null;
  return w !== null && w.kind === witness.kind && w.address.toLowerCase() === witness.address.toLowerCase();
}

/**
 * Decides a resume from the plan, the journal's steps on each server and both servers' clusters
 * as read now. Pure: changes nothing.
 */
export function decideClusterResume(
  plan: Plan,
  hosts: readonly [PairJournalHost, PairJournalHost],
  states: readonly [ClusterStateResult, ClusterStateResult],
): ClusterResumeDecision {
  const name = plan.pair.cluster?.name;
  const hostOf = (s: Pick<PlanStep, 'server'>) => hosts[s.server === 'primary' ? 0 : 1];
  const undone = (s: PlanStep) => hasStep(hostOf(s), undoneKey(s.id));
  const done = (s: PlanStep) => hasStep(hostOf(s), doneKey(s.id)) && !undone(s);
  const sent = (s: PlanStep) => (hasStep(hostOf(s), sentKey(s.id)) || done(s)) && !undone(s);
  const labels = plan.servers.map((s) => s.computerName);
  const clusters = states.map((st) => (sameName(st.cluster?.name, name) ? st.cluster : null));
  const first = clusters[0] ?? null;
  const makes = plan.steps.find((s) => s.script.name === 'new-cluster');
  const roleOf = (vm: string) => first?.roles.find((r) => r.vm.toLowerCase() === vm.toLowerCase()) ?? null;

  // Why the cluster cannot be finished as it is, or null when it can.
  const blocked = (): string | null => {
    if (makes && !sent(makes)) return null;
    for (const [i, c] of clusters.entries())
      if (!c) return `${labels[i]} is not a node of cluster ${name ?? ''}`;
    const c = clusters[0]!;
    if (makes && c.description.trim() !== clusterDescription(plan.pair.name))
      return `cluster ${c.name} is not the one this pairing made (its description is “${c.description}”)`;
    for (const label of labels) {
      const node = c.nodes.find((n) => n.name.toLowerCase() === label.toLowerCase());
      if (!node) return `${label} is not a node of cluster ${c.name}`;
      if (node.state !== 'Up') return `node ${label} of cluster ${c.name} is ${node.state}`;
    }
    return null;
  };
  const why = blocked();

  if (why === null) {
    const ours = new Set<string>();
    const present = new Set<string>();
    for (const s of plan.steps) {
      const there =
        (s.script.name === 'new-cluster' && first !== null) ||
        (s.script.name === 'set-cluster-quorum' && first !== null && witnessIs(first, plan.pair.witness)) ||
        (s.script.name === 'add-cluster-vm-role' && roleOf(String(s.params.vm)) !== null);
      if (done(s) && s.script.name !== 'wait-cluster-roles') ours.add(s.id);
      // A cluster of this name this pairing never asked for is not skipped: New-Cluster then says why.
      else if (there && sent(s)) ours.add(s.id);
      else if (there && s.script.name !== 'new-cluster') present.add(s.id);
    }
    const quorum = plan.steps.find((s) => s.script.name === 'set-cluster-quorum');
    const needsKey =
      needsCloudKey(plan) && quorum !== undefined && !ours.has(quorum.id) && !present.has(quorum.id);
    return { kind: 'finish', done: ours, present, needsKey };
  }

  // Taken back: the steps this pairing did, and those it sent whose change is there.
  const visible = (s: PlanStep) => {
    if (s.script.name === 'new-cluster') return states.some((st) => sameName(st.cluster?.name, name));
    if (s.script.name === 'add-cluster-vm-role') return roleOf(String(s.params.vm)) !== null;
    return s.script.name === 'set-link-address';
  };
  const undo = plan.steps
    .filter((s) => s.undo !== null && (done(s) || (sent(s) && visible(s))))
    .map((s) => s.id);
  return { kind: 'take-back', why, undo };
}

export interface ClusterResumeOptions {
  /** The cloud witness's access key, given again for this run (memory only). */
  cloudWitnessKey?: string | undefined;
  clock?: Clock | undefined;
  /** Run before a pairing that had changed nothing yet starts over (the checks a new pairing passes). */
  preflight?: (() => Promise<void>) | undefined;
}

/**
 * Resumes a Level 1 pairing: reads both clusters, then finishes it (the outcome a pairing
 * answers) or takes back what it made and throws `cancelled` (`connection-lost` when something is
 * left; the error names what and how to remove it). `finish` is told how the journal ends.
 */
export async function resumeClusterPairing(
  ctx: JobContext<'pair'>,
  plan: Plan,
  members: [PairMember, PairMember],
  hosts: readonly [PairJournalHost, PairJournalHost],
  recorder: ClusterStepRecorder & { finish(state: 'done' | 'rolled-back' | 'failed'): Promise<void> },
  options: ClusterResumeOptions = {},
): Promise<PairOutcome> {
  const name = plan.pair.name;
  for (const m of members)
    ctx.host(m.sessionId, {
      label: m.label,
      state: 'running',
      step: 'resume',
      percent: 0,
      message: `Reading the cluster on ${m.label}`,
    });
  ctx.progress(1, `Resuming ${name}: reading the cluster on both servers`);
  let states: [ClusterStateResult, ClusterStateResult];
  try {
    states = (await Promise.all(members.map((m) => readClusterState(m.host, { signal: ctx.signal })))) as [
      ClusterStateResult,
      ClusterStateResult,
    ];
  } catch (err) {
    const data = toErrorData(err, 'reading the servers');
    throw new TwinlockError(
      {
        code: data.code,
        message: `Twinlock cannot resume ${name} yet: ${data.message}`,
        hint: 'Nothing was changed. When both servers answer, resume again (twinlock pair --resume).',
        detail: { step: 'resume', resumable: true },
      } as TwinlockErrorData,
      { cause: err },
    );
  }
  const decision = decideClusterResume(plan, hosts, states);
  if (decision.kind === 'finish') {
    const key = options.cloudWitnessKey;
    if (decision.needsKey && (key === undefined || key === '')) {
      const account = plan.pair.witness?.address ?? '';
      throw new TwinlockError({
        code: 'invalid-input',
        message: `cloudWitnessKey: the interrupted pairing of ${name} has still to give cluster ${plan.pair.cluster?.name ?? ''} its cloud witness (storage account ${account}), and Twinlock never stores the access key: give it again to resume. Nothing was changed.`,
        hint: 'Resume again with the key (twinlock pair --resume reads it from TWINLOCK_CLOUD_WITNESS_KEY or asks for it); it is used once and never stored.',
        detail: { field: 'cloudWitnessKey', step: 'resume', resumable: true },
      });
    }
    const untouched = hosts.every((h) => Object.keys(h.steps).length === 0);
    if (untouched) await options.preflight?.();
    const outcome = await applyClusterPlan(ctx, plan, members, {
      cloudWitnessKey: key,
      recorder,
      resumed: { done: decision.done, present: decision.present },
      ...(options.clock ? { clock: options.clock } : {}),
    });
    await recorder.finish('done');
    return outcome;
  }
  ctx.progress(5, `Rolling back ${name}`);
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const steps = decision.undo.map((id) => byId.get(id)!);
  const undone = await undoSteps(
    ctx,
    steps,
    (s) => members[s.server === 'primary' ? 0 : 1],
    undefined,
    recorder,
  );
  for (const m of members)
    ctx.host(m.sessionId, { state: 'failed', step: 'undo', percent: 100, message: `${name} rolled back` });
  if (undone.failed.length > 0) {
    await recorder.finish('failed');
    throw new TwinlockError({
      code: 'connection-lost',
      message: `The interrupted pairing of ${name} could not be finished (${decision.why}), and Twinlock could not remove all of it: ${undone.failed.join('; ')}.`,
      hint: `When both servers answer again, remove what is left with: twinlock unpair ${plan.servers.map((s) => `${s.address}:${s.port}`).join(' ')} --yes`,
      detail: { step: 'resume', undo: { complete: false, remains: undone.failed } },
    });
  }
  await recorder.finish('rolled-back');
  throw new TwinlockError({
    code: 'cancelled',
    message: `The interrupted pairing of ${name} could not be finished (${decision.why}); Twinlock rolled it back: ${members[0].label} and ${members[1].label} are not paired.`,
    hint: `Pair them again when ready (twinlock pair ${plan.servers.map((s) => `${s.address}:${s.port}`).join(' ')} --level 1 --name ${name}).`,
    detail: { step: 'resume', undo: { complete: true, remains: [], undone: undone.done } },
  });
}
