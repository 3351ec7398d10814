/**
 * What this workstation trusts: bundle signers (Ed25519 keys) and agent publishers (Authenticode
 * certificates). Both are pinned on purpose by the admin, after comparing a fingerprint or a
 * thumbprint, as for a host key.
 */
import { z } from 'zod';
import { FINGERPRINT, FINGERPRINT_MESSAGE, THUMBPRINT, THUMBPRINT_MESSAGE } from '../rules';

/** `SHA256:` and the unpadded base64 SHA-256 of a key (OpenSSH style). */
export const KeyFingerprintSchema = z.string().regex(FINGERPRINT, FINGERPRINT_MESSAGE);

/** A certificate thumbprint: 40 hexadecimal characters, as Windows prints it. */
export const ThumbprintSchema = z
  .string()
  .regex(THUMBPRINT, THUMBPRINT_MESSAGE)
  .transform((s) => s.toUpperCase());

/** The largest bundle text accepted: bundles are a few kilobytes, and the text must fit a browser shell request (1 MiB). */
const MAX_BUNDLE_TEXT = 256 * 1024;

const bundleFields = {
  /** Path of a bundle file (`.twinlock`) on the machine running the engine. */
  path: z.string().trim().min(1, 'Give the path of a .twinlock bundle.').optional(),
  /** Or the bundle file's text, as read by the page (the browser cannot send a path). */
  text: z
    .string()
    .min(1, 'The bundle file is empty.')
    .max(MAX_BUNDLE_TEXT, 'A bundle is a few kilobytes; this file is far larger.')
    .optional(),
  /** The file's name, for messages, with `text`. */
  name: z.string().max(255).optional(),
};

/** A bundle to open: a file on the machine running the engine, or the text of one (from a browser). */
export const BundleSourceSchema = z
  .object(bundleFields)
  .refine((r) => (r.path === undefined) !== (r.text === undefined), {
    path: ['path'],
    message: 'Give the path of a .twinlock bundle, or its text (one of the two).',
  });
export type BundleSource = z.input<typeof BundleSourceSchema>;

/** A bundle signer this workstation trusts. */
export const TrustedKeyEntrySchema = z.object({
  fingerprint: z.string(),
  /** Base64 SPKI DER of the Ed25519 public key. */
  publicKey: z.string(),
  /** Whose key it is, in the admin's words. */
  label: z.string(),
  /** When it was trusted, ISO 8601 ('' for the workstation's own key). */
  addedAt: z.string(),
  /** This workstation's own signing key: always trusted. */
  own: z.boolean(),
});
export type TrustedKeyEntry = z.infer<typeof TrustedKeyEntrySchema>;

/**
 * A key to trust: a public key as handed over (`publicKey`: the `.pub` line of `twinlock keys
 * export`, PEM, or base64), or the signer of a bundle (`path` or `text`) together with the
 * `fingerprint` the admin compared — a fingerprint alone cannot verify a signature.
 */
export const TrustKeyRequestSchema = z
  .object({
    /** The text of a `.pub` file. */
    publicKey: z
      .string()
      .min(1, 'Give the public key (the .pub file of twinlock keys export).')
      .max(16_384, 'A public key is one short line; this is far longer.')
      .optional(),
    ...bundleFields,
    /** With `path` or `text`: the signer's fingerprint the admin compared; it must be the bundle's. */
    fingerprint: KeyFingerprintSchema.optional(),
    /** Whose key it is; the `.pub` line's label when absent. */
    label: z.string().max(200).optional(),
  })
  .superRefine((r, ctx) => {
    const sources = [r.publicKey, r.path, r.text].filter((v) => v !== undefined).length;
    if (sources !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicKey'],
        message: 'Give one public key (.pub file), or one bundle (with the fingerprint you compared).',
      });
    } else if (r.publicKey === undefined && r.fingerprint === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['fingerprint'],
        message: 'Give the signer’s fingerprint you compared, as Twinlock showed it (SHA256:…).',
      });
    }
  });
export type TrustKeyRequest = z.input<typeof TrustKeyRequestSchema>;

/** This workstation's public key, to hand to another workstation. */
export const ExportPublicKeyResultSchema = z.object({
  fingerprint: z.string(),
  publicKey: z.string(),
  /** The `.pub` line: `twinlock-ed25519 <base64> <label>`. */
  line: z.string(),
  /** Where it was written, or null when only returned. */
  path: z.string().nullable(),
});
export type ExportPublicKeyResult = z.infer<typeof ExportPublicKeyResultSchema>;

/** A pinned agent publisher. */
export const TrustedPublisherEntrySchema = z.object({
  /** Upper-case thumbprint of the signing certificate. */
  thumbprint: z.string(),
  /** The certificate subject, e.g. `CN=Twinlock Software, O=Twinlock, C=US`. */
  subject: z.string(),
  /** When it was trusted, ISO 8601. */
  addedAt: z.string(),
});
export type TrustedPublisherEntry = z.infer<typeof TrustedPublisherEntrySchema>;

/** Which agent package: a folder, the version a bundle names, or the shipped one. */
export const PackageRefSchema = z.object({
  packageDir: z.string().optional(),
  bundlePath: z.string().optional(),
});

/** The agent package an install would use, and whether its publisher is trusted. */
export const AgentPackageInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** The installer's size in bytes (what each server receives). */
  size: z.number().int().min(0).optional(),
  /** The package folder. */
  dir: z.string(),
  /** The publisher the manifest names (each server checks the real signature against the pinned one). */
  publisher: z.object({ subject: z.string(), thumbprint: z.string() }),
  /** True when that publisher is pinned on this workstation. */
  publisherTrusted: z.boolean(),
});
export type AgentPackageInfo = z.infer<typeof AgentPackageInfoSchema>;

/**
 * A publisher to pin: its thumbprint as the admin compared it, and either its subject or the
 * package (folder or bundle, the shipped one by default) whose manifest must name that thumbprint.
 */
export const TrustPublisherRequestSchema = PackageRefSchema.extend({
  thumbprint: ThumbprintSchema,
  subject: z.string().trim().min(1).max(1024).optional(),
});
export type TrustPublisherRequest = z.input<typeof TrustPublisherRequestSchema>;
