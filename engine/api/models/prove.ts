/**
 * What proves a pair: link measurements made by Twinlock's own scripts, the witness checked from
 * both servers, failover drills measured from outside, and the protection report.
 */
import { z } from 'zod';
import { DRILL_KINDS } from '../rules';
import { SyncLinkSchema, WitnessSchema } from './pair';
import { ProtectionLevelSchema } from './verify';

/** `measureLinks`: measures each proposed link from both servers before pairing. */
export const MeasureLinksRequestSchema = z.object({
  primary: z.string().min(1),
  secondary: z.string().min(1),
  links: z.array(SyncLinkSchema).min(1, 'At least one sync link is needed.'),
  /** The level the links are judged against. */
  level: ProtectionLevelSchema,
  /** Seconds of traffic per link and direction (the default suits a quick check). */
  seconds: z.number().min(0.2).max(30).default(1),
});
export type MeasureLinksRequest = z.infer<typeof MeasureLinksRequestSchema>;

/** One direction of one link, as the sender measured it. */
export const LinkDirectionSchema = z.object({
  /** Computer name of the sender. */
  from: z.string(),
  to: z.string(),
  /** False when nothing came back (no cable, adapter down, address unreachable). */
  reached: z.boolean(),
  /** Median round trip, milliseconds. */
  rttMs: z.number().nullable(),
  /** Throughput, Mbit/s. */
  mbps: z.number().nullable(),
  /** Probes lost, percent. */
  lossPct: z.number().nullable(),
  /** Why nothing came back, in words (absent or null when reached). */
  reason: z.string().nullable().optional(),
});

/** A link's figures and what they mean for the level. */
export const LinkMeasurementSchema = z.object({
  link: SyncLinkSchema,
  directions: z.tuple([LinkDirectionSchema, LinkDirectionSchema]),
  /** `ok`, `warning` (below what the level wants: slow, high round trip, loss), `blocker` (dead). */
  verdict: z.enum(['ok', 'warning', 'blocker']),
  /** Why, in words, with the figures and what the level wants; empty when ok. */
  reasons: z.array(z.string()),
});
export type LinkMeasurement = z.infer<typeof LinkMeasurementSchema>;

export const LinkMeasurementsSchema = z.object({
  level: ProtectionLevelSchema,
  measuredAt: z.string(),
  links: z.array(LinkMeasurementSchema),
  /** The worst verdict of any link. */
  verdict: z.enum(['ok', 'warning', 'blocker']),
});
export type LinkMeasurements = z.infer<typeof LinkMeasurementsSchema>;

/** `checkWitness`: reaches the witness from both servers (its port; a share written and read back). */
export const CheckWitnessRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  witness: WitnessSchema,
});
export type CheckWitnessRequest = z.infer<typeof CheckWitnessRequestSchema>;

export const WitnessCheckSchema = z.object({
  witness: WitnessSchema,
  /** One per server, primary first. */
  from: z.array(
    z.object({
      computerName: z.string(),
      ok: z.boolean(),
      /** What was tried and what happened, in words ("TCP 445 reached in 1 ms; wrote and read back 64 bytes"). */
      message: z.string(),
      rttMs: z.number().nullable(),
    }),
  ),
  ok: z.boolean(),
});
export type WitnessCheck = z.infer<typeof WitnessCheckSchema>;

// The kinds live in rules.ts, so that the command line lists them without loading a schema.
export { DRILL_KINDS };
export const DrillKindSchema = z.enum(DRILL_KINDS);
export type DrillKind = z.infer<typeof DrillKindSchema>;

/** `drill`: a failover drill (a job of kind `drill`). */
export const DrillRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  kind: DrillKindSchema,
  /** A TCP port of a VM's service to watch from outside, by VM name (its address from Hyper-V). */
  watchPorts: z.record(z.string(), z.number().int().min(1).max(65535)).default({}),
});
export type DrillRequest = z.infer<typeof DrillRequestSchema>;

export const DrillEventSchema = z.object({
  /** Milliseconds from the start of the drill. */
  atMs: z.number(),
  /** `failed-over`, `resynchronising`, `protected`, or what the agent said. */
  state: z.string(),
  /** Computer name it happened on. */
  node: z.string(),
  message: z.string(),
});

export const DrillResultSchema = z.object({
  kind: DrillKindSchema,
  level: ProtectionLevelSchema,
  result: z.enum(['passed', 'failed']),
  /** Why it failed, in words (null when passed). */
  reason: z.string().nullable(),
  /** Longest time any protected VM was unreachable, as Twinlock measured from outside. */
  measuredDowntimeMs: z.number(),
  /** What the agent reported. */
  agentDowntimeMs: z.number().nullable(),
  /** How often Twinlock looked, milliseconds. */
  sampleIntervalMs: z.number(),
  /**
   * How many of the servers' milliseconds passed per real millisecond, read from the agent's own
   * times (1 on real servers; the lab's accelerated clock reads more). Measured figures are real
   * time; multiplied by this they are the servers' time.
   */
  serverTimeScale: z.number().default(1),
  /** Per VM: downtime measured and how it was watched. */
  vms: z.array(z.object({ name: z.string(), downtimeMs: z.number(), watched: z.string() })),
  timeline: z.array(DrillEventSchema),
  startedAt: z.string(),
  elapsedMs: z.number(),
  /** The pair's state at the end (must be `protected` for a pass). */
  finalState: z.string(),
  /**
   * A Level 1 pair's failover cluster, by name, when the drill ran on it (no agent): then
   * `agentDowntimeMs` is the time from stopping the primary's cluster service until Twinlock read
   * every VM role online on the other node.
   */
  cluster: z.string().optional(),
});
export type DrillResult = z.infer<typeof DrillResultSchema>;

/** The steps a drill job reports per server. */
export const DrillProgressStepSchema = z.enum([
  'waiting',
  'check',
  'failing-over',
  'failed-over',
  'resynchronising',
  'protected',
  'failed',
]);

/** `exportProtectionReport`: the proof document (verification summary, applied plan, links, drill, times). */
export const ExportProtectionReportRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  format: z.enum(['html', 'pdf']),
  /** Where to write it (the engine's reports folder when omitted; a browser gets the content). */
  path: z.string().min(1).optional(),
});
export type ExportProtectionReportRequest = z.infer<typeof ExportProtectionReportRequestSchema>;

export const ExportProtectionReportResultSchema = z.object({
  path: z.string(),
  format: z.enum(['html', 'pdf']),
  bytes: z.number(),
  /** Base64 of the file, for a browser to download. */
  contentBase64: z.string(),
});
