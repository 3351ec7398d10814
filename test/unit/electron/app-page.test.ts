import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveAppRequest } from '../../../electron/app-page';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'twinlock-app-page-'));
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><meta property="csp-nonce" nonce="TWINLOCK_CSP_NONCE"><title>Twinlock</title>',
  );
  await writeFile(path.join(dir, 'app.css'), 'body{}');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('app:// page', () => {
  it('carries a fresh style nonce per load, in its policy and its page, and never unsafe-inline', async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await serveAppRequest(dir, 'app://twinlock/index.html');
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("connect-src 'self'");
      const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{22,})'/.exec(csp)?.[1];
      expect(nonce, csp).toBeDefined();
      const body = await page.text();
      expect(body).toContain(`<meta property="csp-nonce" nonce="${nonce}">`);
      expect(body).not.toContain('TWINLOCK_CSP_NONCE');
      nonces.push(nonce!);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    const css = await serveAppRequest(dir, 'app://twinlock/app.css');
    expect(css.headers.get('content-security-policy')).toContain("style-src 'self';");
    expect(await css.text()).toBe('body{}');
  });
});
