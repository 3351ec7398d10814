/** Runs one verb: builds the engine, maps errors to exit codes, always closes the engine. */
import type { TwinlockEngine } from '../engine/api';
import { toErrorData } from '../engine/api/errors';
import { createOutput } from './output';
import type { Output } from './output';

/**
 * Exit codes: 0 done (or ready, or matching its bundle), 1 an error, 2 a blocker found by
 * verification (or a dead link), 3 a link below what the level wants, or a pair that drifted from its bundle.
 */
export const EXIT = { ok: 0, error: 1, blocker: 2, warning: 3, drift: 3 } as const;

export async function runVerb(
  json: boolean | undefined,
  doing: string,
  body: (out: Output, engine: TwinlockEngine) => Promise<number>,
): Promise<void> {
  const out = createOutput(json === true);
  // Loaded when a verb runs, not when the command line is parsed: `twinlock --version` and
  // `--help` start without the engine and its schemas.
  const { createEngine } = await import('../engine/engine');
  const engine = createEngine({});
  let code: number = EXIT.error;
  try {
    code = await body(out, engine);
  } catch (err) {
    out.error(toErrorData(err, doing));
    code = EXIT.error;
  } finally {
    await engine.close();
  }
  process.exitCode = code;
}

/** Resolves when the admin presses Ctrl+C (or the process is asked to stop): for verbs that run in the foreground. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
