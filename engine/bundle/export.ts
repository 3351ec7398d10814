/** Writes a bundle to disk atomically. */
import { isAbsolute, join, resolve } from 'node:path';
import type { Bundle } from '../api/models';
import { BUNDLE_EXTENSION } from '../api/rules';
import { writeFileAtomic } from '../store';
import type { BundleInput } from './bundle';
import { createBundle } from './bundle';
import { loadSigningKey } from './signing-key';

/** `2025-01-02T10:11:12.345Z` → `20250102T101112Z`: sortable and valid in every file system. */
function stamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** The default place: `<dataDir>/bundles/<name>-<timestamp>.twinlock`. */
export function defaultBundlePath(dataDir: string, bundle: Bundle): string {
  return join(dataDir, 'bundles', `${bundle.pair.name}-${stamp(bundle.createdAt)}${BUNDLE_EXTENSION}`);
}

/** Writes the bundle (pretty JSON: the signature covers the canonical form, not the layout). */
export async function writeBundle(bundle: Bundle, dataDir: string, path?: string): Promise<string> {
  const target = path ? (isAbsolute(path) ? path : resolve(path)) : defaultBundlePath(dataDir, bundle);
  // Not a secret, so readable like any document the admin saves.
  await writeFileAtomic(target, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o644 });
  return target;
}

/** Signs a bundle with the workstation's key (created on first use) and writes it. */
export async function exportBundle(
  input: BundleInput,
  dataDir: string,
  path?: string,
): Promise<{ path: string; bundle: Bundle }> {
  const bundle = createBundle(input, await loadSigningKey(dataDir));
  return { path: await writeBundle(bundle, dataDir, path), bundle };
}
