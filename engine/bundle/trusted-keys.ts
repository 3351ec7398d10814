/**
 * The bundle signers this workstation trusts, in `<dataDir>/trusted-keys.json`: its own signing
 * key always, and keys the admin added on purpose (after comparing the fingerprint, as for a host
 * key). A bundle signed by any other key is refused with `bundle-untrusted`.
 *
 * A key is named by its fingerprint, `SHA256:` and the unpadded base64 SHA-256 of its SPKI DER
 * (the OpenSSH style), and handed between workstations as one `.pub` line:
 * `twinlock-ed25519 <base64 SPKI DER> <label>`.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { TwinlockError } from '../api/errors';
import { readJsonFile } from '../store/atomic-file';
import { updateJsonFile } from '../store/locked-json';
import { loadSigningKey, publicKeyBase64 } from './signing-key';

/** The store's file name in the data folder. */
export const TRUSTED_KEYS_FILE = 'trusted-keys.json';

/** The first word of a `.pub` line. */
export const PUBLIC_KEY_TYPE = 'twinlock-ed25519';

const TrustedKeySchema = z.object({
  /** Base64 SPKI DER of the Ed25519 public key, as bundles carry it. */
  publicKey: z.string(),
  /** Whose key it is, in the admin's words. */
  label: z.string(),
  /** When it was trusted, ISO 8601. */
  addedAt: z.string(),
});

const TrustedKeysFileSchema = z.object({
  version: z.literal(1),
  /** Keyed by fingerprint. */
  keys: z.record(z.string(), TrustedKeySchema),
});
type TrustedKeysFile = z.infer<typeof TrustedKeysFileSchema>;

/** One trusted signer as the shells show it. */
export interface TrustedKey {
  fingerprint: string;
  publicKey: string;
  label: string;
  addedAt: string;
  /** This workstation's own signing key (always trusted, cannot be forgotten). */
  own: boolean;
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the key's SPKI DER (given as base64). */
export function keyFingerprint(publicKey: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** True when `publicKey` (base64 SPKI DER) is an Ed25519 public key. */
export function isEd25519PublicKey(publicKey: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey)) return false;
  try {
    return (
      createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' })
        .asymmetricKeyType === 'ed25519'
    );
  } catch {
    return false;
  }
}

/** The `.pub` line of a key. Labels lose line breaks, so the line stays one line. */
export function publicKeyLine(publicKey: string, label: string): string {
  const clean = label.replace(/[\r\n\t]+/g, ' ').trim();
  return `${PUBLIC_KEY_TYPE} ${publicKey}${clean ? ` ${clean}` : ''}`;
}

/**
 * Reads a public key as an admin may hand it over: a `.pub` line, a PEM `PUBLIC KEY` block, or the
 * bare base64 SPKI DER. Throws `invalid-input` in Twinlock's own words (never echoing the text).
 */
export function parsePublicKeyText(text: string, field = 'publicKey'): { publicKey: string; label: string } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  let publicKey: string | null = null;
  let label = '';
  const line = new RegExp(`^${PUBLIC_KEY_TYPE}[ \\t]+([A-Za-z0-9+/]+={0,2})(?:[ \\t]+([^\\r\\n]*))?$`).exec(
    trimmed,
  );
  if (line) {
    publicKey = line[1]!;
    label = (line[2] ?? '').trim();
  } else if (/^-----BEGIN PUBLIC KEY-----/.test(trimmed)) {
    try {
      publicKey = createPublicKey(trimmed).export({ type: 'spki', format: 'der' }).toString('base64');
    } catch {
      publicKey = null;
    }
  } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    publicKey = trimmed;
  }
  if (publicKey === null || !isEd25519PublicKey(publicKey)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `${field}: this is not a Twinlock public key.`,
      hint: 'Use the file made by “twinlock keys export” on the other workstation (one line starting with twinlock-ed25519).',
      detail: { field },
    });
  }
  return { publicKey, label };
}

/** The trusted signers of one data folder. Reads the file on every call: another process may have changed it. */
export class TrustedKeys {
  readonly path: string;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, TRUSTED_KEYS_FILE);
  }

  /** This workstation's signing key (created on first use), as a trusted entry. */
  async own(): Promise<TrustedKey> {
    const publicKey = publicKeyBase64(await loadSigningKey(this.dataDir));
    return {
      fingerprint: keyFingerprint(publicKey),
      publicKey,
      label: 'this workstation',
      addedAt: '',
      own: true,
    };
  }

  /** Every trusted signer, this workstation's own first. */
  async list(): Promise<TrustedKey[]> {
    const own = await this.own();
    const file = await this.read();
    const added = Object.entries(file.keys)
      .filter(([fingerprint]) => fingerprint !== own.fingerprint)
      .map(([fingerprint, k]) => ({ fingerprint, ...k, own: false }))
      .sort((a, b) => a.addedAt.localeCompare(b.addedAt));
    return [own, ...added];
  }

  /** The trusted entry for `publicKey` (base64 SPKI DER), or null. */
  async find(publicKey: string): Promise<TrustedKey | null> {
    const fingerprint = keyFingerprint(publicKey);
    return (
      (await this.list()).find((k) => k.fingerprint === fingerprint && k.publicKey === publicKey) ?? null
    );
  }

  /** Trusts `publicKey`; trusting it again keeps the first label and date. */
  async trust(publicKey: string, label: string): Promise<TrustedKey> {
    if (!isEd25519PublicKey(publicKey)) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: 'publicKey: This is not an Ed25519 public key, the kind Twinlock signs bundles with.',
        hint: 'Give the .pub file of twinlock keys export from the workstation that signed the bundle.',
        detail: { field: 'publicKey' },
      });
    }
    const own = await this.own();
    const fingerprint = keyFingerprint(publicKey);
    if (fingerprint === own.fingerprint) return own;
    return this.update((file) => {
      const existing = file.keys[fingerprint];
      const entry =
        existing && existing.publicKey === publicKey
          ? existing
          : { publicKey, label: label.trim(), addedAt: new Date().toISOString() };
      file.keys[fingerprint] = entry;
      return { fingerprint, ...entry, own: false };
    });
  }

  /** Stops trusting a key; true when it was trusted. The workstation's own key cannot be forgotten. */
  async forget(fingerprint: string): Promise<boolean> {
    const own = await this.own();
    if (fingerprint === own.fingerprint) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: `fingerprint: ${fingerprint} is this workstation’s own signing key, which is always trusted.`,
        hint: 'Forget another workstation’s key; “twinlock keys list” shows them.',
        detail: { field: 'fingerprint' },
      });
    }
    return this.update((file) => {
      if (!Object.prototype.hasOwnProperty.call(file.keys, fingerprint)) return false;
      delete file.keys[fingerprint];
      return true;
    });
  }

  private async read(): Promise<TrustedKeysFile> {
    return (await readJsonFile(this.path, TrustedKeysFileSchema)) ?? { version: 1, keys: {} };
  }

  private update<T>(change: (file: TrustedKeysFile) => T): Promise<T> {
    return updateJsonFile(
      this.path,
      TrustedKeysFileSchema,
      (): TrustedKeysFile => ({ version: 1, keys: {} }),
      change,
      { mode: 0o600 },
    );
  }
}
