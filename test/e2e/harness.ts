/**
 * The whole product on one machine: the lab's servers, the engine, the browser shell, and
 * Chromium driven by playwright-core. Screenshots go to test-results/e2e/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { createEngine } from '../../engine/api/engine';
import type { EngineOptions } from '../../engine/api/engine';
import type { TwinlockEngine } from '../../engine/api';
import { startLab } from '../../lab/index';
import type { Lab, LabOptions } from '../../lab/index';
import { startServer } from '../../server/http-server';

export const CHROMIUM = process.env.TWINLOCK_CHROMIUM ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOT_DIR = join(root, 'test-results', 'e2e');

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
   * Saves a screenshot as test-results/e2e/<name>.png and returns its path. The wizard scrolls
   * inside its frame, so `whole` unrolls the frame first to show the entire screen.
   */
  shot(name: string, options?: { whole?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the lab, the engine (with `engineOptions`, e.g. shorter waits) and the page. */
export async function startStack(
  labOptions: LabOptions = {},
  engineOptions: Pick<EngineOptions, 'timings'> = {},
): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-e2e-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const lab = await startLab(labOptions);
  const engine = createEngine({ ...engineOptions, dataDir, lab: { hosts: lab.hosts } });
  const server = await startServer({ engine, port: 0, staticDir: join(root, 'dist', 'renderer') });
  const browser = await chromium.launch({
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
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
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
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      if (!options.whole) {
        await page.screenshot({ path, fullPage: true });
        return path;
      }
      const style = await page.addStyleTag({
        content: '.shell { height: auto !important; } .content { overflow: visible !important; }',
      });
      try {
        await page.screenshot({ path, fullPage: true });
      } finally {
        await style.evaluate((el) => (el as { remove(): void }).remove());
      }
      return path;
    },
    async close() {
      await browser.close();
      await server.close();
      await engine.close();
      await lab.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (pageErrors.length > 0) throw new Error(`The page raised errors: ${pageErrors.join('; ')}`);
      if (cspViolations.length > 0) throw new Error(`The page's Content-Security-Policy refused: ${cspViolations.join('; ')}`);
    },
  };
}
