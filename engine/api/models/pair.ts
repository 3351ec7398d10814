/** Pairing: the configuration of a pair, its proposal, and the agent's status. */
import { z } from 'zod';
import { NicSchema, VmSchema } from './inventory';
import {
  HOST_NAME,
  HOST_NAME_MAX,
  HOST_NAME_MESSAGES,
  LONE_SURROGATE,
  NO_EDGE_SPACE,
  pairNameProblem,
  PAIR_STATES,
  UNC_PATH,
  CLOUD_ACCOUNT,
  hasControlCharacter,
} from '../rules';
import { AdapterNameSchema, IpAddressSchema, VmNameSchema } from './values';
import { ProtectionLevelSchema } from './verify';
import { ClusterConfigSchema, ClusterStatusSchema } from './cluster';

/**
 * A private link between the two servers carrying lockstep traffic. Adapter names are verbatim
 * (Windows allows spaces at either end); addresses must be IP addresses, with no spaces.
 */
export const SyncLinkSchema = z.object({
  /** Adapter name on the primary. */
  localNic: AdapterNameSchema,
  /** Adapter name on the secondary. */
  remoteNic: AdapterNameSchema,
  /** Address on the primary side. */
  localAddress: IpAddressSchema,
  /** Address on the secondary side. */
  remoteAddress: IpAddressSchema,
  /** Prefix length of both addresses (the link’s subnet), e.g. 30 for a /30 pair; absent: the adapters’ own (24 when they have none). */
  prefixLength: z.number().int().min(1).max(128).optional(),
});
export type SyncLink = z.infer<typeof SyncLinkSchema>;

/**
 * The TCP port a witness host answers on when the configuration names none: the agent's witness
 * service, next to its sync (7440, 7441) and control (7442) ports (docs/agent-contract.md).
 */
export const WITNESS_PORT = 7443;

/** A cloud witness's Azure storage account name (rules.ts, where the page checks it too). */
export { CLOUD_ACCOUNT } from '../rules';

/**
 * The third party that breaks ties when the two servers lose sight of each other. "No witness" is
 * `null` in the pair configuration, never an empty address. A host is a host name or IP address;
 * a file share a UNC path (`\\files\twinlock`, spaces allowed inside a share or folder name).
 * Neither may start or end with a space: it is refused, not trimmed. At Level 1 (a Windows
 * failover cluster) the witness is a file share, a `disk` (the cluster disk resource's name, e.g.
 * `Cluster Disk 1`) or a `cloud` witness (the Azure storage account's name; its access key is
 * given at apply time and never kept); a `host` witness is the agent's and serves Levels 2 and 3.
 */
export const WitnessSchema = z
  .object({
    kind: z.enum(['host', 'file-share', 'disk', 'cloud']),
    /** Host name/address, UNC path for a file share, cluster disk name, or storage account name. */
    address: z
      .string()
      .min(1, 'Enter the witness’s address or share path, or choose no witness.')
      .max(260, 'A witness address is at most 260 characters.')
      .refine(
        (s) => s === '' || s.trim() !== '',
        'The witness address is blank: enter it, or choose no witness.',
      )
      .regex(NO_EDGE_SPACE, 'The witness address starts or ends with a space: remove it.')
      .refine(
        (s) => !LONE_SURROGATE.test(s),
        'The witness address is not valid Unicode text: type it again.',
      ),
    /** A witness host's TCP port ({@link WITNESS_PORT} when absent); a file share takes none. */
    port: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((w, ctx) => {
    if (w.address === '' || !NO_EDGE_SPACE.test(w.address)) return;
    if (w.kind === 'host' && w.address.length > HOST_NAME_MAX) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: HOST_NAME_MESSAGES.tooLong });
    } else if (w.kind === 'host' && !HOST_NAME.test(w.address)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message:
          'Use the witness server’s host name or IP address, with no spaces or slashes, for example witness01 or 10.0.0.30.',
      });
    }
    if (w.kind === 'file-share' && w.port !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: 'A file share witness takes no port (it is reached over SMB): remove it.',
      });
    }
    if ((w.kind === 'disk' || w.kind === 'cloud') && w.port !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: `A ${w.kind} witness takes no port: remove it.`,
      });
    }
    if (w.kind === 'cloud' && !CLOUD_ACCOUNT.test(w.address)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message:
          'Use the Azure storage account’s name for a cloud witness: 3 to 24 lowercase letters and digits, for example contosowitness.',
      });
    }
    if (w.kind === 'disk' && hasControlCharacter(w.address)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message:
          'Use the cluster disk’s name as Failover Cluster Manager shows it, for example Cluster Disk 1.',
      });
    }
    if (w.kind === 'file-share' && (!UNC_PATH.test(w.address) || hasControlCharacter(w.address))) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message:
          'Use a share path like \\\\files\\twinlock: a server name, then the share, with none of : * ? " < > | in it.',
      });
    }
  });
