/**
 * The agent package: `agent-manifest.json` plus the MSI it names (see docs/agent-contract.md).
 * A package is checked on the workstation before a single byte is sent to a server.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TwinlockError } from '../api/errors';
import { PortSchema } from '../api/models';

/** The manifest's file name inside a package folder. */
export const MANIFEST_FILE = 'agent-manifest.json';

const guid = z
  .string()
  .regex(
    /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/,
    'must be a GUID in braces, e.g. {0F1E2D3C-…}',
  )
  .transform((s) => s.toUpperCase());

/** `agent-manifest.json`, as docs/agent-contract.md defines it. */
export const AgentManifestSchema = z.object({
  /** Product name as Windows Installer registers it, e.g. `TwinlockAgent`. */
  name: z.string().min(1),
  /** Dotted numeric version, e.g. `3.2.1`. */
  version: z.string().regex(/^\d+(\.\d+){1,3}$/, 'must be a dotted version such as 3.2.1'),
  /** The MSI's file name in the package folder (no folders). */
  file: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.msi$/i, 'must be a plain .msi file name with no folders or spaces'),
  /** The MSI's size in bytes. */
  size: z.number().int().positive(),
  /** The MSI's SHA-256, hex. */
  sha256: z
    .string()
    .regex(/^[0-9A-Fa-f]{64}$/, 'must be 64 hexadecimal characters')
    .transform((s) => s.toLowerCase()),
  productCode: guid,
  upgradeCode: guid,
  /** The Authenticode signer every server must see on its copy. */
  signer: z.object({
    subject: z.string().min(1),
    thumbprint: z
      .string()
      .regex(/^[0-9A-Fa-f]{40}$/, 'must be the 40-character hexadecimal certificate thumbprint')
      .transform((s) => s.toUpperCase()),
  }),
  /** Windows service name. */
  service: z.string().min(1),
  ports: z.object({ sync: z.array(PortSchema).min(1), control: PortSchema }),
  minimumOs: z.object({ build: z.number().int().positive() }),
  /**
   * Extra msiexec properties. Only `NAME=value` pairs: anything else could smuggle switches
   * (such as a different log or a reboot) into msiexec's command line.
   */
  installArgs: z.array(
    z.string().regex(/^[A-Z][A-Z0-9_]*=[^"\s]*$/, 'each entry must be a PROPERTY=value pair'),
  ),
});
export type AgentManifest = z.infer<typeof AgentManifestSchema>;

/** A validated package on the workstation. */
export interface AgentPackage {
  /** The package folder. */
  dir: string;
  manifest: AgentManifest;
  /** Full path of the MSI. */
  msiPath: string;
}

function invalid(message: string, hint: string, detail?: Record<string, unknown>): TwinlockError {
  return new TwinlockError({ code: 'invalid-input', message, hint, ...(detail ? { detail } : {}) });
}

/** Parses manifest JSON; errors name the field. */
export function parseManifest(json: unknown, where = MANIFEST_FILE): AgentManifest {
  const parsed = AgentManifestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw invalid(
    `The agent manifest ${where} is not valid: ${field} ${issue?.message ?? 'is invalid'}.`,
    `Fix the field "${field}" in ${where}, or use the agent package as it was shipped.`,
    { path: where, field },
  );
}

/** Streams a file through SHA-256 (an MSI can be hundreds of MB). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path, signal ? { signal } : {});
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Loads a package folder: validates the manifest, then checks the MSI's size and SHA-256.
 * Throws `not-found` when the folder holds no manifest, `invalid-input` naming the file and the
 * fix when the package is not right.
 */
export async function loadPackage(dir: string, signal?: AbortSignal): Promise<AgentPackage> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    // `not-found`, not `invalid-input`: a folder without a package is skipped where several are searched.
    throw new TwinlockError({
      code: 'not-found',
      message: `There is no agent package in ${dir}: ${MANIFEST_FILE} is missing.`,
      hint: 'Choose the folder that holds agent-manifest.json and the agent MSI.',
      detail: { path: manifestPath },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    // Never the parser's message: it quotes bytes of the file.
    throw invalid(
      `The agent manifest ${manifestPath} is not valid JSON.`,
      'Restore the manifest from the agent package as it was shipped.',
      { path: manifestPath },
    );
  }
  const manifest = parseManifest(json, manifestPath);
  const msiPath = join(dir, manifest.file);
  let size: number;
  try {
    size = (await stat(msiPath)).size;
  } catch {
    throw invalid(
      `The agent installer ${msiPath} named by the manifest is missing.`,
      `Copy ${manifest.file} next to ${MANIFEST_FILE}.`,
      { path: msiPath },
    );
  }
  if (size !== manifest.size) {
    throw invalid(
      `The agent installer ${msiPath} is ${size} bytes, but the manifest says ${manifest.size}: it is incomplete or not the right file.`,
      'Download the agent package again; do not install a file that does not match its manifest.',
      { path: msiPath, expected: manifest.size, actual: size },
    );
  }
  const sha256 = await sha256File(msiPath, signal);
  if (sha256 !== manifest.sha256) {
    throw invalid(
      `The agent installer ${msiPath} does not match the SHA-256 in its manifest: it was altered or damaged.`,
      'Download the agent package again from a trusted source; do not install this file.',
      { path: msiPath, expected: manifest.sha256, actual: sha256 },
    );
  }
  return { dir, manifest, msiPath };
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
