/**
 * The installer configuration (build/electron-builder.yml): valid by electron-builder's own
 * schema, the hardening fuses set, every target an admin needs, icons made from build/icon.svg at
 * every size the targets use, and no signing secret in it.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUNDLE_EXTENSION, EARLIER_BUNDLE_EXTENSION } from '../../../engine/api/rules';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const text = readFileSync(join(root, 'build', 'electron-builder.yml'), 'utf8');
const config = parse(text) as Record<string, any>;
const work = mkdtempSync(join(tmpdir(), 'twinlock-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const targets = (platform: 'win' | 'linux') =>
  (config[platform].target as Array<{ target: string }>).map((t) => t.target);

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** The image sizes an .ico holds (0 in its directory means 256). */
function icoSizes(ico: Buffer): number[] {
  expect(ico.readUInt16LE(0)).toBe(0);
  expect(ico.readUInt16LE(2)).toBe(1);
  const count = ico.readUInt16LE(4);
  return Array.from({ length: count }, (_, i) => ico[6 + i * 16] || 256);
}

describe('the installer configuration', () => {
  it('passes electron-builder’s own validation', async () => {
    const require = createRequire(join(root, 'package.json'));
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(c: unknown, l: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...config, nsis: { ...config.nsis, oneClik: false } }, new DebugLogger(false)),
    ).rejects.toThrow(/configuration/);
  });

  it('sets every hardening fuse', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // Integrity validation and only-from-asar mean nothing without the archive.
    expect(config.asar).toBe(true);
  });

  it('builds NSIS with the per-user or per-machine choice, an MSI, an AppImage and a deb', () => {
    expect(targets('win')).toEqual(['nsis', 'msi']);
    expect(targets('linux')).toEqual(['AppImage', 'deb']);
    expect(config.nsis).toMatchObject({
      oneClick: false,
      perMachine: false,
      allowElevation: true,
      allowToChangeInstallationDirectory: true,
    });
    expect(config.msi).toMatchObject({ perMachine: true });
    expect(config.msi.upgradeCode).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(config.linux.maintainer).toBeTruthy();
  });

  it('opens bundles when double-clicked: .twinlock everywhere, the earlier .twinlock.json where it can', () => {
    const association = {
      name: 'Twinlock bundle',
      mimeType: 'application/x-twinlock-bundle',
    };
    // The extension Twinlock writes (engine/api/rules.ts) is the one every installer associates.
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({ ext: BUNDLE_EXTENSION.slice(1), ...association }),
    ]);
    // Explorer would match only `.json`; Linux desktops match the whole suffix before `*.json`.
    expect(BUNDLE_EXTENSION.slice(1)).not.toContain('.');
    expect(config.linux.fileAssociations).toEqual([
      expect.objectContaining({ ext: EARLIER_BUNDLE_EXTENSION.slice(1), ...association }),
    ]);
    expect(config.win.fileAssociations).toBeUndefined();
    expect(config.nsis.include).toBe('build/installer.nsh');
  });

  it('adds "Open in Twinlock" to .twinlock.json files only, in the context the admin installed for', () => {
    const nsh = readFileSync(join(root, config.nsis.include as string), 'utf8');
    const key = 'Software\\Classes\\SystemFileAssociations\\.json\\shell\\Twinlock.OpenBundle';
    expect(nsh).toContain(`!define TWINLOCK_EARLIER_BUNDLE_VERB "${key}"`);
    expect(nsh).toContain(`"AppliesTo" 'System.FileName:"*${EARLIER_BUNDLE_EXTENSION}"'`);
    expect(nsh).toContain(`"\${TWINLOCK_EARLIER_BUNDLE_VERB}\\command" "" '"$appExe" "%1"'`);
    // HKCU for "for me only", HKLM for "for everyone": never a fixed root.
    const writes = nsh.split('\n').filter((l) => /^\s*(WriteReg|DeleteReg)/.test(l));
    expect(writes.length).toBe(5);
    for (const line of writes)
      expect(line).toMatch(/^\s*\w+ SHELL_CONTEXT "\$\{TWINLOCK_EARLIER_BUNDLE_VERB\}/);
    expect(nsh).toMatch(
      /!macro customUnInstall\s+DeleteRegKey SHELL_CONTEXT "\$\{TWINLOCK_EARLIER_BUNDLE_VERB\}"/,
    );
  });

  it('has an NSIS include that NSIS compiles, warnings counted as errors', () => {
    const dir = join(work, 'nsis');
    mkdirSync(dir);
    copyFileSync(join(root, config.nsis.include as string), join(dir, 'installer.nsh'));
    // The two places electron-builder's installer inserts the macros, with its $appExe.
    const harness = [
      'Unicode true',
      'OutFile "harness.exe"',
      'RequestExecutionLevel user',
      'Var appExe',
      '!include "installer.nsh"',
      'Section',
      '  StrCpy $appExe "$INSTDIR\\Twinlock.exe"',
      '  !insertmacro customInstall',
      '  WriteUninstaller "$INSTDIR\\Uninstall Twinlock.exe"',
      'SectionEnd',
      'Section "Uninstall"',
      '  !insertmacro customUnInstall',
      'SectionEnd',
    ];
    const compile = (lines: string[]) => {
      writeFileSync(join(dir, 'harness.nsi'), `${lines.join('\n')}\n`);
      return spawnSync('makensis', ['-WX', '-V2', 'harness.nsi'], { cwd: dir, encoding: 'utf8' });
    };
    const made = compile(harness);
    expect(made.error, 'makensis (Debian package nsis) is missing: .ci/run installs it').toBeUndefined();
    expect(made.status, `${made.stdout}${made.stderr}`).toBe(0);
    expect(existsSync(join(dir, 'harness.exe'))).toBe(true);
    // The check bites: an include whose macro is missing does not compile.
    expect(compile(harness.map((l) => l.replace('customUnInstall', 'customUninstal'))).status).not.toBe(0);
  });

  it('ships the run-time files outside the archive, where the app looks for them', () => {
    expect(config.extraResources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'resources', to: 'resources' }),
        expect.objectContaining({ from: 'lab/profiles', to: 'lab/profiles' }),
      ]),
    );
  });

  it('holds no signing secret: certificates and passwords come from the environment', () => {
    const keys: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (!value || typeof value !== 'object') return;
      for (const [k, v] of Object.entries(value)) {
        keys.push(k);
        walk(v, `${path}.${k}`);
      }
    };
    walk(config, '');
    for (const forbidden of [
      'cscLink',
      'cscKeyPassword',
      'certificateFile',
      'certificatePassword',
      'certificateSha1',
      'password',
    ])
      expect(keys).not.toContain(forbidden);
    expect(text).not.toMatch(/-----BEGIN|MII[A-Za-z0-9+/]{40}/);
  });

  it('finds every icon it names among those scripts/make-icons.mjs renders from build/icon.svg', () => {
    const out = join(work, 'icons');
    const made = spawnSync(process.execPath, [join(root, 'scripts', 'make-icons.mjs'), '--out', out], {
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    const generated = (path: string) => join(out, path.replace(/^build\/icons\/?/, ''));
    const named = [
      config.win.icon,
      config.nsis.installerIcon,
      config.nsis.uninstallerIcon,
      config.nsis.installerHeaderIcon,
      config.linux.icon,
    ] as string[];
    for (const path of named) {
      expect(path.startsWith('build/icons')).toBe(true);
      expect(existsSync(generated(path)), path).toBe(true);
    }
    // Windows: one .ico with the shell's sizes up to 256 px.
    const ico = readFileSync(generated(config.win.icon));
    expect(icoSizes(ico)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    // Linux: a folder of <n>x<n>.png, each really that size, from 16 to 512 px at least.
    const pngDir = generated(config.linux.icon);
    const files = readdirSync(pngDir).sort((a, b) => parseInt(a) - parseInt(b));
    expect(files).toEqual(
      expect.arrayContaining([
        '16x16.png',
        '32x32.png',
        '48x48.png',
        '128x128.png',
        '256x256.png',
        '512x512.png',
      ]),
    );
    for (const file of files) {
      const n = parseInt(file);
      expect(pngSize(readFileSync(join(pngDir, file)))).toEqual([n, n]);
    }
    // Rendered, not blank: the 256 px icon has both the background and the servers' white.
    expect(readFileSync(join(pngDir, '256x256.png')).length).toBeGreaterThan(2000);
  });
});

describe('the release workflow', () => {
  const workflow = parse(readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<
      string,
      {
        'runs-on': string;
        needs?: string[];
        steps: Array<{
          run?: string;
          uses?: string;
          env?: Record<string, string>;
          with?: Record<string, string>;
        }>;
      }
    >;
  };
  const ext: Record<string, string> = { nsis: '.exe', msi: '.msi', AppImage: '.AppImage', deb: '.deb' };

  it('builds every target of the configuration on a runner of its platform', () => {
    const built: Record<'win' | 'linux', string[]> = { win: [], linux: [] };
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) {
        const m = step.run
          ? /electron-builder --config build\/electron-builder\.yml --(win|linux) ((?:[A-Za-z]+ )+)/.exec(
              step.run,
            )
          : null;
        if (!m) continue;
        const platform = m[1] as 'win' | 'linux';
        expect(job['runs-on'], `${name} builds --${platform}`).toMatch(
          platform === 'win' ? /^windows-/ : /^ubuntu-/,
        );
        built[platform].push(...m[2]!.trim().split(' '));
        // Its installers are kept for the release.
        const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
        for (const target of m[2]!.trim().split(' ')) expect(upload?.with?.path).toContain(`*${ext[target]}`);
        // Before the builder: the app, the bundles and the icons.
        const runs = job.steps.map((s) => s.run ?? '');
        expect(runs.indexOf('npm run build')).toBeGreaterThanOrEqual(0);
        expect(runs.indexOf('npm run build:icons')).toBeGreaterThan(
          runs.indexOf('npm ci --no-audit --no-fund'),
        );
      }
    }
    expect(built.win.sort()).toEqual(targets('win').sort());
    expect(built.linux.sort()).toEqual(targets('linux').sort());
  });

  it('releases on a tag once every installer is built, signing from secrets only', () => {
    expect(workflow.on).toHaveProperty('push');
    const builders = Object.entries(workflow.jobs).filter(([, j]) =>
      j.steps.some((s) => s.run?.includes('electron-builder')),
    );
    expect(builders.length).toBeGreaterThanOrEqual(2);
    expect(workflow.jobs.release?.needs?.sort()).toEqual(builders.map(([n]) => n).sort());
    expect(workflow.jobs.release?.steps.some((s) => s.run?.startsWith('gh release create'))).toBe(true);
    for (const [, job] of builders) {
      for (const step of job.steps)
        for (const value of Object.values(step.env ?? {}))
          expect(value).toMatch(/^\$\{\{ (secrets\.[A-Z_]+|github\.token) \}\}$/);
    }
    expect(builders.find(([n]) => n === 'windows')?.[1].steps.find((s) => s.env)?.env).toMatchObject({
      WIN_CSC_LINK: '${{ secrets.WIN_CSC_LINK }}',
      WIN_CSC_KEY_PASSWORD: '${{ secrets.WIN_CSC_KEY_PASSWORD }}',
    });
  });
});
