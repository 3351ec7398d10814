/**
 * The architecture's import boundaries are enforced by lint; these cases prove the rules bite
 * (a lint config that silently stopped matching would otherwise pass every build).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) =>
      ['@typescript-eslint/no-restricted-imports', 'no-console', 'no-restricted-properties'].includes(
        m.ruleId ?? '',
      ),
    )
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['engine/verify/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['engine/verify/x.ts', "import { ref } from 'vue';\nexport const a = ref;\n"],
    ['engine/verify/x.ts', "import { defineStore } from 'pinia';\nexport const a = defineStore;\n"],
    ['engine/verify/x.ts', "import { a } from '../../renderer/src/x';\nexport const b = a;\n"],
    ['engine/verify/x.ts', "export function f(): void {\n  console.log('x');\n}\n"],
    [
      'renderer/src/x.ts',
      "import { createEngine } from '../../engine/api/engine';\nexport const a = createEngine;\n",
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
    [
      'renderer/src/x.ts',
      "import { endpointId } from '../../engine/api/rules';\nexport const a = endpointId;\n",
    ],
    ['electron/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['server/x.ts', "import { methods } from '../engine/api/contract';\nexport const a = methods;\n"],
    ['lab/x-main.ts', 'export const args = process.argv.slice(2);\n'],
  ])('allows %s: %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});
