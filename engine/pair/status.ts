/** The agent's status as `twinlockctl status --input -` reports it, read through PowerShell. */
import { z } from 'zod';
import type { AgentStatus } from '../api/models';
import { AgentStatusSchema } from '../api/models';
import { isAgentMissing, runCtl } from '../agent/ctl';
import { noPairStatus, readClusterState, statusFromCluster } from './cluster-status';
import type { RemoteHost, RunOptions } from '../remote/types';

/** PowerShell 5.1 round-trips a one-item JSON array as the bare item and `[]` as null. */
function listOf(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** AgentStatusSchema, tolerant of ConvertFrom-Json/ConvertTo-Json's array quirks. */
export const AgentStatusWireSchema = z.preprocess((raw) => {
  if (typeof raw !== 'object' || raw === null) return raw;
  const s = raw as Record<string, unknown>;
  const pair = s.pair as Record<string, unknown> | null | undefined;
  return {
    ...s,
    vms: listOf(s.vms),
    pair:
      pair && typeof pair === 'object'
        ? { ...pair, links: listOf(pair.links), witness: pair.witness ?? null }
        : null,
  };
}, AgentStatusSchema);

/** Reads one server's agent status. */
export async function readStatus(host: RemoteHost, options: RunOptions = {}): Promise<AgentStatus> {
  return runCtl(host, 'status', {}, AgentStatusWireSchema, options);
}

/**
 * One server's pair status, whatever the level: a node of a cluster Twinlock made for a Level 1
 * pair reports the status read from the cluster (engine/pair/cluster-status.ts); any other server
 * its agent's. A server with neither (no agent: `agent.installed` false from the inventory, or
 * twinlockctl found missing) is in no pair: that is its status, not an error.
 */
export async function readPairStatus(
  host: RemoteHost,
  computerName: string,
  options: RunOptions = {},
  agent: { installed?: boolean } = {},
): Promise<AgentStatus> {
  const fromCluster = statusFromCluster(computerName, await readClusterState(host, options));
  if (fromCluster) return fromCluster;
  if (agent.installed === false) return noPairStatus(computerName);
  return readAgentStatusOrNone(host, computerName, options);
}

/** The agent's status, or "in no pair" on a server where the agent is not installed. */
export async function readAgentStatusOrNone(
  host: RemoteHost,
  computerName: string,
  options: RunOptions = {},
): Promise<AgentStatus> {
  try {
    return await readStatus(host, options);
  } catch (err) {
    if (isAgentMissing(err)) return noPairStatus(computerName);
    throw err;
  }
}
