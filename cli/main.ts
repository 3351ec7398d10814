/** `twinlock`: every wizard step as a verb, human tables or --json. */
import { Command } from 'commander';
import { toErrorData } from '../engine/api/errors';
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
import { createOutput } from './output';
import { EXIT } from './run';

export function buildProgram(): Command {
  const program = new Command('twinlock')
    .description('Make two Windows servers fault tolerant: discover, verify, install, pair, prove.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nPasswords come from TWINLOCK_PASSWORD or --password-stdin, or log on with a private key: --identity FILE. State lives in $TWINLOCK_HOME when set.',
    );
  // In the order `twinlock --help` lists them: discover, verify, install, pair, replay, then the rest.
  registerScanVerb(program);
  registerInventoryVerb(program);
  registerVerifyVerb(program);
  registerStatusVerb(program);
  registerFixVerb(program);
  registerRollbackVerb(program);
  registerInstallVerb(program);
  registerLinksVerb(program);
  registerPlanVerb(program);
  registerPairVerb(program);
  registerUnpairVerb(program);
  registerDrillVerb(program);
  registerReportVerb(program);
  registerApplyVerb(program);
  registerBundleVerbs(program);
  registerDriftVerb(program);
  registerFleetVerbs(program);
  registerHostsVerbs(program);
  registerKeyVerbs(program);
  registerLabVerbs(program);
  registerServeVerb(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // An option value refused as the command line is read (cli/options.ts): nothing has started.
  createOutput(process.argv.includes('--json')).error(toErrorData(err, 'reading the command line'));
  process.exitCode = EXIT.error;
}
