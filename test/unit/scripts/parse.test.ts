import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell';
import { describe, expect, it } from 'vitest';
import { SCRIPT_NAMES } from '../../../engine/remote/scripts';

const resources = join(import.meta.dirname, '../../../resources');
const scriptsDir = join(resources, 'scripts');

const parser = new Parser();
parser.setLanguage(PowerShell as unknown as Parser.Language);

/** Every ERROR or MISSING node, as `line:column kind`, so a failure points at the culprit. */
function syntaxProblems(source: string): string[] {
  const problems: string[] = [];
  const walk = (node: Parser.SyntaxNode): void => {
    if (node.isError || node.type === 'ERROR') {
      problems.push(
        `line ${node.startPosition.row + 1}:${node.startPosition.column + 1} ERROR near "${node.text.slice(0, 60)}"`,
      );
    } else if (node.isMissing) {
      problems.push(
        `line ${node.startPosition.row + 1}:${node.startPosition.column + 1} MISSING ${node.type}`,
      );
    }
    for (const child of node.children) walk(child);
  };
  walk(parser.parse(source).rootNode);
  return problems;
}

const HEADER = /^# Twinlock remote script: ([a-z0-9-]+)\n# Version: (\d+)\n# Purpose: (.+)\n/;

function nonAscii(source: string): string[] {
  return source
    .split('\n')
    .flatMap((line, i) =>
      [...line].some((c) => c !== '\t' && c !== '\r' && (c < ' ' || c > '~'))
        ? [`line ${i + 1}: ${line}`]
        : [],
    );
}

const scriptFiles = readdirSync(scriptsDir).filter((f) => f.endsWith('.ps1'));

describe('PowerShell syntax check', () => {
  it('reports broken snippets with their line', () => {
    expect(syntaxProblems('$a = @{ b = 1 }\n$c = [pscustomobject]@{ d = 2 }\n')).toEqual([]);
    const broken = syntaxProblems('$a = 1\nif ($a -eq 1 {\n  Write-Output "x"\n');
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.join('\n')).toMatch(/line \d+/);
    expect(syntaxProblems('$x = @(1, 2\n').length).toBeGreaterThan(0);
  });

  it('flags non-ASCII characters', () => {
    expect(nonAscii('Write-Output "caf\u00e9"')).toHaveLength(1);
  });
});

describe('resources/bootstrap.ps1', () => {
  const source = readFileSync(join(resources, 'bootstrap.ps1'), 'utf8');
  it('parses', () => expect(syntaxProblems(source)).toEqual([]));
  it('is ASCII', () => expect(nonAscii(source)).toEqual([]));
});

describe('resources/scripts', () => {
  it('has one file per catalogued script and no other', () => {
    const names = scriptFiles.map((f) => f.replace(/\.ps1$/, '')).sort();
    expect(names).toEqual([...SCRIPT_NAMES].sort());
  });

  for (const file of scriptFiles) {
    describe(file, () => {
      const source = readFileSync(join(scriptsDir, file), 'utf8');
      it('parses without errors', () => expect(syntaxProblems(source)).toEqual([]));
      it('is ASCII', () => expect(nonAscii(source)).toEqual([]));
      it('starts with the header naming this file, then param($P)', () => {
        const header = HEADER.exec(source);
        expect(header, 'header missing or malformed').not.toBeNull();
        expect(header![1]).toBe(file.replace(/\.ps1$/, ''));
        expect(Number.isInteger(Number(header![2]))).toBe(true);
        const afterHeader = source.slice(header![0].length);
        expect(afterHeader.trimStart().startsWith('param($P)')).toBe(true);
      });
    });
  }
});
