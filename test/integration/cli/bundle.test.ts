/**
 * The published `twinlock` runs the bundle in dist-cli/, plain JavaScript: no TypeScript is
 * compiled at run time and tsx is never loaded. Each run is watched by a module hook that records
 * every module Node resolves and fails the resolution of anything from tsx or any .ts file.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, root } from './twinlock';

const work = mkdtempSync(join(tmpdir(), 'twinlock-bin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hooks = join(work, 'no-tsx-hooks.mjs');
writeFileSync(
  hooks,
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (/(^|[\\/])tsx([\\/]|$)/.test(specifier)) throw new Error('tsx was imported: ' + specifier);
  const resolved = await next(specifier, context);
  if (/\\/node_modules\\/tsx\\//.test(resolved.url) || /\\.(c|m)?ts$/.test(resolved.url)) throw new Error('TypeScript or tsx was loaded: ' + resolved.url);
  appendFileSync(process.env.TWINLOCK_TEST_RESOLVED, resolved.url + '\\n');
  return resolved;
}
`,
);
const register = join(work, 'register.mjs');
// ES modules go through the hook; require() (CommonJS) through Module._resolveFilename.
writeFileSync(
  register,
  `import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const file = resolveFilename.call(this, request, ...rest);
  if (/[\\/]node_modules[\\/]tsx[\\/]/.test(file) || /\\.(c|m)?ts$/.test(file)) throw new Error('tsx was required: ' + file);
  appendFileSync(process.env.TWINLOCK_TEST_RESOLVED, file + '\\n');
  return file;
};
`,
);

function watched(binPath: string, args: string[], name: string) {
  const log = join(work, `${name}.log`);
  writeFileSync(log, '');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, binPath, ...args], {
    cwd: work,
    env: { ...env, TWINLOCK_HOME: join(work, 'home'), TWINLOCK_TEST_RESOLVED: log },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { ...run, resolved: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the twinlock command', () => {
  it('runs the bundled JavaScript, never tsx or a .ts file, and parses --version without the schemas', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const version = watched(bin, ['--version'], 'version');
    expect(version.stderr).toBe('');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    expect(version.resolved).toContain(pathToFileURL(join(root, 'dist-cli', 'twinlock.mjs')).href);

    // A verb that runs the engine (its chunk loads when a verb runs) and one that reaches the scanner.
    const hosts = watched(bin, ['hosts', 'list', '--json'], 'hosts');
    expect(hosts.stderr).toBe('');
    expect(hosts.status).toBe(0);
    expect(JSON.parse(hosts.stdout)).toEqual([]);
    const scan = watched(bin, ['scan', '127.0.0.0/30', '--dry-run', '--json'], 'scan');
    expect(scan.status, scan.stderr).toBe(0);
    for (const run of [version, hosts, scan]) {
      expect(
        run.resolved.filter((url) => url.includes('/node_modules/tsx/') || /\.(c|m)?ts$/.test(url)),
      ).toEqual([]);
    }
    // `--version` and `--help` parse the command line only: the engine and the contract's schemas
    // (engine/api/models/, zod) load when a verb runs (cli/run.ts).
    const schemaChunks = version.resolved.filter(
      (url) =>
        url.endsWith('.mjs') && readFileSync(new URL(`${url}.map`), 'utf8').includes('engine/api/models/'),
    );
    expect(schemaChunks).toEqual([]);
    expect(
      hosts.resolved.some(
        (url) =>
          url.endsWith('.mjs') && readFileSync(new URL(`${url}.map`), 'utf8').includes('engine/api/models/'),
      ),
    ).toBe(true);
    // `hosts list` answers from the engine's core: the features (verification, pairing, fleets,
    // bundles: engine/services.ts) and the libraries only a change or a terminal needs stay unloaded.
    const sourcesOf = (run: { resolved: string[] }) =>
      run.resolved
        .filter((url) => url.endsWith('.mjs'))
        .flatMap(
          (url) => (JSON.parse(readFileSync(new URL(`${url}.map`), 'utf8')) as { sources: string[] }).sources,
        );
    const hostsSources = sourcesOf(hosts);
    for (const unneeded of [
      'engine/services.ts',
      'engine/pair/',
      'engine/verify/',
      'engine/fleet/',
      'node_modules/yaml/',
      'node_modules/proper-lockfile/',
      'node_modules/cli-progress/',
    ])
      expect(
        hostsSources.filter((s) => s.includes(unneeded)),
        unneeded,
      ).toEqual([]);
    // A verb that needs a feature loads it on its first call.
    const keys = watched(bin, ['keys', 'list', '--json'], 'keys');
    expect(keys.status, keys.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(keys.stdout))).toBe(true);
    expect(sourcesOf(keys).some((s) => s.endsWith('engine/services.ts'))).toBe(true);
    // tsx is a development tool only: the published package does not depend on it.
    expect(pkg.dependencies).not.toHaveProperty('tsx');
    expect(pkg.devDependencies).toHaveProperty('tsx');
  });

  it('says what to run when the bundle has not been built', () => {
    const copy = join(work, 'unbuilt');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    cpSync(bin, join(copy, 'bin', 'twinlock.js'));
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ type: 'module' }));
    const run = spawnSync(process.execPath, [join(copy, 'bin', 'twinlock.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('npm run build:cli');
    expect(run.stderr).toContain(join(copy, 'dist-cli', 'twinlock.mjs'));
  });
});
