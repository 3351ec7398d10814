/**
 * The Content-Security-Policy both shells serve the wizard with (the browser shell over HTTP, the
 * desktop app over its `app://` scheme), and the per-response nonce its style elements carry.
 * Plain Node, no shell: electron/ and server/ both import it, never each other.
 */
import { randomBytes } from 'node:crypto';

/**
 * What the built page carries wherever a response's nonce goes (vite.config.ts `html.cspNonce`):
 * `<meta property="csp-nonce" nonce="…">`, which renderer/src/csp-nonce.ts reads.
 */
export const CSP_NONCE_PLACEHOLDER = 'TWINLOCK_CSP_NONCE';

/** A fresh nonce for one response of the page: 16 random bytes, base64. */
export function newCspNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The built page with `nonce` in place of the build's placeholder. */
export function pageWithNonce(html: Uint8Array, nonce: string): Buffer {
  return Buffer.from(Buffer.from(html).toString('utf8').replaceAll(CSP_NONCE_PLACEHOLDER, nonce), 'utf8');
}

/**
 * The Content-Security-Policy of both shells; with a port, the browser page may also open its
 * event WebSocket; with a nonce (the page itself), style elements carrying it may apply.
 */
export function contentSecurityPolicy(port?: number, nonce?: string): string {
  // The browser shell's page also opens its event WebSocket; the desktop page talks over IPC only.
  const connect =
    port === undefined
      ? "connect-src 'self'"
      : `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    connect,
    "img-src 'self' data:",
    // naive-ui (css-render) injects its component styles as <style> elements at run time; the page
    // gives each the response's nonce. Styles set through the CSSOM (Vue's :style) need nothing;
    // style attributes in markup and <style> elements without the nonce stay blocked.
    nonce === undefined ? "style-src 'self'" : `style-src 'self' 'nonce-${nonce}'`,
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
