/**
 * The pairing transaction: pairs two servers by a configuration — tests the sync links, creates
 * the pair on the primary, joins the secondary with a single-use token, protects the VMs, and
 * follows both servers until the pair is protected. When a step after `pair create` fails (or
 * the admin cancels), what this pairing did is undone — VMs unprotected, the pair removed on both
 * servers — and the error says which step failed and, when a server could not be reached, what
 * remains on it and the one command that removes it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AgentStatus, PairOutcome, PairConfig, PairProgressStep, PairState } from '../api/models';
import { TwinlockError, toErrorData } from '../api/errors';
import type { TwinlockErrorData } from '../api/errors';
import { assertNever } from '../api/rules';
import { sleep, systemClock } from '../jobs/sleep';
import type { Clock } from '../jobs/sleep';
import type { JobContext } from '../jobs/types';
import type { RemoteHost } from '../remote/types';
import { runCtl } from '../agent/ctl';
import { linksTestInput, pairCreateInput, pairJoinInput } from './agent-input';
import { LinksTestSchema, PairStartSchema, ProtectSchema } from './agent-calls';
import { readStatus } from './status';
import { removePairFrom } from './unpair';
import type { LinkAddress } from './plan';

/** What set-link-address answers. */
const SetAddressSchema = z.object({ added: z.boolean(), alreadyPresent: z.boolean() }).loose();

/** One of the two servers. */
export interface PairMember {
  sessionId: string;
  label: string;
  host: RemoteHost;
  /** The server's host again after a dropped connection (reopened with the pinned key). */
  reconnect?: () => Promise<RemoteHost>;
}

/** The waits of a pairing; the defaults suit real servers. */
export interface PairTimings {
  /** How often both servers are asked for their status. */
  pollIntervalMs?: number;
  /** The whole pairing's time limit: mirroring a large VM takes a while. */
  timeoutMs?: number;
  /** What the polls and the time limit are measured on (engine/jobs/sleep.ts); real time by default. */
  clock?: Clock;
}

/** The steps of a pairing, in order; `*-sent` is recorded just before the call that changes a server. */
export type PairStep =
  'links' | 'create-sent' | 'create' | 'join-sent' | 'join' | 'protect' | 'protected' | 'undo';

/**
 * A recorded step: one of {@link PairStep}, a VM protected (`protect:<vm>`), or a link address
 * about to be set (`address:<adapter>|<address>`, written before the call, as `*-sent` is) and
 * removed again by an undo (`address-removed:<adapter>|<address>`).
 */
export type RecordedStep = PairStep | `protect:${string}` | `address:${string}` | `address-removed:${string}`;

/** Where a pairing records its steps (the journal on disk), so that a stopped Twinlock can resume or roll back. */
export interface PairRecorder {
  step(role: 'primary' | 'secondary', step: RecordedStep): Promise<void>;
}

/** The journal key of a link address (`<adapter>|<address>`; adapter names may hold anything but an address has no `|`). */
export function addressKey(a: { adapter: string; address: string }): string {
  return `${a.adapter}|${a.address}`;
}

/** How this run relates to the servers' state. */
export interface PairRun {
  recorder?: PairRecorder;
  /** A pair of this name on both servers was made by this pairing (resumed after a crash): a failure removes it. */
  owned?: boolean;
  /** True once Twinlock is shutting down: the pairing is then left to resume, not undone. */
  shuttingDown?: () => boolean;
  /** Link addresses to set first, in order (the plan's address steps); set-link-address leaves one already there alone. */
  addresses?: LinkAddress[];
  /** Addresses an earlier run of this pairing set (from its journal): an undo removes them too. */
  ownedAddresses?: LinkAddress[];
  /** The pair these servers held was removed to make it again (a plan bringing it back): an undo cannot give it back. */
  remade?: boolean;
}

