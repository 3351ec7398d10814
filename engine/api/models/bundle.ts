/** Bundle: the replayable, signed configuration of a pair. */
import { z } from 'zod';
import { ReplayValuesSchema } from './drift';
import { ClusterConfigSchema } from './cluster';
import { PairConfigSchema, SyncLinkSchema, WitnessSchema } from './pair';
import { ProtectionLevelSchema } from './verify';

/** The replayable, signed configuration of a pair. Never holds a secret. */
export const BundleSchema = z.object({
  format: z.literal('twinlock-bundle/1'),
  createdAt: z.string(),
  /** The pair as exported, held to the rules of {@link PairConfigSchema}: nothing is trimmed on replay. */
  pair: z
    .object({
      name: PairConfigSchema.shape.name,
      level: ProtectionLevelSchema,
      links: z.array(SyncLinkSchema),
      /** A cloud witness carries its storage account's name only: its access key is never exported. */
      witness: WitnessSchema.nullable(),
      vms: PairConfigSchema.shape.vms,
      /**
       * Level 1 (and only there): the failover cluster of the pair it was exported from. A replay on
       * another pair gives that pair's own name and address (`clusterName`, `clusterAddress`).
       */
      cluster: ClusterConfigSchema.optional(),
    })
    .superRefine((pair, ctx) => {
      if (pair.level === 1 && pair.cluster === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['cluster'],
          message: 'is missing: a Level 1 bundle names the failover cluster it makes',
        });
      if (pair.level !== 1 && pair.cluster !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['cluster'],
          message: `is only for Level 1: a Level ${pair.level} bundle makes no failover cluster`,
        });
    }),
  hosts: z.tuple([
    z.object({
      role: z.literal('primary'),
      address: z.string(),
      port: z.number(),
      fingerprint: z.string(),
      computerName: z.string(),
    }),
    z.object({
      role: z.literal('secondary'),
      address: z.string(),
      port: z.number(),
      fingerprint: z.string(),
      computerName: z.string(),
    }),
  ]),
  agent: z.object({ version: z.string(), sha256: z.string() }),
  signature: z.object({
    algorithm: z.literal('ed25519'),
    /** Base64 SPKI DER of the signing key. */
    publicKey: z.string(),
    /** Base64 signature over the canonical JSON of every other field. */
    value: z.string(),
  }),
});
export type Bundle = z.infer<typeof BundleSchema>;

/** A bundle to replay on two servers: checked against them before anything changes. */
export const PreflightBundleRequestSchema = z.object({
  /** The bundle file (`.twinlock`, or `.twinlock.json` as earlier bundles were named). */
  path: z.string().min(1, 'Give the path of a .twinlock bundle.'),
  /** The new primary's session, then the new secondary's. */
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  /** The new pair's name, when not the bundle's. */
  name: z.string().optional(),
  /** The VMs to protect, when not the bundle's (a fleet file's row). */
  vms: ReplayValuesSchema.shape.vms,
  /** The sync-link addresses, link by link, when not proposed from the servers (a fleet file's row). */
  linkAddresses: ReplayValuesSchema.shape.linkAddresses,
  /** Level 1: this pair's cluster name, when not the bundle's (required on a pair other than the bundle's own). */
  clusterName: ReplayValuesSchema.shape.clusterName,
  /** Level 1: this pair's cluster address, when not the bundle's (required on a pair other than the bundle's own). */
  clusterAddress: ReplayValuesSchema.shape.clusterAddress,
  /** The agent package folder the replay installs; the shipped package when absent. */
  packageDir: z.string().optional(),
});
export type PreflightBundleRequest = z.input<typeof PreflightBundleRequestSchema>;

/** A bundle that passed its preflight: the configuration `apply` will run on the new pair. */
export const BundlePlanSchema = z.object({
  bundle: BundleSchema,
  config: PairConfigSchema,
  /** The agent package the replay installs. */
  agent: z.object({ version: z.string(), sha256: z.string() }),
});
export type BundlePlan = z.infer<typeof BundlePlanSchema>;

export const ExportBundleRequestSchema = z.object({
  config: PairConfigSchema,
  /** Where to write; the data folder's bundles/ when absent. */
  path: z.string().optional(),
});
export type ExportBundleRequest = z.input<typeof ExportBundleRequestSchema>;

export const ExportBundleResultSchema = z.object({
  path: z.string(),
  bundle: BundleSchema,
});
export type ExportBundleResult = z.infer<typeof ExportBundleResultSchema>;
