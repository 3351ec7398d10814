/**
 * The contract: every method the shells may call, with its input and output schemas, and the
 * events they receive. Electron's IPC binding, the HTTP/WS server, the renderer's client and the
 * CLI all derive their types from this one map — never a hand-copied signature.
 */
import { z } from 'zod';
import { EmptySchema, hostMethods } from './contract-hosts';
import { ApiEventSchema, JobRefSchema, JobSnapshotSchema } from './jobs';
import type { ApiEvent } from './jobs';
import {
  AgentStatusSchema,
  ApplyFixRequestSchema,
  BundleSchema,
  ExportBundleRequestSchema,
  ExportBundleResultSchema,
  ExportReportRequestSchema,
  ExportReportResultSchema,
  FixPreviewSchema,
  FixRequestSchema,
  HostInventorySchema,
  InstallRequestSchema,
  PairConfigSchema,
  PairProposalSchema,
  BundlePlanSchema,
  PreflightBundleRequestSchema,
  ProposePairRequestSchema,
  ResumableJobSchema,
  ResumeJobRequestSchema,
  RollbackOutcomeSchema,
  RollbackRequestSchema,
  ScanRequestSchema,
  SessionRefSchema,
  UnpairOutcomeSchema,
  UnpairRequestSchema,
  VerifyReportSchema,
  VerifyRequestSchema,
  PlanRequestSchema,
  PlanSchema,
  ApplyPlanRequestSchema,
  MeasureLinksRequestSchema,
  LinkMeasurementsSchema,
  CheckWitnessRequestSchema,
  WitnessCheckSchema,
  DrillRequestSchema,
  ExportProtectionReportRequestSchema,
  ExportProtectionReportResultSchema,
  DriftRequestSchema,
  SaveWizardDraftRequestSchema,
  WizardDraftSchema,
  DriftReportSchema,
  FleetSourceSchema,
  FleetSchema,
  FleetRunRequestSchema,
  ExportAnsibleRequestSchema,
  ExportAnsibleResultSchema,
} from './models';
import {
  AgentPackageInfoSchema,
  BundleSourceSchema,
  ExportPublicKeyResultSchema,
  KeyFingerprintSchema,
  PackageRefSchema,
  ThumbprintSchema,
  TrustKeyRequestSchema,
  TrustPublisherRequestSchema,
  TrustedKeyEntrySchema,
  TrustedPublisherEntrySchema,
} from './models';

const JobIdSchema = z.object({ jobId: z.string().min(1) });

