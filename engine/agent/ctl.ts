/**
 * Calls `twinlockctl` on a server through the `invoke-twinlockctl` script, as the agent contract
 * (docs/agent-contract.md) says: `twinlockctl <verb> --input -` with every value in one JSON
 * document on stdin. The verb comes from a closed list; values travel inside the script's
 * parameters and reach the agent as JSON, so nothing the admin typed is ever parsed as PowerShell
 * or as a native command line.
 */
import { z } from 'zod';
import { TwinlockError } from '../api/errors';
import type { RemoteHost, RunOptions } from '../remote/types';
import { REMOTE_PATHS } from '../remote/scripts';
import { parseScriptResult } from './script-results';

/**
 * `invoke-twinlockctl`: the exit code, the parsed JSON output (or null) and the raw text; or
 * `installed: false`, nothing run, when twinlockctl is not on the server (no agent).
 */
export const CtlRunSchema = z.discriminatedUnion('installed', [
  z.object({ installed: z.literal(false) }),
  z.object({
    installed: z.literal(true),
    exitCode: z.number().int(),
    output: z.unknown().nullish(),
    text: z.string().nullish(),
    /** What twinlockctl wrote on stderr. */
    stderr: z.string().nullish(),
  }),
]);

/** The detail of the `not-found` error runCtl raises on a server without the agent. */
export type AgentMissingDetail = {
  host: string;
  verb: CtlVerb;
  missing: 'agent';
};

/** True for runCtl's error on a server where the agent is not installed (nothing was run). */
export function isAgentMissing(err: unknown): boolean {
  return (
    err instanceof TwinlockError &&
    err.code === 'not-found' &&
    (err.detail as Partial<AgentMissingDetail> | undefined)?.missing === 'agent'
  );
}

/** The verbs of the agent contract, word by word: argv carries these and `--input -` only. */
export const CTL_VERBS = [
  'version',
  'status',
  'links test',
  'pair create',
  'pair join',
  'protect',
  'unprotect',
  'drill',
  'pair remove',
] as const;
export type CtlVerb = (typeof CTL_VERBS)[number];

/** A verb's input: one JSON object (`{}` where the verb takes none). */
export type CtlInput = Record<string, unknown>;

/** How the agent reports a failure. */
export const CtlErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface CtlOptions extends RunOptions {
  /** Values (such as the pairing token) that must never appear in an error message. */
  secrets?: string[];
}

/**
 * Runs `twinlockctl <verb> --input -` with `input` on stdin and validates its JSON answer with `schema`.
 * An agent error (`{"error":{…}}` or a non-zero exit) becomes `script-failed` with the agent's message.
 */
export async function runCtl<S extends z.ZodType>(
  host: RemoteHost,
  verb: CtlVerb,
  input: CtlInput,
  schema: S,
  options: CtlOptions = {},
): Promise<z.output<S>> {
  const { secrets = [], ...runOptions } = options;
  const scrub = (text: string) => secrets.reduce((t, s) => (s ? t.split(s).join('[redacted]') : t), text);
  const raw = await host.runScript(
    'invoke-twinlockctl',
    { ctlPath: REMOTE_PATHS.ctlPath, verb: verb.split(' '), input },
    runOptions,
  );
  const run = parseScriptResult('invoke-twinlockctl', CtlRunSchema, raw, host.label);
  if (!run.installed) {
    const detail: AgentMissingDetail = { host: host.label, verb, missing: 'agent' };
    throw new TwinlockError({
      code: 'not-found',
      message: `The Twinlock agent is not installed on ${host.label}, so it cannot “${verb}”.`,
      hint: 'Install it first (the Install step, or twinlock install). A Level 1 pair needs no agent: Windows failover clustering protects it.',
      detail,
    });
  }
  const agentError = CtlErrorSchema.safeParse(run.output);
  if (agentError.success) {
    throw new TwinlockError({
      code: 'script-failed',
      message: `The Twinlock agent on ${host.label} refused “${verb}”: ${scrub(agentError.data.error.message)}`,
      hint: 'Fix what the agent reports, then try again.',
      detail: { host: host.label, verb, agentCode: agentError.data.error.code },
    });
  }
  if (run.exitCode !== 0) {
    throw new TwinlockError({
      code: 'script-failed',
      message: `The Twinlock agent on ${host.label} failed “${verb}” with exit code ${run.exitCode}.`,
      hint: 'Check that the agent service is running on that server (Install step), then try again.',
      detail: {
        host: host.label,
        verb,
        exitCode: run.exitCode,
        text: scrub(run.text ?? '').slice(-2000),
        stderr: scrub(run.stderr ?? '').slice(-2000),
      },
    });
  }
  const parsed = schema.safeParse(run.output);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TwinlockError({
      code: 'script-failed',
      message: `The Twinlock agent on ${host.label} answered “${verb}” with data Twinlock does not understand (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}).`,
      hint: 'The agent may be a version Twinlock does not support; install the agent package shipped with Twinlock.',
      detail: { host: host.label, verb },
    });
  }
  return parsed.data;
}
