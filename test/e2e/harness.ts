/**
 * The whole product on one machine: the lab's servers, the engine, the browser shell, and
 * Chromium driven by playwright-core. Screenshots go to test-results/e2e/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { createEngine } from '../../engine/engine';
import type { EngineOptions } from '../../engine/engine';
import type { TwinlockEngine } from '../../engine/api';
import { startLab } from '../../lab/index';
import type { Lab, LabOptions } from '../../lab/index';
import { startServer } from '../../server/http-server';

export const CHROMIUM = process.env.TWINLOCK_CHROMIUM ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOT_DIR = join(root, 'test-results', 'e2e');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One accessibility problem axe-core found, as the tests report it. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on what the page shows now and returns the critical
 * and serious findings, each with the elements it names.
 */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  // A panel still fading or sliding in has colours on their way: judge the screen once it settles.
  await page.evaluate(async () => {
    // Runs in the page.
    const running = ((globalThis as any).document.getAnimations() as any[]).filter(
      (a) => a.effect?.getTiming?.().iterations !== Infinity,
    );
    await Promise.all(running.map((a) => a.finished.catch(() => undefined)));
  });
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // Runs in the page, where axe-core was just injected.
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations
      .filter((v: any) => v.impact === 'critical' || v.impact === 'serious')
      .map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes
          .map(
            (n: any) =>
              `${n.target.join(' ')}${
                v.id === 'color-contrast'
                  ? ` (${String(n.any?.[0]?.message ?? '')
                      .replace(/\s+/g, ' ')
                      .slice(0, 140)})`
                  : ''
              }`,
          )
          .slice(0, 12),
      }));
  });
}

export interface Stack {
  lab: Lab;
  engine: TwinlockEngine;
  browser: Browser;
  page: Page;
  dataDir: string;
  url: string;
  /**
   * What the page's Content-Security-Policy refused so far (Chromium's console errors); closing the
   * stack fails when any is left, so every screen a test walks is checked. Clear it after a refusal
   * provoked on purpose.
   */
  cspViolations: string[];
  /**
   * Checks the screen with axe-core (see {@link Stack.expectAccessible}), then saves a screenshot
   * as test-results/e2e/<name>.png (1366×768) and <name>@1920x1080.png, and returns the first's path: every screen a test shows is checked.
   * The wizard scrolls inside its frame, so `whole` unrolls the frame first to show the entire screen.
   */
  shot(name: string, options?: { whole?: boolean }): Promise<string>;
  /** Fails with every critical or serious axe-core finding on the screen as it is now. */
  expectAccessible(screen: string): Promise<void>;
  close(): Promise<void>;
}

/** Fails with every critical or serious axe-core finding on the page as it is now. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const findings = await axeFindings(page);
  if (findings.length > 0) {
    const lines = findings.map((f) => `${f.impact} ${f.id}: ${f.help} — ${f.targets.join(' | ')}`);
    throw new Error(`Accessibility problems on ${screen}:\n${lines.join('\n')}`);
  }
}

/** The laptop screen every walk runs at, and the desktop screen each screen is also shot at. */
export const SMALL_SCREEN = { width: 1366, height: 768 };
export const LARGE_SCREEN = { width: 1920, height: 1080 };

/** Debian's Chromium, headless, with nothing of its own reaching the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The engine (no lab), the browser shell and Chromium: for tests of the page itself. */
export interface Shell {
  engine: TwinlockEngine;
  server: Awaited<ReturnType<typeof startServer>>;
  browser: Browser;
  close(): Promise<void>;
}

export async function startShell(): Promise<Shell> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-e2e-shell-'));
  const engine = createEngine({ dataDir });
  const server = await startServer({ engine, port: 0, staticDir: join(root, 'dist', 'renderer') });
  const browser = await launchChromium();
  return {
    engine,
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the lab, the engine (with `engineOptions`, e.g. shorter waits) and the page. */
export async function startStack(
  labOptions: LabOptions = {},
  engineOptions: Pick<EngineOptions, 'timings'> = {},
  pageOptions: { viewport?: { width: number; height: number } } = {},
): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-e2e-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const lab = await startLab(labOptions);
  const engine = createEngine({
    ...engineOptions,
    dataDir,
    lab: { hosts: lab.hosts, witness: lab.suggestedWitness },
  });
  const server = await startServer({ engine, port: 0, staticDir: join(root, 'dist', 'renderer') });
  const browser = await launchChromium();
  const page = await browser.newPage({
    viewport: pageOptions.viewport ?? SMALL_SCREEN,
    acceptDownloads: true,
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const cspViolations: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  await page.goto(server.url);
  return {
    lab,
    engine,
    browser,
    page,
    dataDir,
    url: server.url,
    cspViolations,
    async shot(name, options = {}) {
      await expectAccessible(page, name);
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      const style = options.whole
        ? await page.addStyleTag({
            content: '.shell { height: auto !important; } .content { overflow: visible !important; }',
          })
        : null;
      try {
        // At the laptop size the walk runs at, then at a desktop monitor's.
        await page.screenshot({ path, fullPage: true });
        const viewport = page.viewportSize() ?? SMALL_SCREEN;
        await page.setViewportSize(LARGE_SCREEN);
        try {
          await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}@1920x1080.png`), fullPage: true });
        } finally {
          await page.setViewportSize(viewport);
        }
      } finally {
        await style?.evaluate((el) => (el as { remove(): void }).remove());
      }
      return path;
    },
    expectAccessible: (screen) => expectAccessible(page, screen),
    async close() {
      await browser.close();
      await server.close();
      await engine.close();
      await lab.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (pageErrors.length > 0) throw new Error(`The page raised errors: ${pageErrors.join('; ')}`);
      if (cspViolations.length > 0)
        throw new Error(`The page's Content-Security-Policy refused: ${cspViolations.join('; ')}`);
    },
  };
}
