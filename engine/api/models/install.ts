/** Agent install: putting the lockstep agent on both servers, resuming it, rolling it back. */
import { z } from 'zod';
import { THUMBPRINT, THUMBPRINT_MESSAGE } from '../rules';
import { PairPlanSchema } from './pair';
import { ProtectionLevelSchema } from './verify';

export const InstallRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  /**
   * The level the servers will be paired at. Level 1 installs Windows' Failover Clustering feature
   * and its tools (Install-WindowsFeature Failover-Clustering -IncludeManagementTools) instead of
   * the agent; the package options below then do not apply.
   */
  level: ProtectionLevelSchema.default(3),
  /** Folder holding agent-manifest.json and the MSI; the bundled package when absent. */
  packageDir: z.string().optional(),
  /**
   * A configuration bundle whose agent (version and SHA-256) the package must be: the package is
   * taken from the `agent/` folder next to the bundle, else `packageDir`, else the bundled one.
   */
  bundlePath: z.string().optional(),
  /** Restart a server when msiexec asks for it (3010), wait for it to come back, and finish. */
  allowReboot: z.boolean().default(false),
  /** Install even over a newer agent (a downgrade). */
  force: z.boolean().default(false),
  /**
   * The thumbprint of the package's publisher, as the admin compared and confirmed it: pinned when
   * it is the package's (first use). Without it, a publisher not yet trusted stops with `publisher-untrusted`.
   */
  trustPublisher: z.string().regex(THUMBPRINT, THUMBPRINT_MESSAGE).optional(),
});
export type InstallRequest = z.input<typeof InstallRequestSchema>;

/** An install or a pairing interrupted by a crash or a closed window, from its journal on disk. */
export const ResumableJobSchema = z.object({
  jobId: z.string(),
  /** `install` (the agent) or `apply` (a pairing). */
  kind: z.enum(['install', 'pair']),
  startedAt: z.string(),
  /** When the journal was last written. */
  updatedAt: z.string(),
  /** The agent version being installed (for a pairing: the version on the primary, at Level 1 `Failover Clustering`; a Level 1 install: `Failover Clustering`). */
  version: z.string(),
  /** The level an install is for: 1 enables Failover Clustering instead of installing the agent. */
  level: ProtectionLevelSchema.optional(),
  /** The pair being made (pairings only). */
  pair: PairPlanSchema.optional(),
  hosts: z.array(
    z.object({
      computerName: z.string(),
      address: z.string(),
      port: z.number().int(),
      username: z.string(),
      /** Steps already completed on this server (install: `upload`, `verify`, `msiexec`, `reboot`, `health`, at Level 1 `feature`, `reboot`, `health`; pairing: `links`, `create`, `join`, `protect`…). */
      completed: z.array(z.string()),
    }),
  ),
  /** True when no open session can be reused: `resumeJob` then needs the password again. */
  needsPassword: z.boolean(),
});
export type ResumableJob = z.infer<typeof ResumableJobSchema>;

export const ResumeJobRequestSchema = z.object({
  jobId: z.string().min(1),
  /** The servers' password, when their sessions have to be opened again (held in memory only). */
  password: z.string().min(1).optional(),
  /** Or the private key (and its passphrase) to open them with. */
  privateKey: z.string().min(1).max(65_536).optional(),
  passphrase: z.string().min(1).optional(),
  /**
   * A Level 1 pairing that has still to give its cluster a cloud witness: the storage account's
   * access key, given again (held in memory only; Twinlock never stores it).
   */
  cloudWitnessKey: z.string().min(1, 'Enter the storage account’s access key.').max(200).optional(),
});
export type ResumeJobRequest = z.input<typeof ResumeJobRequestSchema>;

/** The admin's Roll back of one server's installation. */
export const RollbackRequestSchema = z.object({
  sessionId: z.string().min(1),
  /**
   * The level that was installed: 3 (and 2) remove the agent; 1 removes Failover Clustering where
   * a Twinlock installation added it (Uninstall-WindowsFeature Failover-Clustering
   * -IncludeManagementTools), never where it was there before.
   */
  level: ProtectionLevelSchema.default(3),
  /** Level 1: restart the server when Windows needs it to finish removing the feature, and wait for it. */
  allowReboot: z.boolean().default(false),
});
export type RollbackRequest = z.input<typeof RollbackRequestSchema>;

/** What a Roll back did on one server. */
export const RollbackOutcomeSchema = z.object({
  computerName: z.string(),
  /** What was rolled back: the agent (Levels 2 and 3) or Failover Clustering (Level 1). */
  component: z.enum(['agent', 'failover-clustering']).default('agent'),
  /** The agent version removed, or null when none was installed (Level 1: `Failover-Clustering` when the feature was removed, else null). */
  removedVersion: z.string().nullable(),
  /** Level 1: the features Windows removed (Failover-Clustering and its tools). */
  removedFeatures: z.array(z.string()).optional(),
  /** Level 1: the server must still restart to finish removing the feature. */
  rebootRequired: z.boolean().optional(),
  /** Level 1: Twinlock restarted the server to finish the removal and saw it come back. */
  rebooted: z.boolean().optional(),
  /** Firewall rules and uploaded files removed. */
  removedRules: z.number(),
  removedFiles: z.array(z.string()),
  /** One line for the admin. */
  message: z.string(),
});
export type RollbackOutcome = z.infer<typeof RollbackOutcomeSchema>;

/** What happened on one host. */
export const InstallOutcomeSchema = z.object({
  sessionId: z.string(),
  computerName: z.string(),
  /** What was installed: the lockstep agent (Levels 2 and 3) or Windows' Failover Clustering feature (Level 1). */
  component: z.enum(['agent', 'failover-clustering']).default('agent'),
  /** `installed`, `upgraded`, `already-installed`. */
  action: z.enum(['installed', 'upgraded', 'already-installed']),
  /**
   * The agent's version; for Failover Clustering, which has no version of its own but ships with
   * Windows, the Windows build it runs on (`<build>.<UBR>`, e.g. `20348.2340`).
   */
  version: z.string(),
  /** msiexec exit code (0 when nothing ran, and at Level 1, where Windows answers in words: see `note`). */
  exitCode: z.number(),
  rebootRequired: z.boolean(),
  /** True when Twinlock restarted the server and saw it come back. */
  rebooted: z.boolean().optional(),
  /** A remark for the admin (e.g. why nothing was done). */
  note: z.string().optional(),
});
export type InstallOutcome = z.infer<typeof InstallOutcomeSchema>;

/**
 * The step an install job reports for a server (`HostProgress.step`): `waiting` to start, then
 * `check` what is installed, `upload` the package, `verify` its hash and signature, `msiexec`
 * (Level 1: `feature`, Install-WindowsFeature),
 * `reboot` when the server restarts, `health` of the service; `reboot-required` when it is
 * installed but must still restart to finish (and Twinlock was not allowed to).
 */
export const InstallProgressStepSchema = z.enum([
  'waiting',
  'check',
  'upload',
  'verify',
  'msiexec',
  'feature',
  'reboot',
  'reboot-required',
  'health',
]);
export type InstallProgressStep = z.infer<typeof InstallProgressStepSchema>;
