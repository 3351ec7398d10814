/**
 * Saving a file the page holds (a report, a plan, a bundle) the way the shell saves files: the
 * desktop app asks where with the native Save dialog; a browser downloads it. The engine's own copy,
 * when it keeps one, stays where it wrote it.
 */
import type { ApiClient } from './client';

/** A file to hand to the admin. */
export interface FileToSave {
  /** File name only, e.g. `verify-HV01-HV02.pdf`. */
  name: string;
  /** What it is, in words, for the Save dialog's filter (`PDF document`). */
  kind: string;
  /** MIME type for a browser download. */
  mimeType: string;
  contentBase64: string;
}

/** How a report format is named to the Save dialog and typed for a download. */
export const DOCUMENT_KINDS = {
  html: { kind: 'Web page', mimeType: 'text/html' },
  pdf: { kind: 'PDF document', mimeType: 'application/pdf' },
  json: { kind: 'JSON data', mimeType: 'application/json' },
} as const;

/** Where a saved file went: a path the admin chose, or the browser's downloads. */
export type SavedFile =
  { saved: true; where: 'path'; path: string } | { saved: true; where: 'downloads' } | { saved: false };

/** Text as the base64 of its UTF-8 bytes, as a file to save carries it. */
export function textToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  // In slices: one call with every byte as an argument overflows the stack on a large file.
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The little of the page a download needs (typed here so the module also loads in unit tests). */
interface DownloadLink {
  href: string;
  download: string;
  rel: string;
  style: { display: string };
  click(): void;
  remove(): void;
}
export interface DownloadPage {
  createElement(tag: 'a'): DownloadLink;
  body: { append(link: DownloadLink): void };
}

const pageDocument = (): DownloadPage => (globalThis as unknown as { document: DownloadPage }).document;

/** Downloads through the browser: a link to the bytes, clicked once, then released. */
export function downloadInBrowser(file: FileToSave, doc: DownloadPage = pageDocument()): void {
  const url = URL.createObjectURL(new Blob([bytesOf(file.contentBase64)], { type: file.mimeType }));
  const link = doc.createElement('a');
  link.href = url;
  link.download = file.name;
  link.rel = 'noopener';
  link.style.display = 'none';
  doc.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The download has its own reference by now; give it a moment before the URL goes.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

/** Saves `file` through the desktop shell's Save dialog when there is one, or as a browser download. */
export async function saveFile(client: ApiClient, file: FileToSave): Promise<SavedFile> {
  if (client.saveFile) {
    const result = await client.saveFile({
      name: file.name,
      kind: file.kind,
      contentBase64: file.contentBase64,
    });
    return result.saved && result.path !== null
      ? { saved: true, where: 'path', path: result.path }
      : { saved: false };
  }
  downloadInBrowser(file);
  return { saved: true, where: 'downloads' };
}
