/**
 * The architecture's import boundaries are enforced by lint; these cases prove the rules bite
 * (a lint config that silently stopped matching would otherwise pass every build).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { violations as lint, warmUp } from './lint';

const violations = (filePath: string, code: string) =>
  lint(filePath, code, [
    '@typescript-eslint/no-restricted-imports',
    'no-console',
    'no-restricted-properties',
  ]);

beforeAll(warmUp, 120_000);

describe('import boundaries', () => {
  it.each([
    ['engine/verify/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['engine/verify/x.ts', "import { ref } from 'vue';\nexport const a = ref;\n"],
    ['engine/verify/x.ts', "import { defineStore } from 'pinia';\nexport const a = defineStore;\n"],
    ['engine/verify/x.ts', "import { a } from '../../renderer/src/x';\nexport const b = a;\n"],
    ['engine/verify/x.ts', "export function f(): void {\n  console.log('x');\n}\n"],
    [
      'renderer/src/x.ts',
      "import { createEngine } from '../../engine/engine';\nexport const a = createEngine;\n",
    ],
    [
      'renderer/src/x.ts',
      "import type { EngineOptions } from '../../engine/engine';\nexport type A = EngineOptions;\n",
    ],
    ['renderer/src/x.ts', "import { methods } from '../../engine/api';\nexport const a = methods;\n"],
    [
      'renderer/src/x.ts',
      "import { ERROR_CODES } from '../../engine/api/errors';\nexport const a = ERROR_CODES;\n",
    ],
    [
      'renderer/src/x.ts',
      "import { contentSecurityPolicy } from '../../web/csp';\nexport const a = contentSecurityPolicy;\n",
    ],
    [
      'electron/x.ts',
      "import { startServer } from '../server/http-server';\nexport const a = startServer;\n",
    ],
    [
      'electron/x.ts',
      "import type { ServerOptions } from '../server/http-server';\nexport type A = ServerOptions;\n",
    ],
    ['server/x.ts', "import { isAppUrl } from '../electron/app-page';\nexport const a = isAppUrl;\n"],
    ['web/x.ts', "import { startServer } from '../server/http-server';\nexport const a = startServer;\n"],
    ['web/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['engine/api/x.ts', "import { readFile } from 'node:fs/promises';\nexport const a = readFile;\n"],
    ['engine/api/x.ts', "import { randomUUID } from 'crypto';\nexport const a = randomUUID;\n"],
    ['engine/api/x.ts', "import { createEngine } from '../engine';\nexport const a = createEngine;\n"],
    ['engine/api/x.ts', "import type { RemoteHost } from '../remote/types';\nexport type A = RemoteHost;\n"],
    [
      'engine/api/models/x.ts',
      "import { openSession } from '../../remote/session';\nexport const a = openSession;\n",
    ],
    [
      'renderer/src/x.ts',
      "import { methods } from '../../engine/api/contract';\nexport const a = methods;\n",
    ],
    [
      'renderer/src/x.ts',
      "import type { RemoteHost } from '../../engine/remote/types';\nexport type A = RemoteHost;\n",
    ],
    ['server/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n"],
    ['cli/x.ts', "import { ref } from 'vue';\nexport const a = ref;\n"],
    ['lab/x.ts', 'export const args = process.argv.slice(2);\n'],
    ['engine/discovery/x.ts', "export const main = import.meta.url.endsWith(process.argv[1] ?? '');\n"],
  ])('refuses %s: %s', async (file, code) => {
    expect(await violations(file, code)).not.toEqual([]);
  });

  it.each([
    [
      'renderer/src/x.ts',
      "import type { HostSession } from '../../engine/api';\nexport type A = HostSession;\n",
    ],
    ['renderer/src/x.ts', "import { isReply } from '../../engine/api/wire';\nexport const a = isReply;\n"],
    [
      'renderer/src/x.ts',
      "import { isErrorData } from '../../engine/api/wire.ts';\nexport const a = isErrorData;\n",
    ],
    ['renderer/src/x.ts', "import { rule } from '../../engine/api/rules';\nexport const a = rule;\n"],
    [
      'renderer/src/x.ts',
      "import type { PairConfig } from '../../engine/api/models/pair';\nexport type A = PairConfig;\n",
    ],
    [
      'renderer/src/x.ts',
      "import { endpointId } from '../../engine/api/rules';\nexport const a = endpointId;\n",
    ],
    ['electron/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['electron/x.ts', "import { newCspNonce } from '../web/csp';\nexport const a = newCspNonce;\n"],
    [
      'server/x.ts',
      "import { readStaticFile } from '../web/static-files';\nexport const a = readStaticFile;\n",
    ],
    [
      'engine/api/x.ts',
      "import { z } from 'zod';\nimport { a } from './errors';\nexport const b = [z, a];\n",
    ],
    ['engine/api/models/x.ts', "import { ERROR_CODES } from '../errors';\nexport const a = ERROR_CODES;\n"],
    ['engine/x.ts', "import { readFile } from 'node:fs/promises';\nexport const a = readFile;\n"],
    ['server/x.ts', "import { methods } from '../engine/api/contract';\nexport const a = methods;\n"],
    ['lab/x-main.ts', 'export const args = process.argv.slice(2);\n'],
  ])('allows %s: %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});
