/** `twinlock`: every wizard step as a verb, human tables or --json. */
import { Command } from 'commander';
import { registerFixVerb, registerRollbackVerb } from './commands/fix';
import { registerHostVerbs } from './commands/hosts';
import { registerSetupVerbs } from './commands/setup';
import { registerShellVerbs } from './commands/shells';
import { registerKnownHostVerbs } from './commands/known-hosts';
import { registerKeyVerbs } from './commands/keys';
import { registerReplayVerb } from './commands/replay';
import { registerScanVerb } from './commands/scan';

export function buildProgram(): Command {
  const program = new Command('twinlock')
    .description('Make two Windows servers fault tolerant: discover, verify, install, pair, prove.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nPasswords come from TWINLOCK_PASSWORD or --password-stdin, or log on with a private key: --identity FILE. State lives in $TWINLOCK_HOME when set.',
    );
  registerScanVerb(program);
  registerHostVerbs(program);
  registerFixVerb(program);
  registerRollbackVerb(program);
  registerSetupVerbs(program);
  registerReplayVerb(program);
  registerKnownHostVerbs(program);
  registerKeyVerbs(program);
  registerShellVerbs(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