export type Witness = z.infer<typeof WitnessSchema>;

/**
 * What `apply` pairs. Every value is used exactly as given: the pair name is refused (not
 * trimmed) with a space at either end, VM and adapter names are verbatim (see
 * {@link VmNameSchema}), link addresses must be IP addresses, and the witness is `null` only when
 * the admin chose to run without one.
 */
export const PairConfigSchema = z.object({
  /** Name shown in status and exported in the bundle. */
  name: z.string().superRefine((name, ctx) => {
    // The wizard's own sentence (rules.ts), naming the character at fault or the length.
    const problem = pairNameProblem(name);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
  level: ProtectionLevelSchema,
  /** Session of the server that starts as primary. */
  primary: z.string().min(1),
  /** Session of the server that joins as secondary. */
  secondary: z.string().min(1),
  links: z.array(SyncLinkSchema).min(1, 'At least one sync link is needed.'),
  /** Null only when the admin explicitly accepts running without a witness. */
  witness: WitnessSchema.nullable(),
  /** Names of VMs to protect, exactly as Hyper-V reports them. */
  vms: z.array(VmNameSchema),
  /**
   * Level 1 only (and required there): the failover cluster the pair makes, its name and static
   * address. The sync links then carry the cluster's heartbeat and live migration.
   */
  cluster: ClusterConfigSchema.optional(),
});
export type PairConfig = z.infer<typeof PairConfigSchema>;

/** The parts of a pair configuration that do not depend on open sessions (what a pairing journal keeps). */
export const PairPlanSchema = z.object({
  name: z.string(),
  level: ProtectionLevelSchema,
  links: z.array(SyncLinkSchema),
  witness: WitnessSchema.nullable(),
  vms: z.array(z.string()),
  /** Level 1: the failover cluster. */
  cluster: ClusterConfigSchema.optional(),
});
export type PairPlan = z.infer<typeof PairPlanSchema>;

/** Two servers to take out of their pair. */
export const UnpairRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  /** Level 1: also uninstall the Failover Clustering feature (kept by default; removing it restarts the servers). */
  removeFeature: z.boolean().default(false),
});
export type UnpairRequest = z.input<typeof UnpairRequestSchema>;

/** What `unpair` did on one server. */
export const UnpairOutcomeSchema = z.object({
  computerName: z.string(),
  /** The pair the server was in, or null when it was in none. */
  pair: z.string().nullable(),
  /** VMs whose protection was removed. */
  unprotected: z.array(z.string()),
  /** True when `pair remove` ran on this server. */
  removed: z.boolean(),
});
export type UnpairOutcome = z.infer<typeof UnpairOutcomeSchema>;

export const ProposePairRequestSchema = z.object({
  primary: z.string().min(1),
  secondary: z.string().min(1),
  /**
   * The private IPv4 range (CIDR) unaddressed links take their /30 subnets from; 172.30.0.0/24
   * when absent. A malformed, public or too small range is refused naming `linkRange`.
   */
  linkRange: z.string().min(1).optional(),
});
export type ProposePairRequest = z.infer<typeof ProposePairRequestSchema>;

