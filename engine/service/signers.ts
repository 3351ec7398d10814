/**
 * The engine's bundle signers: open a bundle only when a trusted key signed it, list, trust and
 * forget keys, and hand this workstation's public key to another one.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { ApiOutput, MethodName, methods } from '../api/contract';
import { TwinlockError } from '../api/errors';
import { writeFileAtomic } from '../store';
import { TrustedKeys, keyFingerprint, parsePublicKeyText, publicKeyLine } from '../bundle/trusted-keys';
import { openBundleUnchecked, openTrustedBundle } from '../bundle/read-bundle';

type Parsed<M extends MethodName> = z.output<(typeof methods)[M]['input']>;

export interface SignerService {
  readBundle(input: Parsed<'readBundle'>): Promise<ApiOutput<'readBundle'>>;
  trustedKeys(): Promise<ApiOutput<'trustedKeys'>>;
  trustKey(input: Parsed<'trustKey'>): Promise<ApiOutput<'trustKey'>>;
  forgetKey(input: Parsed<'forgetKey'>): Promise<ApiOutput<'forgetKey'>>;
  exportPublicKey(input: Parsed<'exportPublicKey'>): Promise<ApiOutput<'exportPublicKey'>>;
}

export function createSignerService(
  dataDir: string,
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
): SignerService {
  const store = () => new TrustedKeys(dataDir);

  return {
    async readBundle(source) {
      return openTrustedBundle(dataDir, source);
    },

    async trustedKeys() {
      return store().list();
    },

    async trustKey(request) {
      const trusted = store();
      if (request.publicKey !== undefined) {
        const { publicKey, label } = parsePublicKeyText(request.publicKey);
        const entry = await trusted.trust(publicKey, request.label ?? label);
        log(
          'info',
          `Trusted the bundle signer ${entry.fingerprint}${entry.label ? ` (${entry.label})` : ''}.`,
        );
        return entry;
      }
      const bundle = await openBundleUnchecked(request);
      const { publicKey } = bundle.signature;
      const fingerprint = keyFingerprint(publicKey);
      if (fingerprint !== request.fingerprint) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `fingerprint: the bundle is signed by ${fingerprint}, not ${request.fingerprint}.`,
          hint: 'Trust a signer only by the fingerprint you compared for this very bundle.',
          detail: { field: 'fingerprint', fingerprint },
        });
      }
      const entry = await trusted.trust(publicKey, request.label ?? `signer of ${bundle.pair.name}`);
      log('info', `Trusted the bundle signer ${entry.fingerprint} (${entry.label}).`);
      return entry;
    },

    async forgetKey({ fingerprint }) {
      return { forgotten: await store().forget(fingerprint) };
    },

    async exportPublicKey({ path }) {
      const own = await store().own();
      const line = publicKeyLine(own.publicKey, `twinlock@${hostname()}`);
      // A public key is no secret: readable like any document the admin hands over.
      const target = path === undefined ? null : resolve(path);
      if (target !== null) await writeFileAtomic(target, `${line}\n`, { mode: 0o644 });
      return { fingerprint: own.fingerprint, publicKey: own.publicKey, line, path: target };
    },
  };
}
