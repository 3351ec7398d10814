#!/usr/bin/env node
// Lays out the installed desktop app's resources folder as electron-builder ships it, from the
// builder's own configuration (build/electron-builder.yml), for a machine where electron-builder
// cannot run (no Electron binary to download):
//   <out>/resources/app.asar            `files` (+ the production node_modules, + extraMetadata)
//   <out>/resources/app.asar.unpacked/  what `asarUnpack` keeps outside the archive
//   <out>/resources/<to>/               each `extraResources` entry, through its filter
// The builder's default exclusions (its own lists of file names and extensions: .d.ts, lock
// files, VCS folders…) apply as in the builder. The Electron binary and its files beside it are
// not laid out.
// Usage: node scripts/lay-out-app.mjs [--out DIR] (default dist/app-layout); `npm run build` first.
import { createPackageWithOptions } from '@electron/asar';
import { createRequire } from 'node:module';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ensureAgentPackage } from './agent-package.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const builderFiles = createRequire(import.meta.url)('app-builder-lib/out/fileMatcher.js');
const excludedNames = new Set(builderFiles.excludedNames.split(','));
const excludedExts = [...builderFiles.excludedExts.split(','), 'pdb'].map((e) => `.${e}`);

/** electron-builder's default exclusions, for every file it copies into the app. */
function excludedByDefault(rel) {
  const parts = rel.split('/');
  const name = parts.at(-1);
  return (
    parts.some((p) => excludedNames.has(p)) ||
    name.startsWith('._') ||
    excludedExts.some((e) => name.endsWith(e)) ||
    /^electron-builder\.(yaml|yml|json|json5|toml|ts)$/.test(name)
  );
}

/** A glob of the builder's file patterns (`*`, `**`, `?`) as a regular expression on a relative path. */
export function globToRegExp(glob) {
  if (/[[\]{}()!+@]/.test(glob))
    throw new Error(
      `lay-out-app: the pattern “${glob}” uses glob syntax this script does not read; extend globToRegExp`,
    );
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` is any number of folders, a trailing `**` anything below.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.^$|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The builder's rule: a file is in when the last pattern that matches it is a positive one. */
function matcher(patterns) {
  const rules = patterns.map((p) =>
    p.startsWith('!') ? { keep: false, re: globToRegExp(p.slice(1)) } : { keep: true, re: globToRegExp(p) },
  );
  return (path) => {
    let keep = false;
    for (const rule of rules) if (rule.re.test(path)) keep = rule.keep;
    return keep;
  };
}

function walk(dir, skip = () => false, base = dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(base, full).split(sep).join('/');
    if (skip(rel)) continue;
    if (entry.isDirectory()) walk(full, skip, base, out);
    else out.push(rel);
  }
  return out;
}

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}

/** The packages electron-builder ships: every entry of the lockfile that is not a dev dependency. */
function productionPackages(projectDir) {
  const lock = JSON.parse(readFileSync(join(projectDir, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages)
    .filter(([path, info]) => path.startsWith('node_modules/') && !info.dev && !info.link)
    .map(([path]) => path)
    .filter((path) => existsSync(join(projectDir, path)));
}

/** Lays the app out under `out`; returns what it put where. */
export async function layOutApp({ projectDir = root, out = join(root, 'dist', 'app-layout') } = {}) {
  const config = parse(readFileSync(join(projectDir, 'build', 'electron-builder.yml'), 'utf8'));
  const main =
    config.extraMetadata?.main ?? JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')).main;
  if (
    !existsSync(join(projectDir, main)) ||
    !existsSync(join(projectDir, 'dist', 'renderer', 'index.html'))
  ) {
    throw new Error(`lay-out-app: ${main} or dist/renderer is missing; run npm run build first.`);
  }
  // The agent package among the extra resources is made, not committed.
  if (resolve(projectDir) === resolve(root)) await ensureAgentPackage({ quiet: true });
  rmSync(out, { recursive: true, force: true });
  const resourcesDir = join(out, 'resources');
  const stage = join(out, 'app-stage');

  // The archive's contents: `files`, then the production dependencies, then package.json with
  // extraMetadata applied.
  const inFiles = matcher(config.files);
  const appFiles = walk(
    projectDir,
    (rel) => rel === 'node_modules' || rel === '.git' || rel.startsWith('dist/app-layout'),
  ).filter((rel) => inFiles(rel) && !excludedByDefault(rel));
  for (const rel of appFiles) copy(join(projectDir, rel), join(stage, rel));
  const packages = productionPackages(projectDir);
  for (const pkg of packages) {
    // Nested node_modules are entries of their own in the lockfile, shipped only when they are production too.
    for (const rel of walk(
      join(projectDir, pkg),
      (r) => r === 'node_modules' || r.startsWith('node_modules/'),
    ).filter((r) => !excludedByDefault(r))) {
      copy(join(projectDir, pkg, rel), join(stage, pkg, rel));
    }
  }
  const pkgJson = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8'));
  writeFileSync(
    join(stage, 'package.json'),
    `${JSON.stringify({ ...pkgJson, ...config.extraMetadata }, null, 2)}\n`,
  );

  if (config.asar === false) {
    cpSync(stage, join(resourcesDir, 'app'), { recursive: true });
  } else {
    const unpack = (config.asarUnpack ?? []).map((p) => globToRegExp(p));
    const unpacked = walk(stage).filter((rel) => unpack.some((re) => re.test(rel)));
    // @electron/asar takes one glob matched against each file's name (matchBase): the builder's
    // `**/*.node` is that file name pattern.
    const names = [...new Set((config.asarUnpack ?? []).map((p) => p.replace(/^\*\*\//, '')))];
    if (names.some((n) => n.includes('/')))
      throw new Error('lay-out-app: asarUnpack patterns must be `**/<file pattern>`');
    await createPackageWithOptions(
      stage,
      join(resourcesDir, 'app.asar'),
      names.length > 0 ? { unpack: names.length === 1 ? names[0] : `{${names.join(',')}}` } : {},
    );
    for (const rel of unpacked) {
      if (!existsSync(join(resourcesDir, 'app.asar.unpacked', rel)))
        throw new Error(`lay-out-app: ${rel} should have been unpacked`);
    }
  }
  rmSync(stage, { recursive: true, force: true });

  // Extra resources, beside the archive.
  const extra = [];
  for (const entry of config.extraResources ?? []) {
    const spec = typeof entry === 'string' ? { from: entry, to: entry } : entry;
    const from = join(projectDir, spec.from);
    const to = join(resourcesDir, spec.to ?? spec.from);
    if (statSync(from).isDirectory()) {
      const keep = matcher(spec.filter ?? ['**/*']);
      for (const rel of walk(from).filter(keep)) copy(join(from, rel), join(to, rel));
    } else copy(from, to);
    extra.push(relative(out, to).split(sep).join('/'));
  }
  return { out, resourcesDir, appFiles, packages, extraResources: extra, asar: config.asar !== false };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const laid = await layOutApp(i > 0 ? { out: resolve(process.argv[i + 1]) } : {});
  console.log(
    `Laid out ${laid.out}: ${laid.appFiles.length} app files and ${laid.packages.length} packages in resources/${laid.asar ? 'app.asar' : 'app'}; extra resources ${laid.extraResources.join(', ')}.`,
  );
}