/** A proposal: sensible defaults plus what the admin can choose from. */
export const PairProposalSchema = z.object({
  config: PairConfigSchema,
  /** Adapters available for links on each side. */
  nics: z.tuple([z.array(NicSchema), z.array(NicSchema)]),
  /** VMs found on the primary. */
  vms: z.array(VmSchema),
  /**
   * False (always, from `proposePair`; absent reads the same): nobody chose the witness yet, so `config.witness` is a suggestion (or null as a
   * placeholder), never a choice: the admin must pick a witness or choose “no witness” explicitly.
   */
  witnessChosen: z.boolean().optional(),
  /** A witness known to exist (the lab's, a previous choice) to offer first; null when none is known. */
  witnessSuggestion: WitnessSchema.nullable().optional(),
  /** The range the proposed link addresses came from (the request's `linkRange`, or the default). */
  linkRange: z.string().optional(),
  /** Per protection level, whether verification passes it, and the blockers that stop it when not. */
  levels: z
    .array(
      z.object({
        level: ProtectionLevelSchema,
        ready: z.boolean(),
        /** Each blocker in one line: its title, both servers' values and why it matters. */
        reasons: z.array(z.string()),
        /** The blocking rules' ids, e.g. `cpu.signature`. */
        blockers: z.array(z.string()),
      }),
    )
    .optional(),
});
export type PairProposal = z.infer<typeof PairProposalSchema>;

export const PairStateSchema = z.enum(PAIR_STATES);
export type PairState = z.infer<typeof PairStateSchema>;

/**
 * The step a pairing job reports for a server (`HostProgress.step`): `waiting` to start,
 * `preflight` (the configuration checked against both servers), `resume` (an interrupted pairing
 * read back), `links` tested, the `pair` created or joined, VMs to `protect`; then the pair's
 * state as its agent reports it ({@link PairStateSchema}, or `none` while it is in no pair yet);
 * `undo` while a failed pairing is taken back.
 */
export const PairProgressStepSchema = z.enum([
  'waiting',
  'preflight',
  'resume',
  'links',
  'pair',
  'protect',
  'undo',
  'none',
  ...PAIR_STATES,
]);
export type PairProgressStep = z.infer<typeof PairProgressStepSchema>;

export const LinkStatusSchema = z.object({
  local: z.string(),
  remote: z.string(),
  up: z.boolean(),
  rttMs: z.number(),
  mbps: z.number(),
});

/** `twinlockctl status --input -`, as the agent reports it. */
export const AgentStatusSchema = z.object({
  nodeId: z.string(),
  role: z.enum(['primary', 'secondary', 'none']),
  pair: z
    .object({
      name: z.string(),
      peer: z.string(),
      state: PairStateSchema,
      progress: z.number(),
      links: z.array(LinkStatusSchema),
      witness: z
        .object({
          address: z.string(),
          reachable: z.boolean(),
          /** A witness host's TCP port, as the agent uses it; absent from an agent that does not report it (and for a share). */
          port: z.number().int().min(1).max(65535).optional(),
        })
        .nullable(),
      level: ProtectionLevelSchema,
    })
    .nullable(),
  vms: z.array(z.object({ name: z.string(), state: z.string(), protected: z.boolean() })),
  /**
   * Level 1: the failover cluster as this server sees it (the status is then read from the
   * cluster, not from an agent: `nodeId` is the computer name, `pair.links` the cluster networks).
   */
  cluster: ClusterStatusSchema.optional(),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const PairOutcomeSchema = z.object({
  pairId: z.string(),
  /** `protected` once paired; `none` when the job applied an unpair plan. */
  state: z.union([PairStateSchema, z.literal('none')]),
  /** Milliseconds from the start of the apply to `protected`. */
  elapsedMs: z.number(),
  status: z.tuple([AgentStatusSchema, AgentStatusSchema]),
  /** The hash of the plan the job applied. */
  planHash: z.string().optional(),
  /** What an unpair plan removed, per server (absent for a pairing). */
  unpaired: z.array(UnpairOutcomeSchema).optional(),
});
export type PairOutcome = z.infer<typeof PairOutcomeSchema>;
