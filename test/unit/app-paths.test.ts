import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appPaths, resolveAppPaths } from '../../engine/app-paths';

const work = mkdtempSync(join(tmpdir(), 'twinlock-paths-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tree(...dirs: string[]): string {
  const root = join(work, ...dirs);
  mkdirSync(join(root, 'dist-electron'), { recursive: true });
  mkdirSync(join(root, 'dist-cli', 'chunks'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{}');
  return root;
}

describe('where Twinlock finds its own files', () => {
  it('uses the folder holding package.json, from the sources and from either bundle', () => {
    const repo = tree('checkout');
    for (const codeDir of [
      join(repo, 'dist-cli'),
      join(repo, 'dist-cli', 'chunks'),
      join(repo, 'dist-electron'),
    ]) {
      // Electron started on the checkout has a resourcesPath of its own, inside node_modules/electron.
      for (const resourcesPath of [undefined, join(repo, 'node_modules', 'electron', 'dist', 'resources')]) {
        expect(resolveAppPaths(codeDir, resourcesPath)).toEqual({
          root: repo,
          packaged: false,
          resources: join(repo, 'resources'),
          bootstrap: join(repo, 'resources', 'bootstrap.ps1'),
          scripts: join(repo, 'resources', 'scripts'),
          agent: join(repo, 'resources', 'agent'),
          labProfiles: join(repo, 'lab', 'profiles'),
          renderer: join(repo, 'dist', 'renderer'),
        });
      }
    }
  });

  it('reads the extra resources beside the app archive once installed', () => {
    const resourcesPath = join(work, 'installed', 'resources');
    const archive = tree('installed', 'resources', 'app.asar');
    expect(resolveAppPaths(join(archive, 'dist-electron'), resourcesPath)).toEqual({
      root: archive,
      packaged: true,
      resources: join(resourcesPath, 'resources'),
      bootstrap: join(resourcesPath, 'resources', 'bootstrap.ps1'),
      scripts: join(resourcesPath, 'resources', 'scripts'),
      agent: join(resourcesPath, 'resources', 'agent'),
      labProfiles: join(resourcesPath, 'lab', 'profiles'),
      renderer: join(archive, 'dist', 'renderer'),
    });
  });

  it('finds the repository’s own files from the source tree', () => {
    const paths = appPaths();
    expect(paths.packaged).toBe(false);
    expect(paths.root).toBe(join(import.meta.dirname, '..', '..'));
  });
});
