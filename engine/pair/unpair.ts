/**
 * Taking a pair apart: unprotect its VMs, then `pair remove`, on each server. Used to undo a
 * failed pairing and by `unpair` (the admin's own command for what an undo could not reach).
 */
import type { AgentStatus, UnpairOutcome } from '../api/models';
import type { RemoteHost, RunOptions } from '../remote/types';
import { runCtl } from '../agent/ctl';
import { PairRemoveSchema, ProtectSchema } from './agent-calls';
import { readAgentStatusOrNone } from './status';

export interface RemovalRequest {
  /** Only a pair of this name is touched (another pair on the server is left alone); any pair when absent. */
  name?: string;
  /** VMs to unprotect: all the server protects when absent, none when empty. */
  vms?: string[];
  /** Remove the pair itself (false: only unprotect the VMs). */
  removePair: boolean;
  /** The server's status, when just read. */
  status?: AgentStatus;
  /** Called before each change, with one line for the admin. */
  onStep?: (message: string) => void;
  run?: RunOptions;
}

/** Unprotects and removes the pair on one server; reports what it removed. */
export async function removePairFrom(
  host: RemoteHost,
  computerName: string,
  request: RemovalRequest,
): Promise<UnpairOutcome> {
  // A server without the agent holds no pair: nothing to remove there.
  const status = request.status ?? (await readAgentStatusOrNone(host, computerName, request.run));
  const pair = status.pair;
  const outcome: UnpairOutcome = { computerName, pair: pair?.name ?? null, unprotected: [], removed: false };
  if (!pair || (request.name !== undefined && pair.name !== request.name)) return { ...outcome, pair: null };
  // Protection lives on the primary; the secondary reports the same VMs as standby copies.
  const protectedVms =
    status.role === 'primary' ? status.vms.filter((v) => v.protected).map((v) => v.name) : [];
  for (const vm of protectedVms.filter((v) => request.vms === undefined || request.vms.includes(v))) {
    request.onStep?.(`Unprotecting ${vm}`);
    await runCtl(host, 'unprotect', { vm }, ProtectSchema, request.run);
    outcome.unprotected.push(vm);
  }
  if (request.removePair) {
    request.onStep?.(`Removing pair ${pair.name} from ${computerName}`);
    await runCtl(host, 'pair remove', {}, PairRemoveSchema, request.run);
    outcome.removed = true;
  }
  return outcome;
}
