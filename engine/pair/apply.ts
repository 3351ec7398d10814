/**
 * Applies a pair configuration: tests the sync links, creates the pair on the primary, joins the
 * secondary with a single-use token, protects the VMs, and follows both servers until the pair
 * is protected.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AgentStatus, ApplyOutcome, PairConfig, PairState } from '../api/models';
import { LinkStatusSchema, PairStateSchema } from '../api/models';
import { TwinlockError, assertNever } from '../api/errors';
import { runCtl } from '../agent/ctl';
import { sleep } from '../jobs/sleep';
import type { JobContext } from '../jobs/types';
import type { RemoteHost } from '../remote/types';
import { linksTestInput, pairCreateInput, pairJoinInput } from './agent-input';
import { readStatus } from './status';

/** One of the two servers. */
export interface PairMember {
  sessionId: string;
  label: string;
  host: RemoteHost;
}

export interface ApplyOptions {
  /** How often both servers are asked for their status. */
  pollIntervalMs?: number;
  /** The whole apply's time limit: mirroring a large VM takes a while. */
  timeoutMs?: number;
}

const LinksTestSchema = z.object({
  links: z.preprocess((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(LinkStatusSchema)),
});
const PairStartSchema = z.object({ pairId: z.string(), state: PairStateSchema });
const ProtectSchema = z.object({ vm: z.string(), protected: z.boolean() });

/**
 * A fresh pairing token: 256 random bits, used once, sent only to the two servers. It lives in
 * this function's scope and is never stored, exported or logged.
 */
function newPairingToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Overall progress for a pair state: mirroring fills most of the bar. */
export function statePercent(state: PairState | 'none', progress: number): number {
  switch (state) {
    case 'none':
      return 15;
    case 'pairing':
      return 20;
    case 'mirroring':
      return 25 + Math.round(0.6 * Math.min(Math.max(progress, 0), 100));
    case 'syncing':
      return 90;
    case 'protected':
      return 100;
    case 'degraded':
    case 'failed-over':
    case 'broken':
      return 20;
    default:
      return assertNever(state);
  }
}

/** One line for the admin per state. */
export function stateMessage(status: AgentStatus): string {
  const pair = status.pair;
  if (!pair) return 'Waiting for the pair to start';
  switch (pair.state) {
    case 'pairing':
      return 'Pairing with the other server';
    case 'mirroring':
      return `Mirroring storage: ${Math.round(pair.progress)}%`;
    case 'syncing':
      return 'Synchronising memory';
    case 'protected':
      return 'Protected';
    case 'degraded':
      return 'A sync link is down; waiting for it to come back';
    case 'failed-over':
      return 'The other server was lost; this one took over';
    case 'broken':
      return 'The pair broke';
    default:
      return assertNever(pair.state);
  }
}

/** Runs the apply; resolves once both servers report `protected`. */
export async function applyPair(
  ctx: JobContext<'apply'>,
  config: PairConfig,
  primary: PairMember,
  secondary: PairMember,
  options: ApplyOptions = {},
): Promise<ApplyOutcome> {
  const pollIntervalMs = options.pollIntervalMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const started = Date.now();
  const signal = ctx.signal;
  const token = newPairingToken();
  const secrets = [token];
  const firstLink = config.links[0];
  if (!firstLink) {
    throw new TwinlockError({ code: 'invalid-input', message: 'links: At least one sync link is needed.', hint: 'Add a sync link.' });
  }
  const step = (m: PairMember, percent: number, stepId: string, message: string) =>
    ctx.host(m.sessionId, { label: m.label, state: 'running', step: stepId, percent, message });

  for (const m of [primary, secondary]) ctx.host(m.sessionId, { label: m.label, state: 'pending', step: 'links', percent: 0, message: 'Waiting' });

  try {
    // Applying the same configuration again is safe: a pair that already exists under this name on
    // both servers is followed (and its VMs protected), not created twice.
    const before = await Promise.all([readStatus(primary.host, { signal }), readStatus(secondary.host, { signal })]);
    const alreadyPaired = before.every((st) => st.pair?.name === config.name);
    for (const [i, st] of before.entries()) {
      const m = i === 0 ? primary : secondary;
      if (st.pair && st.pair.name !== config.name) {
        throw new TwinlockError({
          code: 'incompatible',
          message: `${m.label} is already in another pair, ${st.pair.name} (${st.pair.state}).`,
          hint: `Remove ${m.label} from ${st.pair.name} first (twinlockctl pair remove on that server), or choose another server.`,
          detail: { host: m.label, pair: st.pair.name },
        });
      }
    }
    const pairId = alreadyPaired ? await followExisting(ctx, config, primary, before[0]!, signal, secrets) : await createPair();
    return await waitProtected(pairId);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const m of [primary, secondary]) ctx.host(m.sessionId, { label: m.label, state: 'failed', message });
    throw err;
  }

  async function createPair(): Promise<string> {
    if (!firstLink) throw new Error('unreachable: links checked above');
    ctx.progress(2, 'Testing the sync links');
    step(primary, 2, 'links', 'Testing the sync links');
    const tested = await runCtl(primary.host, 'links test', linksTestInput(config), LinksTestSchema, { signal, secrets });
    for (const link of config.links) {
      const result = tested.links.find((l) => l.local === link.localAddress && l.remote === link.remoteAddress);
      if (!result || !result.up) {
        throw new TwinlockError({
          code: 'incompatible',
          message: `The sync link from ${primary.label} ${link.localNic} (${link.localAddress}) to ${secondary.label} ${link.remoteNic} (${link.remoteAddress}) is ${result ? 'down' : 'not reachable'}.`,
          hint: 'Check the cable and both adapters (status Up, addresses on the same subnet), or choose another pair of adapters, then apply again.',
          detail: { link, tested: tested.links },
        });
      }
    }
    ctx.host(primary.sessionId, { step: 'links', percent: 5, message: `${config.links.length} sync link${config.links.length > 1 ? 's' : ''} up` });

    ctx.progress(6, `Creating pair ${config.name} on ${primary.label}`);
    step(primary, 6, 'pair', `Creating pair ${config.name}`);
    const created = await runCtl(primary.host, 'pair create', pairCreateInput(config, token), PairStartSchema, { signal, secrets });

    ctx.progress(10, `${secondary.label} joins the pair`);
    step(secondary, 10, 'pair', `Joining pair ${config.name}`);
    await runCtl(secondary.host, 'pair join', pairJoinInput(config, token), PairStartSchema, { signal, secrets });

    for (const [i, vm] of config.vms.entries()) {
      ctx.progress(12, `Protecting ${vm} (${i + 1} of ${config.vms.length})`);
      step(primary, 12, 'protect', `Protecting ${vm}`);
      const result = await runCtl(primary.host, 'protect', { vm }, ProtectSchema, { signal, secrets });
      if (!result.protected) {
        throw new TwinlockError({
          code: 'script-failed',
          message: `The agent on ${primary.label} did not protect ${vm}.`,
          hint: `Check that ${vm} exists on ${primary.label} and is not being migrated, then apply again.`,
        });
      }
    }
    return created.pairId;
  }

  async function waitProtected(pairId: string): Promise<ApplyOutcome> {
    for (;;) {
      const statuses = await Promise.all([readStatus(primary.host, { signal }), readStatus(secondary.host, { signal })]);
      const members = [primary, secondary] as const;
      statuses.forEach((status, i) => {
        const m = members[i]!;
        const state = status.pair?.state ?? 'none';
        ctx.host(m.sessionId, {
          label: m.label,
          state: state === 'protected' ? 'done' : 'running',
          step: state,
          percent: statePercent(state, status.pair?.progress ?? 0),
          message: stateMessage(status),
        });
      });
      for (const [i, status] of statuses.entries()) {
        const state = status.pair?.state;
        if (state === 'broken' || state === 'failed-over') {
          const m = members[i]!;
          throw new TwinlockError({
            code: 'incompatible',
            message: `Pairing failed: ${m.label} reports the pair as ${state}.`,
            hint: 'Check the sync links and that both servers stayed up, then apply again; the agent resumes from a clean state.',
            detail: { host: m.label, state, links: status.pair?.links ?? [] },
          });
        }
      }
      const [p, s] = statuses;
      const slowest = Math.min(...statuses.map((st) => statePercent(st.pair?.state ?? 'none', st.pair?.progress ?? 0)));
      ctx.progress(slowest, `${config.name}: ${stateMessage(p)}`);
      if (p.pair?.state === 'protected' && s.pair?.state === 'protected') {
        return { pairId, state: 'protected', elapsedMs: Date.now() - started, status: [p, s] };
      }
      if (Date.now() - started > timeoutMs) {
        throw new TwinlockError({
          code: 'timeout',
          message: `${config.name} was not protected within ${Math.round(timeoutMs / 60_000)} minutes (${primary.label}: ${stateMessage(p)}; ${secondary.label}: ${stateMessage(s)}).`,
          hint: 'Mirroring large VMs over slow links takes longer: check the links’ speed, then look at the status again; the agent keeps going.',
        });
      }
      await sleep(pollIntervalMs, signal);
    }
  }
}

/** The pair exists already: protect the VMs it does not protect yet. */
async function followExisting(
  ctx: JobContext<'apply'>,
  config: PairConfig,
  primary: PairMember,
  status: AgentStatus,
  signal: AbortSignal,
  secrets: string[],
): Promise<string> {
  ctx.progress(10, `${config.name} already exists on both servers; checking its VMs`);
  const protectedVms = new Set(status.vms.filter((v) => v.protected).map((v) => v.name));
  for (const vm of config.vms.filter((v) => !protectedVms.has(v))) {
    ctx.host(primary.sessionId, { label: primary.label, state: 'running', step: 'protect', percent: 12, message: `Protecting ${vm}` });
    await runCtl(primary.host, 'protect', { vm }, ProtectSchema, { signal, secrets });
  }
  // The agent's status does not report the pair's id, so an existing pair is known by its name.
  return config.name;
}
