/**
 * The rules `npm test` enforces beyond the import boundaries (boundaries.test.ts): type-aware lint
 * (promises, exhaustive switches), the layers inside the engine, the engine's front door for the
 * shells, and Prettier's format. Each case proves a rule bites, or that it leaves correct code alone.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as prettier from 'prettier';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../engine/api/errors';
import { violations, warmUp } from './lint';

beforeAll(warmUp, 120_000);

describe('type-aware lint', () => {
  const promises = ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises'];

  it('refuses a promise nobody awaits', async () => {
    const code = [
      'export async function save(): Promise<void> {}',
      'export function run(): void {',
      '  save();',
      '}',
      '',
    ].join('\n');
    expect(await violations('engine/jobs/x.ts', code, promises)).toEqual([
      expect.stringMatching(/^Promises must be awaited/),
    ]);
  });

  it('allows a promise awaited, or let go on purpose with its rejection handled', async () => {
    const code = [
      'export async function save(): Promise<void> {}',
      'export async function run(): Promise<void> {',
      '  await save();',
      '  void save().catch(() => undefined);',
      '}',
      '',
    ].join('\n');
    expect(await violations('engine/jobs/x.ts', code, promises)).toEqual([]);
  });

  it('refuses an async callback where a void one is expected', async () => {
    const code = [
      'export async function save(name: string): Promise<string> {',
      '  return name;',
      '}',
      'export function saveAll(names: string[]): void {',
      '  names.forEach(async (name) => {',
      '    await save(name);',
      '  });',
      '}',
      '',
    ].join('\n');
    expect(await violations('engine/store/x.ts', code, promises)).toEqual([
      expect.stringMatching(/Promise returned in function argument where a void return was expected/),
    ]);
  });

  it('refuses an async event listener', async () => {
    const code = [
      "import { EventEmitter } from 'node:events';",
      'export function listen(events: EventEmitter, save: () => Promise<void>): void {',
      "  events.on('change', async () => {",
      '    await save();',
      '  });',
      '}',
      '',
    ].join('\n');
    expect(await violations('server/x.ts', code, promises)).not.toEqual([]);
  });

  /** A function that switches over every error code but the `skipped` ones. */
  const switchOverCodes = (skipped: number, withDefault = false) =>
    [
      "import type { ErrorCode } from '../api/errors';",
      'export function label(code: ErrorCode): string {',
      '  switch (code) {',
      ...ERROR_CODES.slice(skipped).map((code) => `    case '${code}':`),
      "      return 'known';",
      ...(withDefault ? ['    default:', "      return 'other';"] : []),
      '  }',
      "  return 'none';",
      '}',
      '',
    ].join('\n');
  const exhaustive = ['@typescript-eslint/switch-exhaustiveness-check'];

  it('refuses a switch over the error codes that forgets one', async () => {
    expect(await violations('engine/verify/x.ts', switchOverCodes(1), exhaustive)).toEqual([
      expect.stringContaining(`Cases not matched: "${ERROR_CODES[0]}"`),
    ]);
  });

  it('refuses one that hides a forgotten code behind `default`', async () => {
    expect(await violations('engine/verify/x.ts', switchOverCodes(1, true), exhaustive)).toEqual([
      expect.stringContaining(`Cases not matched: "${ERROR_CODES[0]}"`),
    ]);
  });

  it('allows a switch over every error code', async () => {
    expect(await violations('engine/verify/x.ts', switchOverCodes(0), exhaustive)).toEqual([]);
  });

  it.each([
    'engine/remote/session.ts',
    'renderer/src/App.vue',
    'test/unit/architecture/rules.test.ts',
    'vite.config.ts',
  ])('lints %s with its types and these rules', async (file) => {
    const config = (await new ESLint({ cwd: process.cwd() }).calculateConfigForFile(file)) as Linter.Config;
    const parserOptions = config.languageOptions?.parserOptions as { project?: unknown } | undefined;
    expect(parserOptions?.project).toEqual(['./tsconfig.node.json', './tsconfig.web.json']);
    for (const rule of [...promises, ...exhaustive])
      expect([rule, (config.rules?.[rule] as unknown[])[0]]).toEqual([rule, 2]);
  });

  it.each(['scripts/start.mjs', 'eslint.config.js'])('lints %s without types', async (file) => {
    const config = (await new ESLint({ cwd: process.cwd() }).calculateConfigForFile(file)) as Linter.Config;
    const parserOptions = config.languageOptions?.parserOptions as { project?: unknown } | undefined;
    expect(parserOptions?.project).toBeUndefined();
  });
});