/** The stage a pairing failed in, as the admin reads it. */
export type PairStage = 'check' | 'addresses' | 'links' | 'create' | 'join' | 'protect' | 'wait';

const STAGE_TEXT: Record<PairStage, string> = {
  check: 'reading both servers’ status',
  addresses: 'giving the sync-link adapters their addresses',
  links: 'testing the sync links',
  create: 'creating the pair on the primary',
  join: 'joining the secondary',
  protect: 'protecting the VMs',
  wait: 'waiting for the pair to be protected',
};

/** What an undo could not remove, on one server. */
export interface Remains {
  /** Computer name. */
  host: string;
  /** `host[:port]` as the CLI takes it. */
  address: string;
  /** What is left, in words. */
  what: string;
  /** Why it could not be removed. */
  reason: string;
}

/** `host[:port]` for a command line (IPv6 in brackets; port 22 left out). */
export function hostArgOf(host: RemoteHost): string {
  const address = host.address.includes(':') ? `[${host.address}]` : host.address;
  return host.port === 22 && !host.address.includes(':') ? host.address : `${address}:${host.port}`;
}

/** The one command that removes a pair from both servers. */
export function unpairCommand(primary: RemoteHost, secondary: RemoteHost): string {
  return `twinlock unpair ${hostArgOf(primary)} ${hostArgOf(secondary)} --yes`;
}

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

