/**
 * Where Twinlock's own files are, resolved one way for every way it runs: from the source tree
 * (under tsx or vitest), as the bundled command line (dist-cli/), as the desktop bundle
 * (dist-electron/), and as the installed desktop app.
 *
 * The code finds its application root by walking up from its own folder to the first folder with
 * a package.json: the repository (or the installed npm package) in the first three cases, the
 * app archive (`resources/app.asar`) in the installed app. The installed app ships the files read
 * at run time outside the archive, as electron-builder's extraResources, under Electron's
 * `process.resourcesPath`: it is installed when its root lies inside that folder.
 *
 * | file                | source tree, dist-cli/, dist-electron/ | installed app                     |
 * | ------------------- | -------------------------------------- | --------------------------------- |
 * | remote scripts etc. | <root>/resources                       | <resourcesPath>/resources         |
 * | lab profiles        | <root>/lab/profiles                    | <resourcesPath>/lab/profiles      |
 * | the wizard's page   | <root>/dist/renderer                   | <resourcesPath>/app.asar/dist/renderer |
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Twinlock's own files, as absolute paths. */
export interface AppPaths {
  /** The folder holding package.json and the code: the repository, or the app archive. */
  root: string;
  /** True in the installed desktop app (files from `process.resourcesPath`). */
  packaged: boolean;
  /** bootstrap.ps1, scripts/*.ps1 and agent/: what the engine sends to servers. */
  resources: string;
  /** The bootstrap every remote operation starts with. */
  bootstrap: string;
  /** One PowerShell file per remote operation. */
  scripts: string;
  /** The agent package shipped with Twinlock (manifest and MSI). */
  agent: string;
  /** The lab's server profiles (JSON). */
  labProfiles: string;
  /** The wizard's built page (vite build), served by the desktop and browser shells. */
  renderer: string;
}

/** The first folder from `start` up that holds a package.json; `start` itself when none does. */
function findRoot(start: string): string {
  for (let dir = start; ;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Resolves the paths for code in `codeDir`, with Electron's `resourcesPath` when there is one. */
export function resolveAppPaths(codeDir: string, resourcesPath: string | undefined): AppPaths {
  const root = findRoot(codeDir);
  const packaged = resourcesPath !== undefined && inside(root, resourcesPath);
  const base = packaged ? resourcesPath : root;
  const resources = join(base, 'resources');
  return {
    root,
    packaged,
    resources,
    bootstrap: join(resources, 'bootstrap.ps1'),
    scripts: join(resources, 'scripts'),
    agent: join(resources, 'agent'),
    labProfiles: join(base, 'lab', 'profiles'),
    renderer: join(root, 'dist', 'renderer'),
  };
}

let cached: AppPaths | null = null;

/** Twinlock's own files for this process (resolved on first use, then kept). */
export function appPaths(): AppPaths {
  cached ??= resolveAppPaths(
    dirname(fileURLToPath(import.meta.url)),
    (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath,
  );
  return cached;
}
