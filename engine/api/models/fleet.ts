/**
 * Fleets: many pairs replayed from one bundle. A fleet file (YAML or CSV) lists the pairs, each
 * two servers and its own values (name, VMs, sync-link addresses); the bundle gives what they
 * share. A fleet run applies (or checks for drift) every pair, several at once, each with its own
 * journal, so one pair's failure never stops or changes another and a stopped run resumes each pair
 * where it stopped.
 */
import { z } from 'zod';
import { ClusterConfigSchema } from './cluster';
import { ErrorDataSchema } from './errors';
import { DriftItemSchema, LinkAddressesSchema } from './drift';
import { KeyFingerprintSchema } from './trust';
import { VmNameSchema } from './values';

/** One server of a fleet's pair, as the fleet file gives it. */
export const FleetHostSchema = z.object({
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** The host key's `SHA256:…` fingerprint, when the fleet file pins it. */
  fingerprint: z.string().optional(),
});
export type FleetHost = z.infer<typeof FleetHostSchema>;

/** One pair of a fleet. */
export const FleetPairSchema = z.object({
  name: z.string().min(1),
  primary: FleetHostSchema,
  secondary: FleetHostSchema,
  /** The VMs to protect; the bundle's when absent. */
  vms: z.array(VmNameSchema).optional(),
  /** Sync-link addresses, link by link; proposed from the servers when absent. */
  linkAddresses: z.array(LinkAddressesSchema).optional(),
  /**
   * Level 1: the pair's own failover cluster (fleet file `cluster_name` and `cluster_address`):
   * required when the bundle is Level 1, refused at Levels 2 and 3.
   */
  cluster: ClusterConfigSchema.optional(),
  /** The line of the fleet file it was read from (for messages). */
  line: z.number().int().optional(),
});
export type FleetPair = z.infer<typeof FleetPairSchema>;

/** A fleet file, read and checked. */
export const FleetSchema = z.object({
  /** Where it was read from (a path, or the name given with its text). */
  source: z.string(),
  /** The bundle every pair replays (absolute path), when the file names one (YAML `bundle:`). */
  bundle: z.string().nullable(),
  /** The administrator account, when the file names one. */
  user: z.string().optional(),
  pairs: z.array(FleetPairSchema).min(1),
});
export type Fleet = z.infer<typeof FleetSchema>;

export const FLEET_FORMATS = ['yaml', 'csv'] as const;

/** `parseFleet`: a fleet file by path (YAML by .yaml/.yml, CSV by .csv), or its text and format. */
export const FleetSourceSchema = z.union([
  z.object({ path: z.string().trim().min(1, 'Give the path of a fleet file (fleet.yaml or fleet.csv).') }),
  z.object({
    text: z.string().min(1, 'The fleet file is empty.'),
    format: z.enum(FLEET_FORMATS),
    /** The file's name, for messages. */
    name: z.string().optional(),
    /** Folder a relative `bundle:` is resolved against. */
    baseDir: z.string().optional(),
  }),
]);
export type FleetSource = z.input<typeof FleetSourceSchema>;

/** The steps a fleet run reports for each pair. */
export const FleetProgressStepSchema = z.enum([
  'waiting',
  'connect',
  'check',
  'verify',
  'install',
  'plan',
  'pair',
  'drift',
  'done',
]);
export type FleetProgressStep = z.infer<typeof FleetProgressStepSchema>;

/** Credentials every pair's servers are reached with (held in memory only, never journalled). */
export const FleetCredentialsSchema = z
  .object({
    username: z.string().min(1, 'Enter the administrator account’s user name.'),
    password: z.string().min(1).optional(),
    privateKey: z.string().min(1).max(65_536).optional(),
    passphrase: z.string().min(1).optional(),
  })
  .refine((c) => c.password !== undefined || c.privateKey !== undefined, {
    path: ['password'],
    message: 'Give the servers’ password, or a private key.',
  });

