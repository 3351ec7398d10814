/**
 * The first screen loads only what it needs, compressed: the scripts the page starts with (its
 * entry and the modules it preloads), as the browser received them, stay within 120 KB; every
 * later screen comes in its own chunk, fetched once the first has painted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SMALL_SCREEN, startShell } from './harness';
import type { Shell } from './harness';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The first screen's script budget, compressed as sent. */
const FIRST_SCREEN_JS_BYTES = 120 * 1024;

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

it('starts the first screen from at most 120 KB of compressed script, and loads every later screen on its own', async () => {
  // What the page itself loads before the wizard can draw anything: its entry script and the
  // modules it preloads. Everything else is a chunk fetched when a screen (or a part of one) needs it.
  const page = readFileSync(join(root, 'dist', 'renderer', 'index.html'), 'utf8');
  const initial = [...page.matchAll(/(?:src|href)="\.\/(assets\/[\w.-]+\.js)"/g)].map((m) => m[1]!);
  expect(initial.length).toBeGreaterThan(0);

  const context = await browser.newContext({ viewport: SMALL_SCREEN });
  const tab = await context.newPage();
  const encodings = new Map<string, string>();
  tab.on('response', (response) => {
    const path = new URL(response.url()).pathname.slice(1);
    if (path.endsWith('.js')) encodings.set(path, response.headers()['content-encoding'] ?? '');
  });
  await tab.goto(server.url);
  await tab.getByRole('heading', { name: 'Find your two servers' }).waitFor();
  // The later screens are fetched once the first has painted: wait for the last of them.
  await tab.waitForFunction(() =>
    performance.getEntriesByType('resource').some((e) => /DoneScreen-[\w-]+\.js$/.test(e.name)),
  );
  const load = await tab.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    scripts: (
      performance.getEntriesByType('resource') as unknown as {
        name: string;
        encodedBodySize: number;
        decodedBodySize: number;
      }[]
    )
      .filter((e) => e.name.endsWith('.js'))
      .map((e) => ({
        path: new URL(e.name).pathname.slice(1),
        bytes: e.encodedBodySize,
        unpacked: e.decodedBodySize,
      })),
  }));
  const sum = (list: { bytes: number }[]) => list.reduce((total, s) => total + s.bytes, 0);
  const first = load.scripts.filter((s) => initial.includes(s.path));
  expect(first.map((s) => s.path).sort()).toEqual([...initial].sort());
  const sent = sum(first);
  const unpacked = first.reduce((total, s) => total + s.unpacked, 0);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `First screen: ${first.length} scripts, ${kb(sent)} sent (${kb(unpacked)} unpacked); first contentful paint at ${Math.round(load.fcp ?? -1)} ms; ${kb(sum(load.scripts))} of script in all once every screen is fetched.`,
  );
  expect(sent).toBeLessThanOrEqual(FIRST_SCREEN_JS_BYTES);
  // Sent compressed (Brotli, which the browser accepts), not unpacked.
  expect(sent).toBeLessThan(unpacked / 2);
  for (const s of first) expect(encodings.get(s.path), s.path).toBe('br');
  expect(load.fcp).not.toBeNull();
  // Each later screen is a chunk of its own, not part of what the page starts with.
  for (const name of [
    'ConnectScreen',
    'VerifyScreen',
    'InstallScreen',
    'PairScreen',
    'ApplyScreen',
    'DoneScreen',
  ]) {
    const chunk = load.scripts.find((s) => s.path.startsWith(`assets/${name}-`));
    expect(chunk, name).toBeDefined();
    expect(initial).not.toContain(chunk!.path);
  }
  await context.close();
});
