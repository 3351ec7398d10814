/**
 * The signed configuration bundle: everything needed to replay a pair at the next site, and no
 * secret — no password, no pairing token, no cloud witness access key (a cloud witness is its
 * storage account's name). Signed with Ed25519 over its canonical JSON.
 */
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Bundle, PairConfig } from '../api/models';
import { BundleSchema } from '../api/models';
import { TwinlockError } from '../api/errors';
import { canonicalJson } from './canonical';
import { publicKeyBase64 } from './signing-key';
import { keyFingerprint } from './trusted-keys';

/** One server as the bundle records it. */
export interface BundleHost {
  address: string;
  port: number;
  /** Pinned `SHA256:…` host-key fingerprint. */
  fingerprint: string;
  computerName: string;
}

/** What a bundle is made from. */
export interface BundleInput {
  config: PairConfig;
  primary: BundleHost;
  secondary: BundleHost;
  agent: { version: string; sha256: string };
  /** Defaults to now. */
  createdAt?: string;
}

/** Builds and signs a bundle. Only listed fields are copied, so nothing else can slip in. */
export function createBundle(input: BundleInput, signingKey: KeyObject): Bundle {
  const { config } = input;
  if (config.level === 1 && !config.cluster)
    throw new TwinlockError({
      code: 'invalid-input',
      message: `cluster: ${config.name} is a Level 1 pair, and its failover cluster (name and address) is what its bundle replays; none was given.`,
      hint: 'Pair it with its cluster’s name and address first, then export its bundle.',
      detail: { field: 'cluster' },
    });
  const host = (h: BundleHost) => ({
    address: h.address,
    port: h.port,
    fingerprint: h.fingerprint,
    computerName: h.computerName,
  });
  const unsigned: Omit<Bundle, 'signature'> = {
    format: 'twinlock-bundle/1',
    createdAt: input.createdAt ?? new Date().toISOString(),
    pair: {
      name: config.name,
      level: config.level,
      links: config.links.map((l) => ({
        localNic: l.localNic,
        remoteNic: l.remoteNic,
        localAddress: l.localAddress,
        remoteAddress: l.remoteAddress,
      })),
      witness: config.witness ? { kind: config.witness.kind, address: config.witness.address } : null,
      vms: [...config.vms],
      // Level 1: the cluster as this pair made it (a replay elsewhere gives its own name and address).
      ...(config.level === 1 && config.cluster
        ? { cluster: { name: config.cluster.name, address: config.cluster.address } }
        : {}),
    },
    hosts: [
      { role: 'primary', ...host(input.primary) },
      { role: 'secondary', ...host(input.secondary) },
    ],
    agent: { version: input.agent.version, sha256: input.agent.sha256 },
  };
  const value = sign(null, Buffer.from(canonicalJson(unsigned), 'utf8'), signingKey).toString('base64');
  return BundleSchema.parse({
    ...unsigned,
    signature: { algorithm: 'ed25519', publicKey: publicKeyBase64(signingKey), value },
  });
}

function invalid(message: string, hint: string, detail?: Record<string, unknown>): TwinlockError {
  return new TwinlockError({ code: 'bundle-invalid', message, hint, ...(detail ? { detail } : {}) });
}

export interface VerifyBundleOptions {
  /** When given, the bundle must be signed by one of these keys (base64 SPKI DER), else `bundle-untrusted`. */
  trustedKeys?: string[];
  /** The bundle's file name, for messages and the hint's command. */
  source?: string;
}

/** A path as it can be pasted into a shell. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(path) ? path : `"${path.replace(/"/g, '\\"')}"`;
}

/**
 * Parses and verifies a bundle (its text or its parsed JSON). Throws `bundle-invalid` naming the
 * field for a malformed bundle, or saying that the signature does not match.
 */
export function verifyBundle(json: string | unknown, options: VerifyBundleOptions = {}): Bundle {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json.replace(/^\uFEFF/, ''));
    } catch {
      // Never the parser's message: it quotes bytes of whatever file was named.
      throw invalid(
        `${options.source ?? 'This file'} is not a Twinlock bundle: it is not JSON.`,
        'Choose the .twinlock file exported by Twinlock.',
        options.source ? { path: options.source } : undefined,
      );
    }
  }
  const parsed = BundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw invalid(
      `This bundle is malformed: ${field} ${issue?.message ?? 'is invalid'}.`,
      'Export the bundle again from Twinlock; bundles must not be edited by hand.',
      { field },
    );
  }
  const bundle = parsed.data;
  // Verify over what was received (less the signature), so that a field added by hand fails too.
  const { signature: _signature, ...unsigned } = raw as Record<string, unknown>;
  let ok = false;
  try {
    const publicKey = createPublicKey({
      key: Buffer.from(bundle.signature.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    ok =
      publicKey.asymmetricKeyType === 'ed25519' &&
      verify(
        null,
        Buffer.from(canonicalJson(unsigned), 'utf8'),
        publicKey,
        Buffer.from(bundle.signature.value, 'base64'),
      );
  } catch {
    ok = false;
  }
  if (!ok) {
    throw invalid(
      'This bundle’s signature does not match its content: it was changed after it was exported.',
      'Use the bundle exactly as Twinlock exported it, or export it again from the original workstation.',
    );
  }
  if (options.trustedKeys && !options.trustedKeys.includes(bundle.signature.publicKey)) {
    const fingerprint = keyFingerprint(bundle.signature.publicKey);
    const from = options.source ? shellWord(options.source) : '<bundle file>';
    throw new TwinlockError({
      code: 'bundle-untrusted',
      message: `This bundle is signed by a key this workstation does not trust: ${fingerprint}.`,
      hint:
        `Ask whoever exported it for their key’s fingerprint (“twinlock keys list” on their workstation shows it) and compare. ` +
        `If it is the same, trust it with: twinlock keys trust ${fingerprint} --from-bundle ${from} (in the wizard: “Trust this signer?”), then open the bundle again.`,
      detail: { fingerprint, publicKey: bundle.signature.publicKey },
    });
  }
  return bundle;
}
