#!/usr/bin/env node
// `npm start`: builds what is missing, then opens Twinlock on the built-in lab — in Electron
// when its binary is present, otherwise served to a browser at a printed 127.0.0.1 address.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAgentPackage } from './agent-package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

// The agent package the lab installs (resources/agent) is made, not committed.
await ensureAgentPackage();

const built = join(root, 'dist', 'renderer', 'index.html');
if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(root, 'renderer'))) {
  console.log('Building the wizard…');
  run(process.execPath, [
    join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--logLevel',
    'warn',
  ]);
}

// The command line's bundle: fast to build, and never older than the code it serves.
run(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--quiet']);

const electron = electronBinary();
const child = electron
  ? (run(process.execPath, [join(root, 'scripts', 'build-electron.mjs')]),
    spawn(electron, [join(root, 'dist-electron', 'main.js'), '--lab'], { cwd: root, stdio: 'inherit' }))
  : spawn(process.execPath, [join(root, 'bin', 'twinlock.js'), 'serve', '--lab', ...process.argv.slice(2)], {
      cwd: root,
      stdio: 'inherit',
    });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
