/**
 * Long operations (anything over a second) run as jobs: the call returns a {@link JobRef} at once,
 * progress arrives as `job` events carrying a whole {@link JobSnapshot}, and `waitJob` returns the
 * final snapshot.
 */
import { z } from 'zod';
import {
  PairOutcomeSchema,
  DiscoveredHostSchema,
  ErrorDataSchema,
  FixProgressStepSchema,
  FixResultSchema,
  InstallOutcomeSchema,
  InstallProgressStepSchema,
  PairProgressStepSchema,
  ScanProgressStepSchema,
  DrillProgressStepSchema,
  DrillResultSchema,
  FleetOutcomeSchema,
  FleetProgressStepSchema,
} from './models';

export const JobKindSchema = z.enum(['scan', 'install', 'pair', 'fix', 'drill', 'fleet']);
export type JobKind = z.infer<typeof JobKindSchema>;

export const JobStateSchema = z.enum(['running', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobStateSchema>;

/** The steps each kind of job reports for its servers: a closed list per kind. */
export const JOB_STEPS = {
  scan: ScanProgressStepSchema,
  install: InstallProgressStepSchema,
  pair: PairProgressStepSchema,
  fix: FixProgressStepSchema,
  drill: DrillProgressStepSchema,
  fleet: FleetProgressStepSchema,
} as const satisfies Record<JobKind, z.ZodEnum>;

/** Progress of one host inside a job whose steps are `step` (install and pair run both hosts side by side). */
function hostProgressOf<S extends z.ZodEnum>(step: S) {
  return z.object({
    /** Label of the host (computer name or address). */
    label: z.string(),
    state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
    /** Current step, one of the job kind's (see {@link JOB_STEPS}). */
    step,
    /** 0..100 for this host. */
    percent: z.number(),
    /** One line for the admin. */
    message: z.string(),
    /** Bytes sent so far and in all, during an upload. */
    bytesDone: z.number().optional(),
    bytesTotal: z.number().optional(),
    /** Upload rate in bytes per second. */
    rateBps: z.number().optional(),
    /** Seconds the upload should still take at the current rate. */
    etaSeconds: z.number().optional(),
    /** Last lines of a log, shown on failure. */
    logTail: z.array(z.string()).optional(),
  });
}

/** Progress of one host inside a job of any kind. */
export const HostProgressSchema = hostProgressOf(
  z.enum([
    ...ScanProgressStepSchema.options,
    ...InstallProgressStepSchema.options,
    ...PairProgressStepSchema.options,
    ...FixProgressStepSchema.options,
    ...DrillProgressStepSchema.options,
    ...FleetProgressStepSchema.options,
  ]),
);
export type HostProgress = z.infer<typeof HostProgressSchema>;
/** Progress of one host inside a job of kind `K`: its step is one of that kind's. */
export type HostProgressOf<K extends JobKind> = Omit<HostProgress, 'step'> & {
  step: z.infer<(typeof JOB_STEPS)[K]>;
};
/** The step every job's hosts start in (declared in rules.ts, which the job runner reads alone). */
export { WAITING_STEP } from './rules';

/** A scan's progress in numbers. */
export const ScanCountsSchema = z.object({ probed: z.number(), total: z.number(), found: z.number() });
export type ScanCounts = z.infer<typeof ScanCountsSchema>;

const jobBase = {
  id: z.string(),
  state: JobStateSchema,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** 0..100 overall. */
  percent: z.number(),
  /** One line for the admin: what is happening now. */
  message: z.string(),
  error: ErrorDataSchema.nullable(),
};

/** Per-host progress keyed by session id (empty for scans). */
const hostsOf = <K extends JobKind>(kind: K) => z.record(z.string(), hostProgressOf(JOB_STEPS[kind]));

export const JobSnapshotSchema = z.discriminatedUnion('kind', [
  z.object({
    ...jobBase,
    kind: z.literal('scan'),
    hosts: hostsOf('scan'),
    /** Hosts found so far; complete once the job is done. */
    result: z.array(DiscoveredHostSchema),
    /** Targets probed so far, in all, and hosts found (absent before the first count). */
    counts: ScanCountsSchema.optional(),
  }),
  z.object({
    ...jobBase,
    kind: z.literal('install'),
    hosts: hostsOf('install'),
    result: z.array(InstallOutcomeSchema).nullable(),
  }),
  z.object({
    ...jobBase,
    kind: z.literal('pair'),
    hosts: hostsOf('pair'),
    result: PairOutcomeSchema.nullable(),
  }),
  /** A fix on one server: the script, the restart it may need, and the verification after it. */
  z.object({ ...jobBase, kind: z.literal('fix'), hosts: hostsOf('fix'), result: FixResultSchema.nullable() }),
  /** A failover drill: the pair failed over and back, watched from outside. */
  z.object({
    ...jobBase,
    kind: z.literal('drill'),
    hosts: hostsOf('drill'),
    result: DrillResultSchema.nullable(),
  }),
  /** A fleet run: one entry in `hosts` per pair, keyed by the pair's name. */
  z.object({
    ...jobBase,
    kind: z.literal('fleet'),
    hosts: hostsOf('fleet'),
    result: FleetOutcomeSchema.nullable(),
  }),
]);
export type JobSnapshot = z.infer<typeof JobSnapshotSchema>;
export type JobSnapshotOf<K extends JobKind> = Extract<JobSnapshot, { kind: K }>;

export const JobRefSchema = z.object({ jobId: z.string(), kind: JobKindSchema });
export type JobRef = z.infer<typeof JobRefSchema>;

/** Events pushed to every client. */
export const ApiEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobSnapshotSchema }),
  z.object({
    type: z.literal('log'),
    level: z.enum(['info', 'warn', 'error']),
    message: z.string(),
    at: z.string(),
  }),
]);
export type ApiEvent = z.infer<typeof ApiEventSchema>;
