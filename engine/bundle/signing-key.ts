/**
 * The workstation's bundle-signing key: Ed25519, generated once on first use and kept as PKCS#8
 * PEM in `<dataDir>/signing-key.pem`, readable by the admin's account only.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TwinlockError } from '../api/errors';
import { withFileLock, writeFileAtomic } from '../store';

/** The key file's name in the data folder. */
export const SIGNING_KEY_FILE = 'signing-key.pem';

const pending = new Map<string, Promise<KeyObject>>();

/** Loads the signing key, creating it on first use. Concurrent callers share one creation. */
export function loadSigningKey(dataDir: string): Promise<KeyObject> {
  const path = join(dataDir, SIGNING_KEY_FILE);
  let p = pending.get(path);
  if (!p) {
    p = loadOrCreate(path);
    pending.set(path, p);
    p.catch(() => pending.delete(path));
  }
  return p;
}

async function loadOrCreate(path: string): Promise<KeyObject> {
  const existing = await readKey(path);
  if (existing) return existing;
  // Two processes exporting their first bundle at once must end with one key, not one each.
  return withFileLock(path, async () => {
    const raced = await readKey(path);
    if (raced) return raced;
    const { privateKey } = generateKeyPairSync('ed25519');
    await writeFileAtomic(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    return privateKey;
  });
}

async function readKey(path: string): Promise<KeyObject | null> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType ?? 'unknown'} key`);
    return key;
  } catch (err) {
    throw new TwinlockError(
      {
        code: 'internal',
        message: `The bundle signing key ${path} is damaged: it is not an Ed25519 private key in PEM form.`,
        hint: 'Move the file aside and export again: Twinlock creates a new key, and bundles signed with the old one still verify by their own public key.',
        detail: { path },
      },
      { cause: err },
    );
  }
}

/** Base64 SPKI DER of the key's public half, as bundles carry it. */
export function publicKeyBase64(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
}
