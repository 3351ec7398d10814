import { describe, expect, it } from 'vitest';
import { parseCommandLine, startProcessArguments } from '../../../lab/command-line';

describe('the lab splits native command lines as the C runtime does', () => {
  it.each([
    ['a b c', ['a', 'b', 'c']],
    ['"a b" c', ['a b', 'c']],
    ['  a\t"" b ', ['a', '', 'b']],
    ['a\\b c\\\\d', ['a\\b', 'c\\\\d']],
    ['"C:\\Program Files\\x\\\\" next', ['C:\\Program Files\\x\\', 'next']],
    ['a\\"b', ['a"b']],
    ['a\\\\"b c"', ['a\\b c']],
    ['"say ""hi"""', ['say "hi"']],
  ])('%j', (line, argv) => {
    expect(parseCommandLine(line)).toEqual(argv);
  });

  it('shows why values never travel on a command line: a trailing backslash swallows the next flag, a quote injects one', () => {
    // Windows PowerShell 5.1 wraps an argument with a space in quotes, but leaves its backslashes alone.
    expect(parseCommandLine('pair create --name "a b\\" --level 1')).toEqual([
      'pair',
      'create',
      '--name',
      'a b" --level 1',
    ]);
    // The value a\" --level 1 --x \" with only its quotes escaped (the old way) injects --level 1.
    const escaped = 'a\\" --level 1 --x \\"'.replace(/"/g, '\\"');
    expect(parseCommandLine(`pair create --name "${escaped}"`)).toEqual([
      'pair',
      'create',
      '--name',
      'a\\',
      '--level',
      '1',
      '--x',
      '\\',
    ]);
    // Start-Process adds no quotes at all: a path with a space becomes two arguments.
    expect(parseCommandLine(startProcessArguments(['C:\\updates\\kb1 (1).msu', '/quiet']))).toEqual([
      'C:\\updates\\kb1',
      '(1).msu',
      '/quiet',
    ]);
    expect(parseCommandLine(startProcessArguments(['"C:\\updates\\kb1 (1).msu"', '/quiet']))).toEqual([
      'C:\\updates\\kb1 (1).msu',
      '/quiet',
    ]);
  });
});