/** Every method of the engine, by name. */
export const methods = {
  // Servers, sessions and pinned host keys (contract-hosts.ts: the engine checks these alone).
  ...hostMethods,
  /** Scans targets for Windows servers (a job of kind `scan`). */
  scan: { input: ScanRequestSchema, output: JobRefSchema },
  /** Reads one server's inventory. */
  inventory: { input: SessionRefSchema, output: HostInventorySchema },
  /**
   * Inventories both servers and compares them for a protection level. At Level 1 it also reads
   * the cluster's prerequisites on both (test-cluster-prereqs) and runs Windows' Test-Cluster from
   * the first (a minute or more on real servers) unless `testCluster` is false.
   */
  verify: { input: VerifyRequestSchema, output: VerifyReportSchema },
  /** Shows what a finding's fix will run on one server (script text, parameters, restart). */
  previewFix: { input: FixRequestSchema, output: FixPreviewSchema },
  /** Runs a fix on one server, waits for a restart when it needs one, and verifies the pair again (a job of kind `fix`). */
  applyFix: { input: ApplyFixRequestSchema, output: JobRefSchema },
  /** Writes a verification report as JSON, HTML or PDF. */
  exportReport: { input: ExportReportRequestSchema, output: ExportReportResultSchema },
  /** Installs the agent on both servers, or at Level 1 enables Failover Clustering on both (a job of kind `install`). */
  install: { input: InstallRequestSchema, output: JobRefSchema },
  /**
   * Removes the agent, its firewall rules and the uploaded package from one server (Roll back);
   * at Level 1, removes Failover Clustering where a Twinlock installation added it.
   */
  rollback: { input: RollbackRequestSchema, output: RollbackOutcomeSchema },
  /** Installs and pairings interrupted by a crash or a closed window, from their journals on disk. */
  resumableJobs: { input: EmptySchema, output: z.array(ResumableJobSchema) },
  /**
   * Continues an interrupted install without redoing its completed steps, or an interrupted
   * pairing: finished when the pair is healthy on both servers, otherwise removed from both
   * (sessions are reopened).
   */
  resumeJob: { input: ResumeJobRequestSchema, output: JobRefSchema },
  /** Forgets an interrupted install's or pairing's journal (the admin chose not to resume). */
  discardJob: { input: JobIdSchema, output: EmptySchema },
  /** Proposes a pair configuration with sensible defaults. */
  proposePair: { input: ProposePairRequestSchema, output: PairProposalSchema },
  /**
   * Pairs the two servers and protects the VMs (a job of kind `apply`). The configuration is
   * checked against both servers first (`invalid-input` listing every problem, nothing changed);
   * a failure after the pair was created undoes it on both servers.
   */
  pair: { input: PairConfigSchema, output: JobRefSchema },
  /**
   * Plans a pairing (or an unpairing): every step per server with its exact script and parameters,
   * what it changes, whether it restarts, and its undo. Changes nothing. The plan carries a hash
   * and what each server looked like (its basis).
   */
  plan: { input: PlanRequestSchema, output: PlanSchema },
  /**
   * Runs exactly this plan (a job of kind `pair`). When a server changed since the plan was made,
   * it is refused with `plan-stale` listing every difference; nothing is changed.
   */
  applyPlan: { input: ApplyPlanRequestSchema, output: JobRefSchema },
  /** Measures each proposed sync link from both servers (round trip, throughput, loss) and judges it against the level. */
  measureLinks: { input: MeasureLinksRequestSchema, output: LinkMeasurementsSchema },
  /** Checks the witness from both servers: reached on its port; a file share written and read back. */
  checkWitness: { input: CheckWitnessRequestSchema, output: WitnessCheckSchema },
  /** Runs a failover drill on a protected pair, measuring each VM's downtime from outside (a job of kind `drill`). */
  drill: { input: DrillRequestSchema, output: JobRefSchema },
  /** Writes the protection report (HTML or PDF): verification, the applied plan, links, drill, times. */
  exportProtectionReport: {
    input: ExportProtectionReportRequestSchema,
    output: ExportProtectionReportResultSchema,
  },
  /** Unprotects the VMs and removes the pair from both servers (what a failed pairing could not undo). */
  unpair: { input: UnpairRequestSchema, output: z.array(UnpairOutcomeSchema) },
  /** The agent's status on one server. */
  status: { input: SessionRefSchema, output: AgentStatusSchema },
  /** Writes the signed configuration bundle. */
  exportBundle: { input: ExportBundleRequestSchema, output: ExportBundleResultSchema },
  /**
   * Reads a bundle (a path, or the file's text from a browser) and verifies its signature; a
   * signer this workstation does not trust is refused with `bundle-untrusted` (detail: fingerprint, publicKey).
   */
  readBundle: { input: BundleSourceSchema, output: BundleSchema },
  /** Bundle signers this workstation trusts, its own key first. */
  trustedKeys: { input: EmptySchema, output: z.array(TrustedKeyEntrySchema) },
  /** Trusts a signer: a public key (.pub text), or a bundle's signer with the fingerprint the admin compared. */
  trustKey: { input: TrustKeyRequestSchema, output: TrustedKeyEntrySchema },
  /** Stops trusting a signer (never this workstation's own key). */
  forgetKey: {
    input: z.object({ fingerprint: KeyFingerprintSchema }),
    output: z.object({ forgotten: z.boolean() }),
  },
  /** This workstation's public key as a `.pub` line, written to `path` when given. */
  exportPublicKey: {
    input: z.object({
      path: z.string().trim().min(1, 'Give the file to write, for example here.pub.').optional(),
    }),
    output: ExportPublicKeyResultSchema,
  },
  /**
   * Checks a bundle against the two servers it is to be replayed on, changing nothing: its fields,
   * the pair it makes (names as inventoried, links, witness, VMs on the new primary) and the agent
   * package. Returns the configuration to apply; `invalid-input` lists every problem at once.
   */
  preflightBundle: { input: PreflightBundleRequestSchema, output: BundlePlanSchema },
  /**
   * Compares a pair with a bundle, changing nothing: level, witness, sync links and their
   * addresses, protected VMs, the agent's version and (unless `verify: false`) the verification
   * rules at the bundle's level. Each difference says what applying the bundle would change.
   */
  drift: { input: DriftRequestSchema, output: DriftReportSchema },
  /** Reads and checks a fleet file (YAML or CSV); `invalid-input` names the line and field of every problem. */
  parseFleet: { input: FleetSourceSchema, output: FleetSchema },
  /**
   * Applies a bundle to every pair of a fleet, or checks each for drift (a job of kind `fleet`,
   * one entry per pair). Pairs run `parallel` at once; one pair's failure never stops another; a
   * run of the same fleet after a stop resumes each pair where it stopped.
   */
  fleet: { input: FleetRunRequestSchema, output: JobRefSchema },
  /** Writes an Ansible inventory (one group per pair) and a playbook running Twinlock's steps from the controller. */
  exportAnsible: { input: ExportAnsibleRequestSchema, output: ExportAnsibleResultSchema },
  /** The agent package an install would use (shipped, a folder, or a bundle's), and whether its publisher is trusted. */
  agentPackage: { input: PackageRefSchema, output: AgentPackageInfoSchema },
  /** Agent publishers this workstation trusts. */
  trustedPublishers: { input: EmptySchema, output: z.array(TrustedPublisherEntrySchema) },
  /** Pins an agent publisher by the thumbprint the admin compared (with its subject, or the package that names it). */
  trustPublisher: { input: TrustPublisherRequestSchema, output: TrustedPublisherEntrySchema },
  /** Stops trusting an agent publisher. */
  forgetPublisher: {
    input: z.object({ thumbprint: ThumbprintSchema }),
    output: z.object({ forgotten: z.boolean() }),
  },
  /**
   * The wizard's draft (the step on screen, the choices not applied yet, the jobs it follows), so
   * a window opened again resumes where it was; null when there is none. Never holds a secret.
   */
  wizardDraft: { input: EmptySchema, output: WizardDraftSchema.nullable() },
  /** Keeps the wizard's draft in the data folder (null forgets it). */
  saveWizardDraft: { input: SaveWizardDraftRequestSchema, output: EmptySchema },
  /** A job's current snapshot. */
  job: { input: JobIdSchema, output: JobSnapshotSchema },
  /** Waits for a job to end and returns its final snapshot. */
  waitJob: { input: JobIdSchema, output: JobSnapshotSchema },
  /** Asks a running job to stop. */
  cancelJob: { input: JobIdSchema, output: EmptySchema },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export const METHOD_NAMES = Object.keys(methods) as MethodName[];

/** What a caller passes (defaults may be omitted). */
export type ApiInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What a caller gets back. */
export type ApiOutput<M extends MethodName> = z.output<Methods[M]['output']>;

/** The engine as every shell sees it. */
export type TwinlockApi = {
  [M in MethodName]: (input: ApiInput<M>) => Promise<ApiOutput<M>>;
};

/** Receives every event; returns a function that unsubscribes. */
export type Subscribe = (listener: (event: ApiEvent) => void) => () => void;

/** The engine plus its event stream. */
export interface TwinlockEngine {
  api: TwinlockApi;
  subscribe: Subscribe;
  /** Closes sessions, cancels jobs. */
  close(): Promise<void>;
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

export { ApiEventSchema };
