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
  /** Saves a full-page screenshot as test-results/e2e/<name>.png and returns its path. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(labOptions: LabOptions = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinlock-e2e-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const lab = await startLab(labOptions);
  const engine = createEngine({ dataDir, lab: { hosts: lab.hosts } });
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
  await page.goto(server.url);
  return {
    lab,
    engine,
    browser,
    page,
    dataDir,
    url: server.url,
    async shot(name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close();
      await server.close();
      await engine.close();
      await lab.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (pageErrors.length > 0) throw new Error(`The page raised errors: ${pageErrors.join('; ')}`);
    },
  };
}