describe('layers inside the engine', () => {
  const layers = ['no-restricted-imports'];
  const importing = (from: string) => `import { x } from '${from}';\nexport const y = x;\n`;

  it.each([
    ['engine/remote/x.ts', '../pair/transaction'],
    ['engine/remote/x.ts', '../verify/verifier'],
    ['engine/jobs/x.ts', '../agent/install'],
    ['engine/jobs/x.ts', '../bundle/canonical'],
    ['engine/store/x.ts', '../inventory/x'],
    ['engine/store/x.ts', '../discovery/scan'],
    ['engine/store/x.ts', '../service/sessions'],
    ['engine/remote/x.ts', '../engine'],
    ['engine/verify/x.ts', '../service/pairings'],
    ['engine/pair/x.ts', '../engine'],
    ['engine/discovery/x.ts', '../engine.ts'],
    ['engine/api/x.ts', '../remote/types'],
    ['engine/api/x.ts', '../store'],
    ['cli/x.ts', '../engine/remote/types'],
    ['cli/commands/x.ts', '../../engine/discovery/scan'],
    ['server/x.ts', '../engine/service/sessions'],
    ['electron/x.ts', '../engine/pair/transaction'],
  ])('refuses %s importing %s', async (file, from) => {
    expect(await violations(file, importing(from), layers)).not.toEqual([]);
  });

  it('refuses a type import across a layer too', async () => {
    const code = "import type { Plan } from '../pair/transaction';\nexport type P = Plan;\n";
    expect(await violations('engine/remote/x.ts', code, layers)).not.toEqual([]);
  });

  it.each([
    ['engine/pair/x.ts', '../remote/session'],
    ['engine/pair/x.ts', '../jobs/journal'],
    ['engine/pair/x.ts', '../verify/verifier'],
    ['engine/verify/x.ts', '../api/errors'],
    ['engine/jobs/x.ts', './pair-journal'],
    ['engine/remote/x.ts', '../store'],
    ['engine/service/x.ts', '../pair/transaction'],
    ['engine/api/x.ts', './errors'],
    ['cli/x.ts', '../engine/api/errors'],
    ['cli/x.ts', '../engine/engine'],
    ['electron/x.ts', '../engine/api/wire'],
    ['electron/x.ts', '../engine/app-paths'],
    ['lab/x.ts', '../engine/remote/types'],
    ['bench/x.ts', '../engine/remote/sftp-upload'],
  ])('allows %s importing %s', async (file, from) => {
    expect(await violations(file, importing(from), layers)).toEqual([]);
  });

  it('refuses the renderer the composition root', async () => {
    const code = importing('../../engine/engine');
    expect(await violations('renderer/src/x.ts', code, ['@typescript-eslint/no-restricted-imports'])).toEqual(
      [expect.stringContaining('renderer/ talks to the engine only through its ApiClient')],
    );
  });
});

describe('format', () => {
  const check = async (filepath: string, source: string) =>
    prettier.check(source, { ...(await prettier.resolveConfig(resolve(filepath))), filepath });

  it('refuses a file Prettier would rewrite', async () => {
    expect(await check('engine/remote/x.ts', 'export const a = {b:1,\n  c : "2"}\n')).toBe(false);
  });

  it("accepts it in Prettier's style", async () => {
    expect(await check('engine/remote/x.ts', "export const a = { b: 1, c: '2' };\n")).toBe(true);
  });

  it('checks the code in npm test', async () => {
    const info = await prettier.getFileInfo(resolve('engine/remote/x.ts'), {
      ignorePath: '.prettierignore',
    });
    expect(info.ignored).toBe(false);
    const { scripts } = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.test).toMatch(/^npm run lint && npm run format:check && /);
    expect(scripts['format:check']).toMatch(/^prettier --check \. /);
  });
});
