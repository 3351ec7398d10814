/**
 * Where the agent package comes from: the package shipped with Twinlock (`resources/agent/`), a
 * folder the admin picks, or a configuration bundle. A bundle only *references* the package — its
 * version and SHA-256, signed with the rest — and never embeds the MSI (a bundle stays a small,
 * reviewable, secret-free JSON file); the MSI is looked up in the `agent/` folder next to the
 * bundle, then in the folder given, then in the shipped package, and must match the reference.
 */
import { dirname, join, resolve } from 'node:path';
import { TwinlockError } from '../api/errors';
import { openTrustedBundle } from '../bundle/read-bundle';
import type { AgentPackage } from './manifest';
import { loadPackage } from './manifest';

export interface PackageSource {
  /** Folder with bootstrap.ps1, scripts/ and agent/. */
  resourcesDir: string;
  /** A package folder chosen by the admin. */
  packageDir?: string;
  /** A bundle whose agent reference the package must match; it must be signed by a trusted key. */
  bundlePath?: string;
  /** The data folder whose trusted keys a bundle must be signed by. */
  dataDir: string;
  signal?: AbortSignal;
}

/** The shipped package's folder. */
export function defaultPackageDir(resourcesDir: string): string {
  return join(resourcesDir, 'agent');
}

/** Loads and checks the package the source names; errors say which folder and why. */
export async function resolvePackage(source: PackageSource): Promise<AgentPackage> {
  const fallback = defaultPackageDir(source.resourcesDir);
  if (!source.bundlePath) return loadPackage(resolve(source.packageDir ?? fallback), source.signal);

  // The bundle's signer is checked before any package next to it is even looked at.
  const wanted = (await openTrustedBundle(source.dataDir, { path: source.bundlePath })).agent;
  const candidates = [
    join(dirname(resolve(source.bundlePath)), 'agent'),
    ...(source.packageDir ? [resolve(source.packageDir)] : []),
    fallback,
  ];
  const seen: string[] = [];
  for (const dir of candidates) {
    let pkg: AgentPackage;
    try {
      pkg = await loadPackage(dir, source.signal);
    } catch (err) {
      // No package in this folder (no manifest): look in the next one. A package that is there but
      // wrong (bad manifest, missing or altered MSI) stops the search with its own error.
      if (err instanceof TwinlockError && err.code === 'not-found') continue;
      throw err;
    }
    if (pkg.manifest.version === wanted.version && pkg.manifest.sha256 === wanted.sha256.toLowerCase())
      return pkg;
    seen.push(`${pkg.manifest.version} in ${dir}`);
  }
  throw new TwinlockError({
    code: 'invalid-input',
    message: `The bundle asks for agent ${wanted.version} (SHA-256 ${wanted.sha256.slice(0, 12)}…), but ${seen.length > 0 ? `only ${seen.join(' and ')} was found` : 'no agent package was found'}.`,
    hint: `Put the agent ${wanted.version} package (agent-manifest.json and its MSI) in an “agent” folder next to the bundle, or choose its folder.`,
    detail: { version: wanted.version, sha256: wanted.sha256, searched: candidates },
  });
}
