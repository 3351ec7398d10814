/**
 * The wizard's draft: the step it shows and the choices the admin made but has not applied yet
 * (the pair's name, level, links as typed, witness, VMs), and the jobs it follows. Kept by the
 * engine so a window closed and opened again resumes exactly where it was. Never a secret: the
 * schema is strict, so no password, key or passphrase can be stored in it.
 */
import { z } from 'zod';

/** The wizard's steps, as the draft names them. */
export const DRAFT_STEPS = ['discover', 'connect', 'verify', 'install', 'pair', 'apply', 'done'] as const;

/** Text as the admin typed it (checked when it is used, not when it is kept). */
const Typed = z.string().max(1000);

/** A sync link as typed on the Pair screen: adapters and addresses, possibly not valid yet. */
const DraftLinkSchema = z
  .object({
    localNic: Typed,
    remoteNic: Typed,
    localAddress: Typed,
    remoteAddress: Typed,
    prefixLength: z.number().int().min(0).max(128).optional(),
  })
  .strict();

/** The Pair screen's choices. */
export const DraftPairSchema = z
  .object({
    name: Typed,
    level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    links: z.array(DraftLinkSchema).max(16),
    /** Null until the admin chose; `none` once they chose to run without a witness. */
    witnessMode: z.enum(['host', 'file-share', 'disk', 'cloud', 'none']).nullable(),
    witnessAddresses: z
      .object({ host: Typed, 'file-share': Typed, disk: Typed.default(''), cloud: Typed.default('') })
      .strict(),
    witnessPort: Typed,
    noWitnessAccepted: z.boolean(),
    /** The VMs ticked, verbatim. */
    vms: z.array(Typed).max(1000),
    /**
     * Level 1: the failover cluster's name and static address as typed (absent from a draft saved
     * before Level 1 asked for them). A cloud witness's access key is never here.
     */
    cluster: z.object({ name: Typed, address: Typed }).strict().optional(),
  })
  .strict();
export type DraftPair = z.infer<typeof DraftPairSchema>;

export const WizardDraftSchema = z
  .object({
    /** The step on screen. */
    step: z.enum(DRAFT_STEPS),
    /** The two servers picked, primary first, as `address:port` (their sessions are the engine's). */
    servers: z.array(z.string().min(1).max(300)).max(2),
    /** The protection level Verify checked for. */
    verifyLevel: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    /** The install job the Install screen follows (its state is the engine's). */
    installJobId: z.string().min(1).optional(),
    /** The pairing job the Review screen follows (its state is the engine's). */
    applyJobId: z.string().min(1).optional(),
    /** The Pair screen's choices, once it was shown. */
    pair: DraftPairSchema.optional(),
    /** When the wizard saved it (ISO 8601). */
    savedAt: z.string(),
  })
  .strict();
export type WizardDraft = z.infer<typeof WizardDraftSchema>;

/** `saveWizardDraft`: the draft to keep, or null to forget it (the admin started over). */
export const SaveWizardDraftRequestSchema = z.object({ draft: WizardDraftSchema.nullable() }).strict();
