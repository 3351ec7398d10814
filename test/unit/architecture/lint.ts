/**
 * Lints a snippet as if it were a file of the repository, with the repository's ESLint config and
 * type information, so a test can prove that a rule bites.
 *
 * `npm run lint` takes its types from tsconfig.node.json and tsconfig.web.json, whose programs hold
 * only the files on disk. A snippet linted under a path that does not exist (`x.ts` in any
 * folder) gets its types from the project service instead, with tsconfig.node.json's settings: the
 * same rules, the same compiler options, and imports of real modules resolve.
 */
import { ESLint, type Linter } from 'eslint';

const probe = ['x.ts', 'x-main.ts'];

export const probeGlobs = [1, 2, 3].flatMap((depth) => probe.map((name) => `${'*/'.repeat(depth)}${name}`));

const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    languageOptions: {
      parserOptions: {
        project: false,
        projectService: {
          allowDefaultProject: probeGlobs,
          defaultProject: 'tsconfig.node.json',
          // A probe per folder: more than the default allows, and all in one program.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 100,
        },
      },
    },
  },
});

/** The problems ESLint reports for `code` as the file `filePath` (a path ending in x.ts or x-main.ts). */
export async function lintProbe(filePath: string, code: string): Promise<Linter.LintMessage[]> {
  if (!probe.some((name) => filePath.endsWith(`/${name}`)))
    throw new Error(`${filePath}: a probe's file name is ${probe.join(' or ')}.`);
  const [result] = await eslint.lintText(code, { filePath });
  const messages = result?.messages ?? [];
  const fatal = messages.find((m) => m.fatal);
  // A snippet that does not parse proves nothing: no rule ran on it.
  if (fatal) throw new Error(`${filePath}: ${fatal.message}`);
  return messages;
}

/** The messages of the given rules only. */
export async function violations(filePath: string, code: string, rules: string[]): Promise<string[]> {
  return (await lintProbe(filePath, code))
    .filter((m) => rules.includes(m.ruleId ?? ''))
    .map((m) => m.message);
}

/** Builds the TypeScript program the probes share (a test's time limit is too short for it). */
export async function warmUp(): Promise<void> {
  await lintProbe('engine/jobs/x.ts', 'export const warm = 1;\n');
}
