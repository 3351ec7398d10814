/** Verification: the two inventories held to a protection level, and the fixes for what falls short. */
import { z } from 'zod';
import { FIX_IDS } from '../fix-ids';
import { ClusterConfigSchema, ClusterPrereqsResultSchema, ClusterValidationSchema } from './cluster';
import { HostInventorySchema } from './inventory';

export const ProtectionLevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3)]);
/** 1 failover clustering, 2 component-level fault tolerance, 3 system-level lockstep. */
export type ProtectionLevel = z.infer<typeof ProtectionLevelSchema>;

export const SeveritySchema = z.enum(['pass', 'warning', 'blocker']);
export type Severity = z.infer<typeof SeveritySchema>;

/** One rule's outcome over the two inventories. */
export const FindingSchema = z.object({
  /** Stable rule id, e.g. `cpu.model`. */
  ruleId: z.string(),
  category: z.string(),
  /** Short title, e.g. `Processor model`. */
  title: z.string(),
  severity: SeveritySchema,
  /** What each host has, as shown side by side. */
  values: z.tuple([z.string(), z.string()]),
  /** Why this matters, in one sentence. */
  reason: z.string(),
  /** What to do about it (empty on pass). */
  remedy: z.string(),
  /** "Why this must match": what the term means and why both servers need it alike, for a non-specialist. */
  explain: z.string().default(''),
  /** The fix Twinlock can run for it (see `previewFix`), or null. */
  fixId: z.string().nullable().default(null),
  /** Which servers the fix applies to: 0 the first, 1 the second. */
  fixOn: z.array(z.number().int().min(0).max(1)).default([]),
});
export type Finding = z.infer<typeof FindingSchema>;

export const VerifyRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  level: ProtectionLevelSchema.default(3),
  /**
   * Level 1: the cluster the pair will make, when known, so its name and address are checked
   * (taken in the directory, answering on the network); unchecked until the plan when absent.
   */
  cluster: ClusterConfigSchema.optional(),
  /** Level 1: also run Windows' Test-Cluster on both servers (a minute or more) and add its results. */
  testCluster: z.boolean().default(true),
});
export type VerifyRequest = z.input<typeof VerifyRequestSchema>;

export const VerifyReportSchema = z.object({
  level: ProtectionLevelSchema,
  /** `ready`, or `blocked` when any finding is a blocker. */
  outcome: z.enum(['ready', 'warnings', 'blocked']),
  /** One line for the banner, e.g. `Ready for Level 3` or `Not ready: 2 blockers`. */
  verdict: z.string(),
  hosts: z.tuple([HostInventorySchema, HostInventorySchema]),
  findings: z.array(FindingSchema),
  ranAt: z.string(),
  /** Blockers the same servers have at Level 1, 2 and 3. */
  blockersByLevel: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
  /** `address:port` of each server, as connected. */
  targets: z.array(z.string()).default([]),
  /** Level 1: the cluster checked (as asked for), or null when none was named yet. */
  cluster: ClusterConfigSchema.nullable().optional(),
  /** Level 1: what each server reported for the cluster's prerequisites (test-cluster-prereqs). */
  clusterPrereqs: z.tuple([ClusterPrereqsResultSchema, ClusterPrereqsResultSchema]).optional(),
  /**
   * Level 1: Windows' Test-Cluster results, per category and test, with Windows' own text; null
   * when it could not run (a blocker says why) or was not asked for.
   */
  clusterValidation: ClusterValidationSchema.nullable().optional(),
});
export type VerifyReport = z.infer<typeof VerifyReportSchema>;

/** The fixes Twinlock can run on a server for a finding. */
export const FixIdSchema = z.enum(FIX_IDS);
export type FixId = z.infer<typeof FixIdSchema>;

export const FixRequestSchema = z.object({
  sessionId: z.string().min(1),
  fixId: FixIdSchema,
});
export type FixRequest = z.infer<typeof FixRequestSchema>;

/** What a fix will do, before it runs. */
export const FixPreviewSchema = z.object({
  fixId: FixIdSchema,
  computerName: z.string(),
  /** One sentence: what changes on the server. */
  description: z.string(),
  /** The remote script's name and exact text. */
  scriptName: z.string(),
  script: z.string(),
  /** The parameters it receives as `$P`. */
  params: z.record(z.string(), z.unknown()),
  /** The server restarts afterwards (Twinlock waits for it to come back). */
  needsReboot: z.boolean(),
});
export type FixPreview = z.infer<typeof FixPreviewSchema>;

export const ApplyFixRequestSchema = FixRequestSchema.extend({
  /** Level to verify at afterwards; the last verification's when absent. */
  level: ProtectionLevelSchema.optional(),
});
export type ApplyFixRequest = z.input<typeof ApplyFixRequestSchema>;

/** What a fix did, and the verification that followed. */
export const FixResultSchema = z.object({
  fixId: FixIdSchema,
  computerName: z.string(),
  /** One sentence for the admin. */
  message: z.string(),
  /** The server restarted and came back. */
  rebooted: z.boolean(),
  elapsedMs: z.number(),
  /** The pair verified again, or null when this server was never verified with a peer. */
  report: VerifyReportSchema.nullable(),
});
export type FixResult = z.infer<typeof FixResultSchema>;

/** The step a fix job reports for its server (`HostProgress.step`): `waiting` to start, then `fix`. */
export const FixProgressStepSchema = z.enum(['waiting', 'fix']);
export type FixProgressStep = z.infer<typeof FixProgressStepSchema>;

export const ReportFormatSchema = z.enum(['json', 'html', 'pdf']);
export type ReportFormat = z.infer<typeof ReportFormatSchema>;

export const ExportReportRequestSchema = z.object({
  report: VerifyReportSchema,
  format: ReportFormatSchema,
  /** Where to write; the data folder's reports/ when absent. */
  path: z.string().optional(),
  /** Also return the file's bytes (base64), for a browser to download or a desktop to save elsewhere. */
  includeContent: z.boolean().default(false),
});
export type ExportReportRequest = z.input<typeof ExportReportRequestSchema>;

export const ExportReportResultSchema = z.object({
  path: z.string(),
  format: ReportFormatSchema,
  bytes: z.number(),
  /** The file's bytes in base64, when asked for (`includeContent`). */
  contentBase64: z.string().optional(),
});
export type ExportReportResult = z.infer<typeof ExportReportResultSchema>;