/** Runs the pairing; resolves once both servers report `protected`. */
export async function runPairing(
  ctx: JobContext<'pair'>,
  config: PairConfig,
  primary: PairMember,
  secondary: PairMember,
  options: PairTimings = {},
  run: PairRun = {},
): Promise<PairOutcome> {
  const pollIntervalMs = options.pollIntervalMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const signal = ctx.signal;
  const token = newPairingToken();
  const secrets = [token];
  // Only `*-sent` is waited for (it must be on disk before the call it announces); the other steps
  // are written in order behind the pairing, which a slow disk must not hold up.
  const record = (role: 'primary' | 'secondary', step: RecordedStep) => {
    const written = run.recorder?.step(role, step) ?? Promise.resolve();
    return step.endsWith('-sent') || step.startsWith('address:') ? written : undefined;
  };
  const firstLink = config.links[0];
  if (!firstLink) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'links: At least one sync link is needed.',
      hint: 'Add a sync link.',
    });
  }
  const step = (m: PairMember, percent: number, stepId: PairProgressStep, message: string) =>
    ctx.host(m.sessionId, { label: m.label, state: 'running', step: stepId, percent, message });

  /** What this run changed, so that a failure undoes exactly that. */
  const txn = {
    createSent: false,
    joinSent: false,
    protectedHere: [] as string[],
    /** Link addresses this pairing set, in the order it set them. */
    addressesAdded: [...(run.ownedAddresses ?? [])],
  };
  let stage: PairStage = 'check';

  for (const m of [primary, secondary])
    ctx.host(m.sessionId, {
      label: m.label,
      state: 'pending',
      step: 'links',
      percent: 0,
      message: 'Waiting',
    });

  try {
    // Applying the same configuration again is safe: a pair that already exists under this name on
    // both servers is followed (and its VMs protected), not created twice.
    const before = await Promise.all([
      readStatus(primary.host, { signal }),
      readStatus(secondary.host, { signal }),
    ]);
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
    if (!alreadyPaired) {
      const half = before.findIndex((st) => st.pair?.name === config.name);
      if (half >= 0) {
        const [m, other] = half === 0 ? [primary, secondary] : [secondary, primary];
        throw new TwinlockError({
          code: 'incompatible',
          message: `${m.label} holds pair ${config.name} (${before[half]!.pair!.state}) but ${other.label} does not: a pairing was left half made.`,
          hint: `Resume the interrupted pairing (twinlock pair --resume), or remove what is left: ${unpairCommand(primary.host, secondary.host)}`,
          detail: { host: m.label, pair: config.name },
        });
      }
    }
    if (alreadyPaired && run.owned) Object.assign(txn, { createSent: true, joinSent: true });
    const pairId = alreadyPaired ? await followExisting() : await createPair();
    stage = 'wait';
    const outcome = await waitProtected(pairId);
    await record('primary', 'protected');
    await record('secondary', 'protected');
    return outcome;
  } catch (err) {
    const undoing =
      (txn.createSent || txn.protectedHere.length > 0 || txn.addressesAdded.length > 0) &&
      !run.shuttingDown?.();
    const failure = undoing ? await undo(err) : err;
    const message = failure instanceof Error ? failure.message : String(failure);
    for (const m of [primary, secondary]) ctx.host(m.sessionId, { label: m.label, state: 'failed', message });
    throw failure;
  }

  async function setAddresses(): Promise<void> {
    const addresses = run.addresses ?? [];
    if (addresses.length === 0) return;
    stage = 'addresses';
    for (const [i, a] of addresses.entries()) {
      const m = a.role === 'primary' ? primary : secondary;
      ctx.progress(1, `Giving ${a.adapter} on ${m.label} the address ${a.address}/${a.prefixLength}`);
      step(m, 1, 'links', `Setting ${a.address} on ${a.adapter} (${i + 1} of ${addresses.length})`);
      // Recorded before the call: if Twinlock dies while it runs, the address may be there.
      await record(a.role, `address:${addressKey(a)}`);
      const result = SetAddressSchema.parse(
        await m.host.runScript(
          'set-link-address',
          { adapter: a.adapter, address: a.address, prefixLength: a.prefixLength },
          { signal },
        ),
      );
      const owned = txn.addressesAdded.some((o) => o.role === a.role && addressKey(o) === addressKey(a));
      if (result.added && !owned) txn.addressesAdded.push(a);
    }
  }

  async function createPair(): Promise<string> {
    if (!firstLink) throw new Error('unreachable: links checked above');
    await setAddresses();
    stage = 'links';
    ctx.progress(2, 'Testing the sync links');
    step(primary, 2, 'links', 'Testing the sync links');
    const tested = await runCtl(primary.host, 'links test', linksTestInput(config), LinksTestSchema, {
      signal,
      secrets,
    });
    for (const link of config.links) {
      const result = tested.links.find(
        (l) => l.local === link.localAddress && l.remote === link.remoteAddress,
      );
      if (!result || !result.up) {
        throw new TwinlockError({
          code: 'incompatible',
          message: `The sync link from ${primary.label} ${link.localNic} (${link.localAddress}) to ${secondary.label} ${link.remoteNic} (${link.remoteAddress}) is ${result ? 'down' : 'not reachable'}.`,
          hint: 'Check the cable and both adapters (status Up, addresses on the same subnet), or choose another pair of adapters, then apply again.',
          detail: { link, tested: tested.links },
        });
      }
    }
    ctx.host(primary.sessionId, {
      step: 'links',
      percent: 5,
      message: `${config.links.length} sync link${config.links.length > 1 ? 's' : ''} up`,
    });
    await record('primary', 'links');

    stage = 'create';
    ctx.progress(6, `Creating pair ${config.name} on ${primary.label}`);
    step(primary, 6, 'pair', `Creating pair ${config.name}`);
    // Recorded before the call: if Twinlock dies while it runs, the primary may hold the pair.
    await record('primary', 'create-sent');
    txn.createSent = true;
    const created = await runCtl(
      primary.host,
      'pair create',
      pairCreateInput(config, token),
      PairStartSchema,
      { signal, secrets },
    );
    await record('primary', 'create');

    stage = 'join';
    ctx.progress(10, `${secondary.label} joins the pair`);
    step(secondary, 10, 'pair', `Joining pair ${config.name}`);
    await record('secondary', 'join-sent');
    txn.joinSent = true;
    await runCtl(secondary.host, 'pair join', pairJoinInput(config, token), PairStartSchema, {
      signal,
      secrets,
    });
    await record('secondary', 'join');

    await protectVms(config.vms);
    return created.pairId;
  }

  async function protectVms(vms: string[]): Promise<void> {
    stage = 'protect';
    for (const [i, vm] of vms.entries()) {
      ctx.progress(12, `Protecting ${vm} (${i + 1} of ${vms.length})`);
      step(primary, 12, 'protect', `Protecting ${vm}`);
      const result = await runCtl(primary.host, 'protect', { vm }, ProtectSchema, { signal, secrets });
      if (!result.protected) {
        throw new TwinlockError({
          code: 'script-failed',
          message: `The agent on ${primary.label} did not protect ${vm}.`,
          hint: `Check that ${vm} exists on ${primary.label} and is not being migrated, then apply again.`,
        });
      }
      txn.protectedHere.push(vm);
      await record('primary', `protect:${vm}`);
    }
    await record('primary', 'protect');
  }

  /** The pair exists already: protect the VMs it does not protect yet. */
  async function followExisting(): Promise<string> {
    ctx.progress(10, `${config.name} already exists on both servers; checking its VMs`);
    // The plan's address steps for an existing pair: the link addresses missing from their adapters.
    await setAddresses();
    const status = await readStatus(primary.host, { signal });
    const protectedVms = new Set(status.vms.filter((v) => v.protected).map((v) => v.name));
    await protectVms(config.vms.filter((v) => !protectedVms.has(v)));
    // The agent's status does not report the pair's id, so an existing pair is known by its name.
    return config.name;
  }

  /** Undoes what this run changed; returns the error to report, naming the failed step and what remains. */
  async function undo(err: unknown): Promise<TwinlockError> {
    const data = toErrorData(err, 'the pairing');
    ctx.progress(0, `Pairing failed while ${STAGE_TEXT[stage]}; undoing it`);
    const remains: Remains[] = [];
    const pairTouched = txn.createSent || txn.protectedHere.length > 0;
    const members = !pairTouched ? [] : txn.joinSent ? [primary, secondary] : [primary];
    // A pair made by this run goes entirely; on a pair that existed before, only the VMs this run protected.
    const request = txn.createSent
      ? { name: config.name, removePair: true }
      : { name: config.name, vms: txn.protectedHere, removePair: false };
    for (const m of members) {
      const role = m === primary ? 'primary' : 'secondary';
      // The undo's steps stay on the server's progress line after the job ends.
      const lines: string[] = [];
      const undoStep = (percent: number, line: string) => {
        lines.push(line);
        ctx.host(m.sessionId, {
          label: m.label,
          state: 'running',
          step: 'undo',
          percent,
          message: `Undoing: ${line}`,
          logTail: [...lines],
        });
      };
      undoStep(0, `Checking ${config.name} on ${m.label}`);
      try {
        const host = m.reconnect ? await m.reconnect() : m.host;
        const outcome = await removePairFrom(host, m.label, {
          ...request,
          onStep: (line) => undoStep(50, line),
          run: { timeoutMs: 60_000 },
        });
        undoStep(
          100,
          outcome.removed ? `${m.label} is no longer paired` : `Nothing of ${config.name} left on ${m.label}`,
        );
        await record(role, 'undo');
      } catch (undoErr) {
        const reason = toErrorData(undoErr, 'the undo').message;
        undoStep(100, `Could not undo on ${m.label}: ${reason}`);
        const vms =
          role === 'primary' && txn.protectedHere.length > 0
            ? `, with ${txn.protectedHere.join(', ')} protected`
            : '';
        remains.push({
          host: m.label,
          address: hostArgOf(m.host),
          what: txn.createSent
            ? `its part of pair ${config.name}${vms}`
            : `the protection of ${txn.protectedHere.join(', ')}`,
          reason,
        });
      }
    }
    // The link addresses go last, in the reverse of the order they were set: the pair used them.
    const removedAddresses: string[] = [];
    for (const a of [...txn.addressesAdded].reverse()) {
      const m = a.role === 'primary' ? primary : secondary;
      try {
        const host = m.reconnect ? await m.reconnect() : m.host;
        await host.runScript(
          'remove-link-address',
          { adapter: a.adapter, address: a.address },
          { timeoutMs: 60_000 },
        );
        removedAddresses.push(`${a.address} from ${m.label} ${a.adapter}`);
        ctx.host(m.sessionId, {
          label: m.label,
          state: 'running',
          step: 'undo',
          percent: 100,
          message: `Undoing: removed ${a.address} from ${a.adapter}`,
        });
        await run.recorder?.step(a.role, `address-removed:${addressKey(a)}`);
      } catch (undoErr) {
        remains.push({
          host: m.label,
          address: hostArgOf(m.host),
          what: `the address ${a.address} on ${a.adapter}`,
          reason: toErrorData(undoErr, 'the undo').message,
        });
      }
    }
    const command = unpairCommand(primary.host, secondary.host);
    const complete = remains.length === 0;
    const labels = txn.joinSent ? `${primary.label} and ${secondary.label}` : primary.label;
    const addressTail =
      removedAddresses.length > 0
        ? ` It removed the link addresses it set (${removedAddresses.join('; ')}).`
        : '';
    const tail = complete
      ? (txn.createSent
          ? run.remade
            ? `Twinlock undid the new pairing: ${labels} ${txn.joinSent ? 'are' : 'is'} not paired now (the pair they held was removed to make it again, so its VMs are unprotected).`
            : `Twinlock undid the pairing: ${labels} ${txn.joinSent ? 'are' : 'is'} not paired, as before.`
          : pairTouched
            ? `Twinlock unprotected ${txn.protectedHere.join(', ')} again.`
            : 'Nothing of the pair was made.') + addressTail
      : `Twinlock could not undo everything: ${remains.map((r) => `${r.host} still holds ${r.what} (${r.reason})`).join('; ')}.`;
    return new TwinlockError(
      {
        code: data.code,
        message: `Pairing ${config.name} failed while ${STAGE_TEXT[stage]}: ${/[.!?]$/.test(data.message) ? data.message : `${data.message}.`} ${tail}`,
        hint: complete
          ? (data.hint ?? 'Fix the problem, then apply again.')
          : `When ${remains.map((r) => r.host).join(' and ')} answer${remains.length > 1 ? '' : 's'} again, remove what is left with: ${command}`,
        detail: {
          ...data.detail,
          step: stage,
          undo: { complete, remains, ...(complete ? {} : { command }) },
        },
      } as TwinlockErrorData,
      { cause: err },
    );
  }

  async function waitProtected(pairId: string): Promise<PairOutcome> {
    for (;;) {
      const statuses = await Promise.all([
        readStatus(primary.host, { signal }),
        readStatus(secondary.host, { signal }),
      ]);
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
      const slowest = Math.min(
        ...statuses.map((st) => statePercent(st.pair?.state ?? 'none', st.pair?.progress ?? 0)),
      );
      ctx.progress(slowest, `${config.name}: ${stateMessage(p)}`);
      if (p.pair?.state === 'protected' && s.pair?.state === 'protected') {
        return { pairId, state: 'protected', elapsedMs: clock.now() - started, status: [p, s] };
      }
      if (clock.now() - started > timeoutMs) {
        throw new TwinlockError({
          code: 'timeout',
          message: `${config.name} was not protected within ${Math.round(timeoutMs / 60_000)} minutes (${primary.label}: ${stateMessage(p)}; ${secondary.label}: ${stateMessage(s)}).`,
          hint: 'Mirroring large VMs over slow links takes longer: check the links’ speed, then apply again.',
        });
      }
      await sleep(pollIntervalMs, signal, clock);
    }
  }
}
