/**
 * The browser shell without its token: a page opened without the link Twinlock printed (or with a
 * stale token from an earlier run) shows how to open Twinlock again instead of a wizard whose
 * every step would fail; the printed link opens the wizard.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR, SMALL_SCREEN, expectAccessible, startShell } from './harness';
import type { Shell } from './harness';

const MESSAGE =
  'This page needs the link Twinlock printed when it started (it carries a one-time token). Open that link again, or restart with npm start.';

let shell: Shell;
let server: Shell['server'];
let browser: Browser;

beforeAll(async () => {
  shell = await startShell();
  ({ server, browser } = shell);
});

afterAll(async () => {
  await shell?.close();
});

/** Opens `path` in a fresh tab (its own sessionStorage) and returns what the page shows. */
async function open(path: string) {
  const context = await browser.newContext({ viewport: SMALL_SCREEN });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(new URL(path, server.url).toString());
  return { page, errors, close: () => context.close() };
}

describe('the page without its token', () => {
  it('says to open the printed link when opened without a token', async () => {
    const { page, errors, close } = await open('/');
    const refused = page.getByTestId('access-refused');
    await refused.waitFor();
    expect((await refused.innerText()).replace(/\s+/g, ' ')).toContain(MESSAGE);
    expect(await page.locator('main.content').count()).toBe(0);
    await expectAccessible(page, 'the page without its token');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'access-refused.png') });
    expect(errors).toEqual([]);
    await close();
  });

  it('says the same when the token is stale (the server answers 401)', async () => {
    const { page, errors, close } = await open('/?token=from-an-earlier-run');
    await page.getByTestId('access-refused').waitFor();
    // The stale token left the address bar like a good one.
    expect(page.url()).not.toContain('token=');
    expect(errors).toEqual([]);
    await close();
  });

  it('opens the wizard from the printed link', async () => {
    const { page, errors, close } = await open(server.url);
    await page.locator('main.content[data-step="discover"]').waitFor();
    expect(await page.getByTestId('access-refused').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});
