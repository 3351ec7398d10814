/** `twinlock`: every wizard step as a verb, human tables or --json. */
import { toErrorData } from '../engine/api/errors';
import { createOutput } from './output';
import { buildProgram } from './program';
import { EXIT } from './run';

try {
  await buildProgram(process.argv).parseAsync(process.argv);
} catch (err) {
  // An option value refused as the command line is read (cli/options.ts): nothing has started.
  createOutput(process.argv.includes('--json')).error(toErrorData(err, 'reading the command line'));
  process.exitCode = EXIT.error;
}
