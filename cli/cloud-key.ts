/**
 * A cloud witness's access key (Level 1): read from TWINLOCK_CLOUD_WITNESS_KEY, or asked for on
 * the terminal without echo — never taken from the command line (command lines end up in shell
 * history and process lists), and never printed.
 */
import type { Plan } from '../engine/api';
import { TwinlockError } from '../engine/api/errors';

/** The environment variable the key is read from. */
export const CLOUD_KEY_ENV = 'TWINLOCK_CLOUD_WITNESS_KEY';

/** True when applying `plan` needs the key (its quorum step sets a cloud witness). */
export function planNeedsCloudKey(plan: Plan): boolean {
  return plan.steps.some((s) => s.script.name === 'set-cluster-quorum' && s.params.kind === 'cloud');
}

/** Asks on the terminal, echoing nothing; null without a terminal. */
async function askHidden(question: string): Promise<string | null> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return null;
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  let asking = true;
  const write = muted._writeToOutput.bind(rl);
  muted._writeToOutput = (s: string) => {
    if (!asking) write(s);
  };
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    asking = false;
    process.stderr.write('\n');
    rl.close();
  }
}

/**
 * The key for `plan`, or undefined when it needs none; refuses, naming where to give it, when none
 * is given. `envName` is the variable `--cloud-witness-key-env` names, {@link CLOUD_KEY_ENV} by default.
 */
export async function cloudWitnessKey(
  plan: Plan,
  envName: string = CLOUD_KEY_ENV,
): Promise<string | undefined> {
  if (!planNeedsCloudKey(plan)) return undefined;
  const account = String(
    plan.steps.find((s) => s.script.name === 'set-cluster-quorum')?.params.accountName ?? '',
  );
  return cloudWitnessKeyOf(account, envName);
}

/** The key of storage account `account`: from `envName`, or asked for; refuses, naming where to give it, when none is given. */
export async function cloudWitnessKeyOf(account: string, envName: string = CLOUD_KEY_ENV): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const typed = (await askHidden(`Access key of the storage account ${account} (not shown): `))?.trim();
  if (typed) return typed;
  throw new TwinlockError({
    code: 'invalid-input',
    message: `cloudWitnessKey: the cloud witness (storage account ${account}) needs its access key, and none was given.`,
    hint: `Set ${envName} in the environment (or run on a terminal to be asked); the key is used once and never stored or printed.`,
    detail: { field: 'cloudWitnessKey' },
  });
}
