/**
 * Serves the built wizard (Vite's output) read-only, with the right content types and no way out
 * of its folder: the browser shell over HTTP and the desktop app over `app://` alike.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content type for a file name; unknown types are served as opaque bytes. */
export function contentTypeFor(fileName: string): string {
  return CONTENT_TYPES[path.extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a URL path to a file inside `root`, or null when the path is malformed or would leave
 * `root` (`..`, encoded separators, NUL bytes, absolute Windows paths).
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  if (relative.split('/').some((part) => part === '..')) return null;
  const base = path.resolve(root);
  const full = path.resolve(base, relative);
  if (full !== base && !full.startsWith(base + path.sep)) return null;
  return full;
}

/** The compressed copies the build writes beside a file, by content coding, and their suffix. */
export const PRECOMPRESSED = { br: '.br', gzip: '.gz' } as const;
export type ContentCoding = keyof typeof PRECOMPRESSED;

/** A file ready to send. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Set when `body` is a precompressed copy (send it as `Content-Encoding`). */
  encoding?: ContentCoding;
}

async function fileAt(full: string): Promise<Buffer | null> {
  try {
    const info = await stat(full);
    return info.isFile() ? await readFile(full) : null;
  } catch {
    return null;
  }
}

/**
 * Reads a file under `root` for a URL path, or null when there is none (or it is a folder). With
 * `encodings` (the content codings the client accepts, best first), a precompressed copy the build
 * wrote beside the file is read instead when there is one; the file itself otherwise.
 */
export async function readStaticFile(
  root: string,
  urlPath: string,
  encodings: readonly ContentCoding[] = [],
): Promise<StaticFile | null> {
  const full = resolveStaticPath(root, urlPath);
  if (full === null) return null;
  const contentType = contentTypeFor(full);
  for (const encoding of encodings) {
    const body = await fileAt(full + PRECOMPRESSED[encoding]);
    if (body !== null) return { body, contentType, encoding };
  }
  const body = await fileAt(full);
  return body === null ? null : { body, contentType };
}
