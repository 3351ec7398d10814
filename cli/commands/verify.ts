/**
 * Verification: `twinlock verify` compares two servers for a protection level, and `twinlock fix`
 * runs a fix that verify offers on one server, on the admin's word (shown first with --preview).
 */
import type { Command } from 'commander';
import type { Finding, FixId, JobSnapshotOf } from '../../engine/api';
import { FIX_IDS } from '../../engine/api/fix-ids';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { parseLevel, parseReportFile, reportFormatOf } from '../options';
import type { JsonOption } from '../options';
import { formatDuration, table } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

const mark: Record<Finding['severity'], string> = { pass: 'pass', warning: 'WARN', blocker: 'BLOCK' };

export function registerVerifyVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('verify')
      .description('compare two servers for a protection level (exit 2 when there is a blocker)')
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .option('--level <1|2|3>', 'protection level', parseLevel, 3)
      .option(
        '--report <file>',
        'also write the report; the format follows the extension (.json, .html or .pdf)',
        parseReportFile,
      )
      .option('--json', 'print JSON'),
  ).action(
    (
      hostA: string,
      hostB: string,
      options: ConnectionOptions & JsonOption & { level: 1 | 2 | 3; report?: string },
    ) =>
      runVerb(options.json, 'the verification', async (out, engine) => {
        const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
        const report = await engine.api.verify({
          sessions: [a!.sessionId, b!.sessionId],
          level: options.level,
        });
        if (options.report) {
          const format = reportFormatOf(options.report) ?? 'json';
          const written = await engine.api.exportReport({ report, format, path: options.report });
          out.info(`Report written to ${written.path}`);
        }
        out.result(report, () =>
          [
            report.verdict,
            '',
            table(
              ['Result', 'Check', report.hosts[0].computerName, report.hosts[1].computerName],
              report.findings.map((f) => [mark[f.severity], f.title, f.values[0], f.values[1]]),
            ),
            ...report.findings
              .filter((f) => f.severity !== 'pass')
              .map(
                (f) =>
                  `\n${mark[f.severity]} ${f.title}: ${f.reason}\n  fix: ${f.remedy}` +
                  (f.fixId
                    ? `\n  Twinlock can fix this: ${f.fixOn.map((i) => `twinlock fix ${[hostA, hostB][i]} ${f.fixId}`).join(' ; ')} (--preview shows what it runs).`
                    : ''),
              ),
          ].join('\n'),
        );
        return report.outcome === 'blocked' ? EXIT.blocker : EXIT.ok;
      }),
  );
}

interface FixFlags extends ConnectionOptions, JsonOption {
  preview?: boolean;
  allowReboot?: boolean;
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
  ).action((host: string, fix: string, options: FixFlags) =>
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
