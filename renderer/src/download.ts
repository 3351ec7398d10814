/**
 * Files the page hands to the admin: a download through a Blob link, which a browser saves to its
 * downloads folder and the desktop app to the place its save dialog asks for.
 */

/** Saves `content` as `name`. */
export function download(name: string, content: Blob): void {
  const url = URL.createObjectURL(content);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The click starts the download before this runs out; the URL is no longer needed after it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The bytes of a base64 string (what the engine sends a file as). */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Copies text to the clipboard; false when the page may not (no permission, no focus). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
