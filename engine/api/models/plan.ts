/**
 * Plans: every change a pairing (or an unpairing) makes, before it is made. A plan lists the
 * steps per server in the order they run, each with the exact script and parameters, whether it
 * changes anything or restarts the server, and the step that undoes it. It records what each
 * server looked like when it was made (its basis); a plan whose servers changed since is refused.
 */
import { z } from 'zod';
import { DriftItemSchema } from './drift';
import { PairConfigSchema, PairPlanSchema } from './pair';

/** The script a step runs: its name in resources/scripts and the version in its header. */
export const ScriptRefSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
});
export type ScriptRef = z.infer<typeof ScriptRefSchema>;

/** What undoes a step: the script and parameters that take its change back. */
export const UndoStepSchema = z.object({
  title: z.string(),
  script: ScriptRefSchema,
  /** The exact parameters (`$P`); a secret made at apply time is shown as `<…>` in words. */
  params: z.record(z.string(), z.unknown()),
});
export type UndoStep = z.infer<typeof UndoStepSchema>;

export const PlanRoleSchema = z.enum(['primary', 'secondary']);
export type PlanRole = z.infer<typeof PlanRoleSchema>;

/** One step of a plan, on one server. */
export const PlanStepSchema = z.object({
  /** Stable within the plan, e.g. `primary/address/0`, `secondary/join`. */
  id: z.string().min(1),
  /** Which server runs it. */
  server: PlanRoleSchema,
  /** In plain words: "Give SLOT 3 Port 1 the address 172.30.0.1/30". */
  title: z.string(),
  script: ScriptRefSchema,
  /** The exact parameters the script receives (`$P`). Secrets made at apply time are `<…>` placeholders. */
  params: z.record(z.string(), z.unknown()),
  /** True when the step changes the server (false for checks and reads). */
  changes: z.boolean(),
  /** True when the step restarts the server. */
  restarts: z.boolean(),
  /** What takes this step back, or null when it changes nothing (or cannot be undone: then `changes` says why in the title). */
  undo: UndoStepSchema.nullable(),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

/** One server as the plan saw it. */
export const PlanServerSchema = z.object({
  role: PlanRoleSchema,
  computerName: z.string(),
  /** `address` and `port` as connected; the host key pinned for it. */
  address: z.string(),
  port: z.number().int(),
  fingerprint: z.string(),
  /**
   * What the plan depends on, as read when it was made: adapters (name, status, addresses),
   * VMs, the agent's version and the pair it is in. `basisHash` is the SHA-256 of its canonical JSON.
   */
  basis: z.record(z.string(), z.unknown()),
  basisHash: z.string(),
});
export type PlanServer = z.infer<typeof PlanServerSchema>;

export const PLAN_KINDS = ['pair', 'unpair'] as const;

/** A plan. `hash` is the SHA-256 (hex) of the canonical JSON of every other field. */
export const PlanSchema = z.object({
  format: z.literal('twinlock-plan/1'),
  kind: z.enum(PLAN_KINDS),
  /** ISO time it was made. */
  createdAt: z.string(),
  /** The pair it makes (for `unpair`: the pair it removes, as read). */
  pair: PairPlanSchema,
  servers: z.tuple([PlanServerSchema, PlanServerSchema]),
  steps: z.array(PlanStepSchema),
  /**
   * The exact text of every script a step (or its undo) runs, by name: what "Show script" shows,
   * and part of the hash, so a plan is applied with exactly the scripts it was made with.
   */
  scripts: z.record(z.string(), z.object({ version: z.string(), sha256: z.string(), text: z.string() })),
  totals: z.object({
    /** Steps that change each server. */
    changes: z.object({ primary: z.number().int(), secondary: z.number().int() }),
    /** Computer names of the servers a step restarts (empty: none). */
    restarts: z.array(z.string()),
  }),
  /** What the plan leaves as it is, and why (e.g. a link address the admin set, kept by an unpairing). */
  notes: z.array(z.string()).optional(),
  /**
   * Present when both servers already hold the pair: how they differ from the configuration, which
   * the steps bring back. Empty: the pair matches and the plan changes nothing.
   */
  corrects: z.array(DriftItemSchema).optional(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Plan = z.infer<typeof PlanSchema>;

/** `plan`: what to plan — a pairing by its configuration, or removing the pair from two servers. */
export const PlanRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pair'), config: PairConfigSchema }),
  z.object({
    kind: z.literal('unpair'),
    sessions: z.tuple([z.string().min(1), z.string().min(1)]),
    /** Level 1: also uninstall the Failover Clustering feature (kept by default). */
    removeFeature: z.boolean().default(false),
  }),
]);
export type PlanRequest = z.input<typeof PlanRequestSchema>;

/** `applyPlan`: runs exactly this plan (a job of kind `pair`); a stale plan is refused with `plan-stale`. */
export const ApplyPlanRequestSchema = z.object({
  plan: PlanSchema,
  /** Sessions of the plan's primary and secondary (the engine finds them by address when omitted). */
  sessions: z.tuple([z.string().min(1), z.string().min(1)]).optional(),
  /**
   * Level 1 with a cloud witness: the storage account's access key, used by the Set-ClusterQuorum
   * step and then forgotten (held in memory only, never in the plan, a journal, a log or a bundle;
   * the plan shows `<cloud witness access key>` in its place).
   */
  cloudWitnessKey: z.string().min(1, 'Enter the storage account’s access key.').max(200).optional(),
});
export type ApplyPlanRequest = z.infer<typeof ApplyPlanRequestSchema>;

/** One difference between a server as planned and as it is now (detail of `plan-stale`). */
export const PlanDriftSchema = z.object({
  server: z.string(),
  /** What changed, e.g. `adapter SLOT 3 Port 1`, `VM SQL01`, `agent`. */
  what: z.string(),
  planned: z.string(),
  now: z.string(),
});
export type PlanDrift = z.infer<typeof PlanDriftSchema>;
