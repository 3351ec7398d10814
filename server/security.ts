/**
 * The browser shell's guards: a per-run token, and checks on `Host` and `Origin` so that only the
 * wizard page this server served can drive the engine. Loopback alone is not enough: any web page
 * the admin opens can send requests to 127.0.0.1, and DNS rebinding can make a hostile name
 * resolve there, which is why the `Host` header is pinned too.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { contentSecurityPolicy } from '../web/csp';

/** 32 random bytes, base64url: the token that authorises one run of the server. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two secrets in constant time, whatever their lengths. */
export function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal-length buffers, so a length mismatch leaks nothing either.
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token carried by `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** The `Host` values this server answers to: its own loopback address and `localhost`. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** True when `Host` names this server itself (not a rebound DNS name). */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).includes(host.toLowerCase());
}

/**
 * True when `Origin` is absent (same-origin GETs, non-browser clients) or is exactly the origin
 * of the page this server serves at the requested host.
 */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  if (!isAllowedHost(host, port)) return false;
  return origin === `http://${(host as string).toLowerCase()}`;
}

/** Headers sent with every response, page or API; the page's own response passes its nonce. */
export function securityHeaders(port: number, nonce?: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(port, nonce),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
