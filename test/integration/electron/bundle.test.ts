/**
 * The desktop bundle as it ships: scripts/build-electron.mjs, then dist-electron/main.js loaded
 * with `--lab` (Electron itself replaced by a stub, its binary being absent here). It must start
 * the lab from its split chunks, create the engine, open one sandboxed window on the app page,
 * answer the page's calls and refuse a foreign one, pass File › Export bundle… to the page, serve
 * the page with its CSP, write nothing into the folder it was started from, and close cleanly on quit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'twinlock-desktop-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the desktop bundle', () => {
  it('starts on the lab, serves its page, answers only the page, and quits cleanly', () => {
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-electron.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
    const main = join(root, 'dist-electron', 'main.js');
    // The lab lives in a chunk next to main.js, loaded only on --lab.
    expect(readdirSync(join(root, 'dist-electron')).filter((f) => /^lab-.*\.js$/.test(f))).toHaveLength(1);

    const cwd = join(work, 'cwd');
    const userData = join(work, 'user-data');
    for (const dir of [cwd, userData]) mkdirSync(dir, { recursive: true });
    const run = spawnSync(
      process.execPath,
      [join(here, 'bundle-child.mjs'), main, join(here, 'electron-stub.mjs')],
      {
        cwd,
        env: { ...process.env, TWINLOCK_STUB_USER_DATA: userData },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({
      windows: 1,
      loaded: 'app://twinlock/index.html',
      preload: join(root, 'dist-electron', 'preload.cjs'),
      sandbox: true,
      labHosts: ['TL-NODE-A', 'TL-NODE-B'],
      foreign: 'This request did not come from the Twinlock window.',
      foreignCode: 'forbidden',
      menu: [['twinlock:menu', 'export-bundle']],
      dialogs: [],
      errors: [],
    });
    expect(existsSync(result.preload as string)).toBe(true);
    // The sandboxed preload carries channel names and nothing of the engine.
    const preload = readFileSync(result.preload as string, 'utf8');
    expect(preload).toContain('twinlock:menu');
    expect(preload).not.toMatch(/zod|TwinlockError|node:/);
    expect(preload.length).toBeLessThan(4096);
    if (existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
      expect(result.page).toMatchObject({ status: 200, hasApp: true });
      expect((result.page as { csp: string }).csp).toContain("default-src 'self'");
    }
    // Started from an empty folder, the app leaves it empty.
    expect(readdirSync(cwd)).toEqual([]);
  });
});
