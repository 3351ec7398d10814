/**
 * Drift: how a protected pair differs from the bundle it was made from (or is to match). Each
 * difference names what it is, what the bundle expects, what the pair has, and what applying the
 * bundle would change. A pair with no difference matches its bundle.
 */
import { z } from 'zod';
import { ClusterConfigSchema } from './cluster';
import { BundleSourceSchema } from './trust';
import { IpAddressSchema, VmNameSchema } from './values';

/** The parts of a pair drift compares, in the order they are reported. */
export const DRIFT_FIELDS = [
  'pair',
  'level',
  'witness',
  'links',
  'addresses',
  'vms',
  'agent',
  'verify',
] as const;
export const DriftFieldSchema = z.enum(DRIFT_FIELDS);
export type DriftField = z.infer<typeof DriftFieldSchema>;

/** One difference between the pair as it is and as the bundle has it. */
export const DriftItemSchema = z.object({
  field: DriftFieldSchema,
  /** What differs, in words: "Protection level", "Witness", "VM SQL01", "Sync link 1 (SLOT 3 Port 1)". */
  what: z.string(),
  /** The computer name, when the difference is on one server only. */
  server: z.string().optional(),
  /** What the bundle expects, in words ("Level 3", "host TL-WITNESS", "protected"). */
  expected: z.string(),
  /** What the pair has now, in words ("Level 1", "none", "not protected"). */
  actual: z.string(),
  /**
   * What applying the bundle would change to bring it back, in words ("Re-create the pair at
   * Level 3 with witness TL-WITNESS", "Protect SQL01"); null when applying cannot fix it (then
   * `hint` says what the admin does).
   */
  change: z.string().nullable(),
  /** The admin's next step when `change` is null (e.g. a verification rule that now fails). */
  hint: z.string().optional(),
});
export type DriftItem = z.infer<typeof DriftItemSchema>;

/**
 * Per-pair values a replay takes instead of the bundle's (a fleet file's row): the pair's name,
 * its VMs and its sync-link addresses (link by link, in the bundle's order).
 */
export const LinkAddressesSchema = z.object({
  localAddress: IpAddressSchema,
  remoteAddress: IpAddressSchema,
  prefixLength: z.number().int().min(1).max(128).optional(),
});
export type LinkAddresses = z.infer<typeof LinkAddressesSchema>;

export const ReplayValuesSchema = z.object({
  /** The pair's name, when not the bundle's. */
  name: z.string().optional(),
  /** The VMs to protect, when not the bundle's. */
  vms: z.array(VmNameSchema).optional(),
  /** The sync-link addresses, link by link, when not proposed from the servers. */
  linkAddresses: z.array(LinkAddressesSchema).min(1).optional(),
  /** Level 1: this pair's cluster name, when not the bundle's (a replay on another pair must give its own). */
  clusterName: ClusterConfigSchema.shape.name.optional(),
  /** Level 1: this pair's cluster address, when not the bundle's (a replay on another pair must give its own). */
  clusterAddress: ClusterConfigSchema.shape.address.optional(),
});
export type ReplayValues = z.infer<typeof ReplayValuesSchema>;

/** `drift`: a bundle (path or text) and the two servers it is compared with, primary first. */
export const DriftRequestSchema = z.object({
  bundle: BundleSourceSchema,
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  ...ReplayValuesSchema.shape,
  /** Also verify the pair at the bundle's level and report rules that no longer pass (default true). */
  verify: z.boolean().optional(),
});
export type DriftRequest = z.input<typeof DriftRequestSchema>;

/** What `drift` answers. */
export const DriftReportSchema = z.object({
  /** The bundle compared with: its pair name, level and when it was signed. */
  bundle: z.object({ name: z.string(), level: z.number().int(), createdAt: z.string() }),
  /** The pair's name as expected (the bundle's, or the replay value). */
  pair: z.string(),
  /** Computer names, primary then secondary. */
  servers: z.tuple([z.string(), z.string()]),
  checkedAt: z.string(),
  /** True when there is no difference. */
  matches: z.boolean(),
  differences: z.array(DriftItemSchema),
});
export type DriftReport = z.infer<typeof DriftReportSchema>;
