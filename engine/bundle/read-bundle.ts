/**
 * Opening a bundle the admin names: a file on this machine or the text of one (a browser sends
 * the file's content). Every error names the file and says what is wrong in Twinlock's own words:
 * never bytes from the file, never the operating system's errno text.
 */
import { open } from 'node:fs/promises';
import type { Bundle } from '../api/models';
import { TwinlockError } from '../api/errors';
import { verifyBundle } from './bundle';
import { TrustedKeys } from './trusted-keys';

/** A bundle is a few kilobytes of JSON; anything past this is not one. */
export const MAX_BUNDLE_BYTES = 256 * 1024;

/** Where a bundle comes from: a path, or its text and the name of the file it was read from. */
export interface BundleSource {
  path?: string | undefined;
  /** Used when `path` is absent. */
  text?: string | undefined;
  name?: string | undefined;
}

function tooLarge(name: string, field: string): TwinlockError {
  return new TwinlockError({
    code: 'bundle-invalid',
    message: `${name} is not a Twinlock bundle: it is larger than ${MAX_BUNDLE_BYTES / 1024} KB, and bundles are a few kilobytes.`,
    hint: 'Choose the .twinlock file exported by Twinlock.',
    detail: { field, path: name },
  });
}

/** Reads a bundle file's text; `not-found` when it does not exist, `invalid-input` when it cannot be read. */
export async function readBundleText(path: string, field = 'path'): Promise<string> {
  const problem = (code: 'not-found' | 'invalid-input', what: string, hint: string) =>
    new TwinlockError({ code, message: `The bundle ${path} ${what}.`, hint, detail: { field, path } });
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR')
      throw problem(
        'not-found',
        'does not exist',
        'Check the path; bundles end in .twinlock (or .twinlock.json, as earlier ones were named).',
      );
    throw problem('invalid-input', 'cannot be read', 'Check that it is a file your account can read.');
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory())
      throw problem('invalid-input', 'is a folder', 'Choose the .twinlock file inside it.');
    if (info.size > MAX_BUNDLE_BYTES) throw tooLarge(path, field);
    const buffer = Buffer.alloc(MAX_BUNDLE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_BUNDLE_BYTES) throw tooLarge(path, field);
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (err) {
    if (err instanceof TwinlockError) throw err;
    throw problem('invalid-input', 'cannot be read', 'Check that it is a file your account can read.');
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The text of a bundle source and the name its messages use. */
export async function bundleSourceText(source: BundleSource): Promise<{ text: string; name: string }> {
  if (source.path !== undefined) return { text: await readBundleText(source.path), name: source.path };
  const name = source.name ?? 'This file';
  const text = source.text ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_BUNDLE_BYTES) throw tooLarge(name, 'text');
  return { text, name };
}

/** Opens a bundle and checks its signature, but not who signed it: only to show or trust its signer. */
export async function openBundleUnchecked(source: BundleSource): Promise<Bundle> {
  const { text, name } = await bundleSourceText(source);
  return verifyBundle(text, { source: name });
}

/** Opens a bundle and accepts it only when a key this workstation trusts signed it (`bundle-untrusted` otherwise). */
export async function openTrustedBundle(dataDir: string, source: BundleSource): Promise<Bundle> {
  const { text, name } = await bundleSourceText(source);
  const trusted = (await new TrustedKeys(dataDir).list()).map((k) => k.publicKey);
  return verifyBundle(text, { source: name, trustedKeys: trusted });
}
