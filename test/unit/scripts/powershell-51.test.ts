/**
 * The scripts run in Windows PowerShell 5.1 on every server, while the PowerShell tier runs them
 * in PowerShell 7: a construct only 7 knows would pass the tier and fail on the first server.
 * This check finds them in the syntax tree (tree-sitter-powershell), so strings and comments
 * that merely mention them do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Parser from 'tree-sitter';
import PowerShell from 'tree-sitter-powershell';
import { describe, expect, it } from 'vitest';

const resources = join(import.meta.dirname, '../../../resources');
const parser = new Parser();
parser.setLanguage(PowerShell as unknown as Parser.Language);

/** Cmdlets that Windows PowerShell 5.1 does not have. */
const SEVEN_ONLY_COMMANDS = new Set(
  [
    'Join-String',
    'Get-Error',
    'Test-Json',
    'ConvertFrom-Markdown',
    'Show-Markdown',
    'Get-MarkdownOption',
    'Set-MarkdownOption',
    'Remove-Alias',
    'Remove-Service',
    'Get-Uptime',
    'ForEach-Object -Parallel',
  ].map((c) => c.toLowerCase()),
);

/** Parameters that exist only in PowerShell 7's versions of these cmdlets. */
const SEVEN_ONLY_PARAMETERS: Record<string, string[]> = {
  'foreach-object': ['-parallel', '-throttlelimit', '-asjob'],
  'convertfrom-json': ['-ashashtable', '-depth', '-noenumerate', '-dateKind'.toLowerCase()],
  'convertto-json': ['-asarray', '-enumsasstrings', '-escapehandling'],
  'invoke-webrequest': ['-skipcertificatecheck', '-skipheadervalidation', '-authentication', '-resume'],
  'invoke-restmethod': ['-skipcertificatecheck', '-skipheadervalidation', '-authentication', '-resume'],
  'get-content': ['-asbytestream'],
  'set-content': ['-asbytestream'],
  'select-string': ['-raw', '-noemphasis'],
  'split-path': ['-extension', '-leafbase'],
  'test-connection': ['-tcpport', '-traceroute', '-mtusize'],
  'get-childitem': ['-followsymlink'],
  'start-process': ['-environment'],
};

/** Automatic variables that Windows PowerShell 5.1 does not set. */
const SEVEN_ONLY_VARIABLES = new Set([
  '$psstyle',
  '$iswindows',
  '$islinux',
  '$ismacos',
  '$iscoreclr',
  '$psnativecommandargumentpassing',
  '$psnativecommanduseerroractionpreference',
]);

