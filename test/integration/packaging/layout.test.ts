/**
 * The installed app, laid out from build/electron-builder.yml as electron-builder ships it
 * (scripts/lay-out-app.mjs: app.asar, its unpacked native modules, the extra resources), then
 * started from that layout as Electron would start it — app.isPackaged, process.resourcesPath the
 * layout's resources folder — with `--lab`: the engine and the lab find every file of theirs there,
 * and the wizard's calls take the lab's pair from connection to "protected".
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractAll, listPackage } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const stubDir = join(root, 'test', 'integration', 'electron');
const work = mkdtempSync(join(tmpdir(), 'twinlock-layout-'));
const layout = join(work, 'layout');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  // The desktop bundle is rebuilt by the test setup; the wizard's page only when it is missing
  // (npm test builds it before the tests).
  if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
    const vite = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(vite.status, vite.stderr).toBe(0);
  }
  const laid = spawnSync(process.execPath, [join(root, 'scripts', 'lay-out-app.mjs'), '--out', layout], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(laid.status, laid.stderr).toBe(0);
}, 120_000);

describe('the installed app’s layout', () => {
  it('holds the code in app.asar and the files read at run time beside it', () => {
    const resources = join(layout, 'resources');
    const inArchive = listPackage(join(resources, 'app.asar'), { isPack: false }).map((p) =>
      p.replaceAll('\\', '/'),
    );
    for (const file of [
      '/package.json',
      '/dist-electron/main.js',
      '/dist-electron/preload.cjs',
      '/dist/renderer/index.html',
      '/node_modules/ssh2/package.json',
    ]) {
      expect(inArchive).toContain(file);
    }
    // No sources, maps, tests, dev tools or run-time resources in the archive.
    const unwanted = (p: string) =>
      /\.map$|\.d\.ts$|^\/(resources|lab|test|engine|cli|electron|renderer|bin|build|scripts)\//.test(p) ||
      /^\/[^/]+\.ts$/.test(p) ||
      ['tsx', 'electron', 'vitest', 'esbuild', 'typescript'].some((dev) =>
        p.startsWith(`/node_modules/${dev}/`),
      );
    expect(inArchive.filter(unwanted)).toEqual([]);
    // Native modules stay loadable outside the archive.
    expect(
      existsSync(
        join(
          resources,
          'app.asar.unpacked',
          'node_modules',
          'ssh2',
          'lib',
          'protocol',
          'crypto',
          'build',
          'Release',
          'sshcrypto.node',
        ),
      ),
    ).toBe(
      existsSync(
        join(root, 'node_modules', 'ssh2', 'lib', 'protocol', 'crypto', 'build', 'Release', 'sshcrypto.node'),
      ),
    );
    expect(existsSync(join(resources, 'resources', 'bootstrap.ps1'))).toBe(true);
    expect(
      readdirSync(join(resources, 'resources', 'scripts')).filter((f) => f.endsWith('.ps1')).length,
    ).toBeGreaterThan(5);
    expect(readdirSync(join(resources, 'resources', 'agent')).length).toBeGreaterThan(0);
    expect(readdirSync(join(resources, 'lab', 'profiles'))).toContain('matched-pair.json');
  });

  it('starts the engine and the lab from it and reaches protected', () => {
    // Electron reads app.asar as a folder; plain Node cannot, so the archive is extracted in place
    // of itself, next to the extra resources, and nothing else of the checkout is reachable.
    const installed = join(work, 'installed', 'resources');
    mkdirSync(installed, { recursive: true });
    for (const entry of readdirSync(join(layout, 'resources'))) {
      if (entry !== 'app.asar' && entry !== 'app.asar.unpacked')
        cpSync(join(layout, 'resources', entry), join(installed, entry), { recursive: true });
    }
    extractAll(join(layout, 'resources', 'app.asar'), join(installed, 'app.asar'));
    const cwd = join(work, 'cwd');
    const userData = join(work, 'user-data');
    for (const dir of [cwd, userData]) mkdirSync(dir, { recursive: true });

    const run = spawnSync(
      process.execPath,
      [
        join(here(), 'packaged-child.mjs'),
        join(installed, 'app.asar', 'dist-electron', 'main.js'),
        join(stubDir, 'electron-stub.mjs'),
      ],
      {
        cwd,
        env: { ...process.env, TWINLOCK_STUB_RESOURCES_PATH: installed, TWINLOCK_STUB_USER_DATA: userData },
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result.failure, JSON.stringify(result.steps)).toBeUndefined();
    expect(result).toMatchObject({
      connected: ['TL-NODE-A', 'TL-NODE-B'],
      install: {
        state: 'done',
        error: null,
        actions: ['TL-NODE-A installed 3.2.1', 'TL-NODE-B installed 3.2.1'],
      },
      pair: { state: 'done', error: null, pair: 'protected' },
      status: [
        { role: 'primary', pair: 'protected' },
        { role: 'secondary', pair: 'protected' },
      ],
      errors: [],
    });
    expect(readdirSync(cwd)).toEqual([]);
  }, 120_000);
});

function here(): string {
  return fileURLToPath(new URL('.', import.meta.url));
}
