/**
 * Builds an agent package (agent-manifest.json and the MSI) in the lab's package format, for any
 * version or signer: the bundled 3.2.1 package in resources/agent is made by it (never committed:
 * `ensureShippedPackage` writes it before the tests, `npm start` and the build need it), and tests
 * make older, newer and wrongly signed ones.
 *
 * Run: `npx tsx lab/make-package-main.ts [outDir] [version] [signerSubject]`
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHeader, filler, guidFrom, thumbprintFor } from './package-format';
import type { PackageHeader } from './package-format';

/** The signer of genuine Twinlock packages. */
export const TWINLOCK_SIGNER_SUBJECT = 'CN=Twinlock Software, O=Twinlock, C=US';
/** Shared by every version of the agent, so a newer package upgrades an older one. */
export const AGENT_UPGRADE_CODE = guidFrom('TwinlockAgent/upgrade-code');

/** agent-manifest.json as docs/agent-contract.md defines it. */
export interface AgentManifest {
  name: string;
  version: string;
  file: string;
  size: number;
  sha256: string;
  productCode: string;
  upgradeCode: string;
  signer: { subject: string; thumbprint: string };
  service: string;
  ports: { sync: number[]; control: number };
  minimumOs: { build: number };
  installArgs: string[];
}

export interface MakePackageOptions {
  /** Folder to write into (created when missing). */
  outDir: string;
  /** Default 3.2.1. */
  version?: string;
  /** Certificate subject the package is signed with; null for an unsigned package. */
  signerSubject?: string | null;
  /** Total file size in bytes (default 3 MiB). */
  sizeBytes?: number;
  /** Default: derived from the version (each version a new product, as with major upgrades). */
  productCode?: string;
  upgradeCode?: string;
  minimumOsBuild?: number;
  /**
   * The signer the manifest claims (default: the real signer, or Twinlock's for an unsigned
   * package), so a test can build a package whose server-side signature contradicts its manifest.
   */
  manifestSignerSubject?: string;
}

/** The MSI's bytes and its manifest, in memory. */
function buildPackage(options: Omit<MakePackageOptions, 'outDir'>): {
  manifest: AgentManifest;
  bytes: Buffer;
} {
  const version = options.version ?? '3.2.1';
  const subject = options.signerSubject === undefined ? TWINLOCK_SIGNER_SUBJECT : options.signerSubject;
  const size = options.sizeBytes ?? 3 * 1024 * 1024;
  const productCode = options.productCode ?? guidFrom(`TwinlockAgent/${version}/product-code`);
  const file = `TwinlockAgent-${version}-x64.msi`;
  const signer = subject === null ? null : { subject, thumbprint: thumbprintFor(subject) };
  const upgradeCode = options.upgradeCode ?? AGENT_UPGRADE_CODE;
  const seed = `TwinlockAgent/${version}/${productCode}`;
  const claimed = options.manifestSignerSubject ?? subject ?? TWINLOCK_SIGNER_SUBJECT;

  const headerFor = (contentSha256: string): PackageHeader => ({
    productName: 'TwinlockAgent',
    version,
    productCode,
    upgradeCode,
    manufacturer: 'Twinlock Software',
    service: 'TwinlockAgent',
    ports: { sync: [7440, 7441], control: 7442 },
    minimumOsBuild: options.minimumOsBuild ?? 17763,
    signer,
    contentSha256,
  });
  // The header's length does not depend on the digest's value, so the filler can be sized first.
  const headerLength = encodeHeader(headerFor('0'.repeat(64))).length;
  const content = filler(seed, Math.max(0, size - headerLength));
  const header = encodeHeader(headerFor(createHash('sha256').update(content).digest('hex')));
  const bytes = Buffer.concat([header, content]);

  const manifest: AgentManifest = {
    name: 'TwinlockAgent',
    version,
    file,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    productCode,
    upgradeCode,
    signer: { subject: claimed, thumbprint: thumbprintFor(claimed) },
    service: 'TwinlockAgent',
    ports: { sync: [7440, 7441], control: 7442 },
    minimumOs: { build: options.minimumOsBuild ?? 17763 },
    installArgs: ['ALLUSERS=1'],
  };
  return { manifest, bytes };
}

const manifestText = (manifest: AgentManifest) => `${JSON.stringify(manifest, null, 2)}\n`;

/** Writes the MSI and its manifest; returns the manifest and both paths. */
export function makePackage(options: MakePackageOptions): {
  manifest: AgentManifest;
  manifestPath: string;
  filePath: string;
} {
  const { manifest, bytes } = buildPackage(options);
  mkdirSync(options.outDir, { recursive: true });
  const filePath = join(options.outDir, manifest.file);
  const manifestPath = join(options.outDir, 'agent-manifest.json');
  writeFileSync(filePath, bytes);
  writeFileSync(manifestPath, manifestText(manifest));
  return { manifest, manifestPath, filePath };
}

/**
 * Makes the package Twinlock ships (3.2.1, signed by Twinlock) in `outDir` (resources/agent)
 * unless the one there already is it, byte for byte. Each file is written beside its final name
 * and renamed into place, so that a reader running at the same time (another test run, `npm
 * start`) sees the old file or the new one, never half of one. Returns whether it wrote.
 */
export function ensureShippedPackage(outDir: string): { manifest: AgentManifest; written: boolean } {
  const { manifest, bytes } = buildPackage({});
  const filePath = join(outDir, manifest.file);
  const manifestPath = join(outDir, 'agent-manifest.json');
  const text = manifestText(manifest);
  const same = (path: string, expected: Buffer) => existsSync(path) && readFileSync(path).equals(expected);
  if (same(filePath, bytes) && same(manifestPath, Buffer.from(text))) return { manifest, written: false };
  mkdirSync(outDir, { recursive: true });
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(filePath + suffix, bytes);
  renameSync(filePath + suffix, filePath);
  writeFileSync(manifestPath + suffix, text);
  renameSync(manifestPath + suffix, manifestPath);
  return { manifest, written: true };
}
