/**
 * The `twinlock` command line: every top-level command and what registers it. A run that names
 * one command registers that one only, as every script's call does, so it never builds the options
 * and help of the other twenty; help, a mistyped command or none at all registers every command,
 * so `twinlock --help` lists them all and a typo gets its suggestion.
 */
import { Command } from 'commander';
import { registerApplyVerb } from './commands/bundle';
import { registerBundleVerbs } from './commands/bundle-verify';
import { registerDrillVerb, registerReportVerb } from './commands/drill';
import { registerDriftVerb } from './commands/drift';
import { registerFleetVerbs } from './commands/fleet';
import { registerHostsVerbs } from './commands/hosts';
import { registerInstallVerb, registerRollbackVerb } from './commands/install';
import { registerInventoryVerb } from './commands/inventory';
import { registerKeyVerbs } from './commands/keys';
import { registerLabVerbs } from './commands/lab';
import { registerLinksVerb } from './commands/links';
import { registerPairVerb, registerStatusVerb, registerUnpairVerb } from './commands/pair';
import { registerPlanVerb } from './commands/plan';
import { registerScanVerb } from './commands/scan';
import { registerServeVerb } from './commands/serve';
import { registerFixVerb, registerVerifyVerb } from './commands/verify';

/** Each top-level command by name, in the order `twinlock --help` lists them: discover, verify, install, pair, replay, then the rest. */
export const COMMANDS: ReadonlyArray<readonly [name: string, register: (program: Command) => void]> = [
  ['scan', registerScanVerb],
  ['inventory', registerInventoryVerb],
  ['verify', registerVerifyVerb],
  ['status', registerStatusVerb],
  ['fix', registerFixVerb],
  ['rollback', registerRollbackVerb],
  ['install', registerInstallVerb],
  ['links', registerLinksVerb],
  ['plan', registerPlanVerb],
  ['pair', registerPairVerb],
  ['unpair', registerUnpairVerb],
  ['drill', registerDrillVerb],
  ['report', registerReportVerb],
  ['apply', registerApplyVerb],
  ['bundle', registerBundleVerbs],
  ['drift', registerDriftVerb],
  ['fleet', registerFleetVerbs],
  ['hosts', registerHostsVerbs],
  ['keys', registerKeyVerbs],
  ['lab', registerLabVerbs],
  ['serve', registerServeVerb],
];

/** The program for a command line (`process.argv`); without one, with every command. */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('twinlock')
    .description('Make two Windows servers fault tolerant: discover, verify, install, pair, prove.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nPasswords come from TWINLOCK_PASSWORD or --password-stdin, or log on with a private key: --identity FILE. State lives in $TWINLOCK_HOME when set.',
    );
  const named = COMMANDS.find(([name]) => name === argv[2]);
  for (const [, register] of named ? [named] : COMMANDS) register(program);
  return program;
}
