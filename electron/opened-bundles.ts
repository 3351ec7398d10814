/**
 * Bundle files the admin opens with Twinlock: double-clicked (`open-file` on macOS, the command
 * line on Windows and Linux, a second launch while Twinlock runs) or picked with File › Open
 * bundle…. The shell keeps their paths in arrival order and hands the page each one's name and
 * text, so the page, which never names a path, reads it like a bundle it was given.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TwinlockError } from '../engine/api/errors';
import { isBundleFileName } from '../engine/api/rules';

/** What the page receives for one opened bundle. */
export interface OpenedBundle {
  name: string;
  text: string;
}

/** A bundle is a few kilobytes; anything far larger is the wrong file (the page refuses the same). */
export const MAX_OPENED_BUNDLE_BYTES = 256 * 1024;

/** True for a path whose name ends in `.twinlock` or `.twinlock.json` (any case), as Twinlock names bundles. */
export function isBundlePath(value: string): boolean {
  return !value.startsWith('-') && isBundleFileName(value);
}

/** The bundle paths on a command line (Electron's own flags and the app's path are not bundles). */
export function bundlePathsIn(argv: readonly string[], cwd: string): string[] {
  return argv.filter(isBundlePath).map((p) => path.resolve(cwd, p));
}

export class OpenedBundles {
  private readonly paths: string[] = [];

  /** Queues a path; false when it is not a bundle's (nothing is queued). */
  add(filePath: string): boolean {
    if (!isBundlePath(filePath)) return false;
    this.paths.push(filePath);
    return true;
  }

  get size(): number {
    return this.paths.length;
  }

  /** Reads the oldest opened bundle; null when none is waiting. The file's bytes never reach an error. */
  async take(): Promise<OpenedBundle | null> {
    const filePath = this.paths.shift();
    if (filePath === undefined) return null;
    const name = path.basename(filePath);
    let size: number;
    try {
      size = (await stat(filePath)).size;
    } catch {
      throw new TwinlockError({
        code: 'not-found',
        message: `Twinlock could not open ${name}: the file is not there any more.`,
        hint: 'Open the bundle again from where it was saved (File › Open bundle…).',
        detail: { path: filePath },
      });
    }
    if (size > MAX_OPENED_BUNDLE_BYTES) {
      throw new TwinlockError({
        code: 'bundle-invalid',
        message: `${name} is not a Twinlock bundle: it is ${Math.round(size / 1024)} KB, and bundles are a few kilobytes.`,
        hint: 'Open the .twinlock file exported by Twinlock.',
        detail: { path: filePath },
      });
    }
    return { name, text: await readFile(filePath, 'utf8') };
  }
}
