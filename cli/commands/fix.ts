/**
 * Verbs that change one server on the admin's word: `twinlock fix` (the fixes `verify` offers,
 * shown first with --preview) and `twinlock rollback` (what the wizard's Roll back does).
 */
import type { Command } from 'commander';
import type { FixId, JobSnapshotOf } from '../../engine/api';
import { FIX_IDS } from '../../engine/api/fix-ids';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { formatDuration } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

interface FixOptions extends ConnectionOptions {
  preview?: boolean;
  allowReboot?: boolean;
  json?: boolean;
}

function parseFixId(text: string): FixId {
  const known = FIX_IDS.find((id) => id === text);
  if (known !== undefined) return known;
  throw new TwinlockError({
    code: 'invalid-input',
    message: `fix: “${text}” is not a fix Twinlock knows.`,
    hint: `Use one that twinlock verify names: ${FIX_IDS.join(', ')}.`,
    detail: { field: 'fix' },
  });
}

export function registerFixVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('fix')
      .description(
        'run a fix that `twinlock verify` offers on a server (--preview shows exactly what it runs)',
      )
      .argument('<host>', 'host[:port] of the server to change')
      .argument('<fix>', FIX_IDS.join(' | '))
      .option('--preview', 'show the script and its parameters, change nothing')
      .option('--allow-reboot', 'let a fix that needs a restart restart the server, and wait for it')
      .option('--json', 'print JSON (NDJSON progress while it runs)'),
  ).action((host: string, fix: string, options: FixOptions) =>
    runVerb(options.json, 'the fix', async (out, engine) => {
      const fixId = parseFixId(fix);
      const [session] = await connectAll(engine.api, [host], options);
      const sessionId = session!.sessionId;
      const preview = await engine.api.previewFix({ sessionId, fixId });
      if (options.preview) {
        out.result(preview, () =>
          [
            preview.description,
            preview.needsReboot
              ? `${preview.computerName} restarts afterwards; run with --allow-reboot to let it.`
              : 'No restart is needed.',
            '',
            `${preview.scriptName}.ps1, with parameters ${JSON.stringify(preview.params)}:`,
            '',
            preview.script.trimEnd(),
          ].join('\n'),
        );
        return EXIT.ok;
      }
      if (preview.needsReboot && !options.allowReboot) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `${fixId} restarts ${preview.computerName}, and --allow-reboot was not given.`,
          hint: `Plan the restart, then run it again with --allow-reboot (twinlock fix ${host} ${fixId} --preview shows what it runs).`,
          detail: { field: 'allowReboot' },
        });
      }
      out.info(preview.description);
      const ref = await engine.api.applyFix({ sessionId, fixId });
      const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'fix'>;
      requireDone(job);
      const result = job.result!;
      out.result(result, () =>
        [
          `${result.message.replace(/\.$/, '')} (${formatDuration(result.elapsedMs)}).`,
          'Run twinlock verify with both servers to see the new verdict.',
        ].join('\n'),
      );
      return EXIT.ok;
    }),
  );
}

export function registerRollbackVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('rollback')
      .description(
        'remove the agent, its firewall rules and its uploaded files from a server (the wizard’s Roll back)',
      )
      .argument('<host>', 'host[:port]')
      .option('--yes', 'confirm: the agent is removed from the server')
      .option('--json', 'print JSON'),
  ).action((host: string, options: ConnectionOptions & { yes?: boolean; json?: boolean }) =>
    runVerb(options.json, 'the roll back', async (out, engine) => {
      if (!options.yes) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `rollback removes the Twinlock agent from ${host}, and --yes was not given.`,
          hint: `If that server is not protecting VMs you still need, run it again with --yes (twinlock status ${host} shows its pair).`,
          detail: { field: 'yes' },
        });
      }
      const [session] = await connectAll(engine.api, [host], options);
      const outcome = await engine.api.rollback({ sessionId: session!.sessionId });
      out.result(outcome, () =>
        [
          outcome.message,
          ...(outcome.removedFiles.length > 0 ? [`Removed: ${outcome.removedFiles.join(', ')}`] : []),
        ].join('\n'),
      );
      return EXIT.ok;
    }),
  );
}