/** `fleet`: run a fleet (a job of kind `fleet`). */
export const FleetRunRequestSchema = z.object({
  /** `apply`: every pair brought to its bundle; `drift`: every pair compared, nothing changed. */
  mode: z.enum(['apply', 'drift']),
  fleet: FleetSchema,
  /** The bundle, when the fleet file names none (or to use another). */
  bundle: z.string().min(1).optional(),
  /** How many pairs run at once. */
  parallel: z.number().int().min(1).max(64).default(4),
  credentials: FleetCredentialsSchema,
  /** Pin the host key of a server seen for the first time (else the fleet file's fingerprint must match). */
  trustNew: z.boolean().optional(),
  /**
   * Host keys to accept for servers seen for the first time whose fleet file pins none (the
   * command line's repeatable --fingerprint); a server the file pins is held to the file's.
   */
  fingerprints: z.array(KeyFingerprintSchema).optional(),
  /** With `apply`: plan each pair and report, change nothing. */
  check: z.boolean().optional(),
  /** Agent package folder, when not the bundle's or the shipped one. */
  packageDir: z.string().optional(),
  /** Trust the package's publisher on first use, after comparing its thumbprint. */
  trustPublisher: z.string().optional(),
  /** Ignore what an earlier run of this fleet finished: every pair from the start. */
  restart: z.boolean().optional(),
  /** Connect timeout per server, in milliseconds. */
  timeoutMs: z.number().int().min(500).max(120_000).optional(),
  /**
   * Level 1 with a cloud witness: the storage account's access key every pair's quorum is set
   * with. Held in memory for the run only: never in the fleet file, its journal, a log or a bundle.
   */
  cloudWitnessKey: z.string().min(1, 'Enter the storage account’s access key.').max(200).optional(),
});
export type FleetRunRequest = z.input<typeof FleetRunRequestSchema>;

export const FLEET_RESULTS = ['protected', 'unchanged', 'matches', 'drift', 'planned', 'failed'] as const;

/** How one pair of a fleet run ended. */
export const FleetPairOutcomeSchema = z.object({
  name: z.string(),
  /** Computer names (or addresses when never reached), primary then secondary. */
  servers: z.tuple([z.string(), z.string()]),
  /**
   * `protected`: changed and protected; `unchanged`: already matched, nothing done; `matches`/`drift`:
   * a drift check's verdict; `planned`: `--check` planned changes; `failed`: see `error`.
   */
  result: z.enum(FLEET_RESULTS),
  /** True when the run changed either server. */
  changed: z.boolean(),
  /** The step it failed in, when it failed. */
  failedStep: FleetProgressStepSchema.optional(),
  error: ErrorDataSchema.optional(),
  /** Steps an earlier run had finished, not run again. */
  resumed: z.array(FleetProgressStepSchema),
  /** Differences found (drift, or what `--check` would change). */
  differences: z.array(DriftItemSchema).optional(),
  elapsedMs: z.number(),
});
export type FleetPairOutcome = z.infer<typeof FleetPairOutcomeSchema>;

/** What a fleet run answers. */
export const FleetOutcomeSchema = z.object({
  mode: z.enum(['apply', 'drift']),
  pairs: z.array(FleetPairOutcomeSchema),
  /** Pairs per result. */
  counts: z.record(z.string(), z.number().int()),
  elapsedMs: z.number(),
  /** Where the run's journal is (what a second run resumes from). */
  journal: z.string(),
});
export type FleetOutcome = z.infer<typeof FleetOutcomeSchema>;

/** `exportAnsible`: an inventory and a playbook for an automation controller. */
export const ExportAnsibleRequestSchema = z.object({
  fleet: FleetSchema,
  /** The bundle, when the fleet file names none. */
  bundle: z.string().min(1).optional(),
  /** The folder to write (created; existing Twinlock files in it are replaced). */
  outDir: z.string().trim().min(1, 'Give the folder to write, for example --out ansible/.'),
  /** Ansible forks (pairs at once); 10 when absent. */
  forks: z.number().int().min(1).max(500).optional(),
});
export type ExportAnsibleRequest = z.input<typeof ExportAnsibleRequestSchema>;

export const ExportAnsibleResultSchema = z.object({
  dir: z.string(),
  /** Files written, relative to `dir`. */
  files: z.array(z.string()),
});
export type ExportAnsibleResult = z.infer<typeof ExportAnsibleResultSchema>;
