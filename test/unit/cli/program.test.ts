import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, buildProgram } from '../../../cli/program';

const names = (program: Command) => program.commands.map((c) => c.name());

describe('the twinlock command line', () => {
  it('registers, for each name in its table, exactly that one command', () => {
    for (const [name, register] of COMMANDS) {
      const program = new Command('twinlock');
      register(program);
      expect(names(program), name).toEqual([name]);
    }
    expect(new Set(COMMANDS.map(([name]) => name)).size).toBe(COMMANDS.length);
  });

  it('registers only the command a run names, and every command for help, a typo or none', () => {
    expect(names(buildProgram(['node', 'twinlock', 'hosts', 'list']))).toEqual(['hosts']);
    expect(names(buildProgram(['node', 'twinlock', 'pair', 'A', 'B', '--level', '1']))).toEqual(['pair']);
    const all = COMMANDS.map(([name]) => name);
    for (const argv of [
      [],
      ['node', 'twinlock'],
      ['node', 'twinlock', '--help'],
      ['node', 'twinlock', 'help', 'hosts'],
      ['node', 'twinlock', 'hots'],
    ])
      expect(names(buildProgram(argv)), argv.join(' ')).toEqual(all);
  });

  it('suggests the command a typo meant, as with every command registered', async () => {
    const program = buildProgram(['node', 'twinlock', 'hots']).exitOverride();
    let err = '';
    program.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
    await expect(program.parseAsync(['node', 'twinlock', 'hots'])).rejects.toThrow();
    expect(err).toContain('Did you mean hosts?');
  });
});
