/**
 * A server's C: drive: a folder on this machine standing for C:\. Windows paths
 * (`C:\ProgramData\x`) and SFTP paths (`/C:/ProgramData/x`) both map into it, case-insensitively
 * as NTFS does, and never outside it.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';

/** Path segments below C:\, or null when the path names another drive or climbs above C:\. */
export function driveSegments(path: string, cwd = '/C:/Users/Administrator'): string[] | null {
  let p = path.replace(/\\/g, '/');
  if (/^[A-Za-z]:/.test(p)) p = `/${p}`;
  if (!p.startsWith('/')) p = `${cwd}/${p}`;
  const drive = /^\/([A-Za-z]):(\/|$)/.exec(p);
  if (!drive) return p === '/' ? [] : null;
  if (drive[1]!.toUpperCase() !== 'C') return null;
  const rest = p.slice(3);
  const segments: string[] = [];
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(part);
    }
  }
  return segments;
}

/** The SFTP form of segments below C:\. */
export function sftpPath(segments: string[]): string {
  return posix.join('/C:/', ...segments);
}

/** The Windows form of segments below C:\. */
export function windowsPath(segments: string[]): string {
  return `C:\\${segments.join('\\')}`;
}

export class DriveC {
  constructor(readonly root: string) {
    for (const dir of [
      'Windows/System32',
      'ProgramData',
      'Program Files',
      'Users/Administrator',
      'Windows/Temp',
    ]) {
      mkdirSync(join(root, dir), { recursive: true });
    }
  }

  /**
   * The local path for a Windows or SFTP path, following existing entries case-insensitively;
   * null when the path leaves C:\.
   */
  resolve(path: string): string | null {
    const segments = driveSegments(path);
    if (!segments) return null;
    let current = this.root;
    for (const segment of segments) {
      const exact = join(current, segment);
      if (existsSync(exact)) {
        current = exact;
        continue;
      }
      let match: string | undefined;
      try {
        match = readdirSync(current).find((name) => name.toLowerCase() === segment.toLowerCase());
      } catch {
        match = undefined;
      }
      current = join(current, match ?? segment);
    }
    return current;
  }
}