/** Every PowerShell 7-only construct in `source`, as `line N: what`. */
export function sevenOnly(source: string): string[] {
  const found: string[] = [];
  const at = (node: Parser.SyntaxNode, what: string) =>
    found.push(`line ${node.startPosition.row + 1}: ${what}`);
  const walk = (node: Parser.SyntaxNode): void => {
    if (
      node.type === 'comment' ||
      node.type === 'expandable_string_literal' ||
      node.type === 'verbatim_string_characters' ||
      node.type === 'string_literal'
    )
      return;
    if (node.type === 'pipeline_chain_tail')
      at(node, `pipeline chain operator ${node.text.trim().slice(0, 2)}`);
    if (node.childCount === 0 || node.type === 'ERROR') {
      const text = node.text.trim();
      if (/^\?\?=?/.test(text)) at(node, `null-coalescing operator ${text.slice(0, 3).trim()}`);
      else if (/^\?[.[]/.test(text)) at(node, `null-conditional member access ${text.slice(0, 2)}`);
      else if (node.type === 'ERROR' && /^\?(\s|$)/.test(text)) at(node, 'ternary operator ?:');
      else if (/^&&$|^\|\|$/.test(text) && node.parent?.type !== 'pipeline_chain_tail')
        at(node, `pipeline chain operator ${text}`);
    }
    if (node.type === 'variable' && SEVEN_ONLY_VARIABLES.has(node.text.toLowerCase()))
      at(node, `automatic variable ${node.text}`);
    if (node.type === 'command') {
      const name = node.children.find((c) => c.type === 'command_name')?.text.toLowerCase() ?? '';
      if (SEVEN_ONLY_COMMANDS.has(name)) at(node, `cmdlet ${name}`);
      if (name === 'clean') at(node, 'clean {} block');
      const elements = node.children.find((c) => c.type === 'command_elements');
      for (const p of elements?.children.filter((c) => c.type === 'command_parameter') ?? []) {
        const param = p.text.toLowerCase().replace(/:.*$/, '');
        if (SEVEN_ONLY_PARAMETERS[name]?.some((known) => known.startsWith(param) && param.length > 2))
          at(p, `${name} ${p.text}`);
      }
    }
    for (const child of node.children) walk(child);
  };
  const tree = parser.parse(source);
  walk(tree.rootNode);
  // The grammar has no `clean` block: it reads it as a command, or not at all. Look for it in the
  // code with comments and strings blanked out.
  const code = source.split('');
  const blank = (node: Parser.SyntaxNode): void => {
    if (node.type === 'comment' || node.type.includes('string')) {
      for (let i = node.startIndex; i < node.endIndex; i++) if (code[i] !== '\n') code[i] = ' ';
      return;
    }
    node.children.forEach(blank);
  };
  blank(tree.rootNode);
  const text = code.join('');
  for (const m of text.matchAll(/(^|[\s;{}])clean\s*\{/gi)) {
    const line = text.slice(0, m.index).split('\n').length;
    if (!found.some((f) => f.startsWith(`line ${line}: clean`))) found.push(`line ${line}: clean {} block`);
  }
  return found;
}

describe('PowerShell 7-only syntax', () => {
  it('is found in each of its forms', () => {
    const cases: Array<[string, RegExp]> = [
      ['$a = $b ?? "x"', /null-coalescing/],
      ['$a ??= 1', /null-coalescing/],
      ['$c = $d ? 1 : 2', /ternary/],
      ['git a && git b', /chain operator &&/],
      ['git a || exit 1', /chain operator \|\|/],
      ['1..3 | ForEach-Object -Parallel { $_ }', /foreach-object -Parallel/],
      ['$j | ConvertFrom-Json -AsHashtable', /convertfrom-json -AsHashtable/],
      ['$j | ConvertFrom-Json -Depth 5', /convertfrom-json -Depth/],
      ['$x | ConvertTo-Json -EnumsAsStrings', /convertto-json -EnumsAsStrings/],
      ['@(1, 2) | Join-String -Separator ","', /cmdlet join-string/],
      ['Get-Error', /cmdlet get-error/],
      ['$PSStyle.Reset', /\$PSStyle/],
      ['if ($IsWindows) { 1 }', /\$IsWindows/],
      ['function f { process { 1 } clean { 2 } }', /clean/],
      ['${o}?.Name', /null-conditional|ternary/],
    ];
    for (const [snippet, what] of cases) {
      const found = sevenOnly(snippet);
      expect(found.join('\n'), snippet).toMatch(what);
    }
  });

  it('is not found in strings, comments or Windows PowerShell 5.1 code', () => {
    expect(
      sevenOnly(
        '# a ?? b && c -Parallel $PSStyle\n$s = "x ?? y && z"\n$t = \'a || b\'\n$h = @{ a = 1 }\n$n = $null -eq $x\nGet-ChildItem | ForEach-Object { $_.Name }\n$j | ConvertFrom-Json\n',
      ),
    ).toEqual([]);
  });

  const files = [
    'bootstrap.ps1',
    ...readdirSync(join(resources, 'scripts'))
      .filter((f) => f.endsWith('.ps1'))
      .map((f) => `scripts/${f}`),
  ];
  for (const file of files) {
    it(`resources/${file} uses only Windows PowerShell 5.1 syntax`, () => {
      expect(sevenOnly(readFileSync(join(resources, file), 'utf8'))).toEqual([]);
    });
  }
});
