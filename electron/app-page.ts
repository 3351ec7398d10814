/**
 * The wizard is served from a privileged custom scheme (`app://twinlock/`) rather than file://:
 * a file:// page shares its origin with every file on disk, while this one can reach nothing but
 * the built renderer folder.
 */
import { contentSecurityPolicy, newCspNonce, pageWithNonce } from '../web/csp';
import { readStaticFile } from '../web/static-files';

export const APP_SCHEME = 'app';
export const APP_HOST = 'twinlock';
/** The one page the window ever shows. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The policy for the desktop page's files: no network at all, only its own files. */
export const DESKTOP_CSP = contentSecurityPolicy();

/** The policy of one response of the page itself, whose style elements carry `nonce`. */
export function desktopPagePolicy(nonce: string): string {
  return contentSecurityPolicy(undefined, nonce);
}

/** True for a URL of the app's own page (any file of it, any query or hash). */
export function isAppUrl(url: string | undefined | null): boolean {
  if (typeof url !== 'string') return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** True for the wizard page itself (where IPC calls may come from). */
export function isAppPage(url: string | undefined | null): boolean {
  if (!isAppUrl(url)) return false;
  const pathname = new URL(url as string).pathname;
  return pathname === '/' || pathname === '/index.html';
}

/** Answers one request for `app://twinlock/…` from the built renderer folder. */
export async function serveAppRequest(rendererDir: string, url: string): Promise<Response> {
  const headers = {
    'Content-Security-Policy': DESKTOP_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  if (!isAppUrl(url)) return new Response('Not found.', { status: 404, headers });
  const file = await readStaticFile(rendererDir, new URL(url).pathname);
  if (file === null) return new Response('Not found.', { status: 404, headers });
  if (file.contentType.startsWith('text/html')) {
    // Each load of the page gets its own nonce, in its policy and on its <meta property="csp-nonce">.
    const nonce = newCspNonce();
    return new Response(new Uint8Array(pageWithNonce(file.body, nonce)), {
      status: 200,
      headers: {
        ...headers,
        'Content-Security-Policy': desktopPagePolicy(nonce),
        'Content-Type': file.contentType,
      },
    });
  }
  return new Response(new Uint8Array(file.body), {
    status: 200,
    headers: { ...headers, 'Content-Type': file.contentType },
  });
}
