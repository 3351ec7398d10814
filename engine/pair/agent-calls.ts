/**
 * Every `twinlockctl` verb pairing uses (links test, pair create/join/remove, protect, unprotect),
 * called by verb with its input as AGENT-CONTRACT.md describes it. The one place where that input
 * becomes the agent's arguments.
 */
import { z } from 'zod';
import type { SyncLink, Witness } from '../api/models';
import { LinkStatusSchema, PairStateSchema } from '../api/models';
import type { CtlOptions } from '../agent/ctl';
import { runCtl } from '../agent/ctl';
import type { RemoteHost } from '../remote/types';

/** What each pairing verb takes. */
export interface PairVerbInputs {
  'links test': { peer: string; links: Array<{ local: string; remote: string }>; seconds: number };
  'pair create': { name: string; peer: string; token: string; level: number; links: SyncLink[]; witness: Witness | null };
  'pair join': { peer: string; token: string };
  'pair remove': Record<string, never>;
  protect: { vm: string };
  unprotect: { vm: string };
}
export type PairVerb = keyof PairVerbInputs;

export const LinksTestSchema = z.object({
  links: z.preprocess((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(LinkStatusSchema)),
});
export const PairStartSchema = z.object({ pairId: z.string(), state: PairStateSchema });
export const ProtectSchema = z.object({ vm: z.string(), protected: z.boolean() });
export const PairRemoveSchema = z.object({ state: z.string() });

/** The agent's command line for a verb and its input (argv only: the script passes it as an array). */
function argsOf<V extends PairVerb>(verb: V, input: PairVerbInputs[V]): string[] {
  const args = verb.split(' ');
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    if (key === 'seconds') continue;
    if (key === 'links' && verb === 'links test') continue;
    if (key === 'witness') args.push('--witness', (value as Witness).address);
    else args.push(`--${key}`, typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value));
  }
  return [...args, '--json'];
}

/** Runs one pairing verb on a server and validates its answer. */
export function agentCall<V extends PairVerb, S extends z.ZodType>(
  host: RemoteHost,
  verb: V,
  input: PairVerbInputs[V],
  schema: S,
  options: CtlOptions = {},
): Promise<z.output<S>> {
  return runCtl(host, argsOf(verb, input), schema, options);
}
