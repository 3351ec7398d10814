/**
 * Verification: `twinlock verify` compares two servers for a protection level, and `twinlock fix`
 * runs a fix that verify offers on one server, on the admin's word (shown first with --preview).
 */
import type { Command } from 'commander';
import type { ClusterConfig, Finding, FixId, JobSnapshotOf, VerifyReport } from '../../engine/api';
import { FIX_IDS } from '../../engine/api/fix-ids';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import {
  parseClusterAddress,
  parseClusterName,
  parseLevel,
  parseReportFile,
  reportFormatOf,
} from '../options';
import type { JsonOption } from '../options';
import { formatDuration, table } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

const mark: Record<Finding['severity'], string> = { pass: 'pass', warning: 'WARN', blocker: 'BLOCK' };

// The cluster flags are read as every verb reads them (cli/options.ts), without loading a schema.
export { parseClusterAddress, parseClusterName };

interface VerifyFlags extends ConnectionOptions, JsonOption {
  level: 1 | 2 | 3;
  report?: string;
  clusterName?: string;
  clusterAddress?: string;
  /** commander's `--no-test-cluster`: false when given. */
  testCluster: boolean;
}

/** The cluster the flags name: both flags or neither, and only at Level 1. */
export function clusterOf(options: VerifyFlags): ClusterConfig | undefined {
  const { clusterName: name, clusterAddress: address } = options;
  if (name === undefined && address === undefined) return undefined;
  if (options.level !== 1) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `${name !== undefined ? '--cluster-name' : '--cluster-address'} applies to Level 1 only (Windows failover clustering), and --level is ${options.level}.`,
      hint: 'Add --level 1, or leave out --cluster-name and --cluster-address.',
      detail: { field: name !== undefined ? 'cluster-name' : 'cluster-address' },
    });
  }
  if (name === undefined || address === undefined) {
    const missing = name === undefined ? '--cluster-name' : '--cluster-address';
    throw new TwinlockError({
      code: 'invalid-input',
      message: `${missing} is missing: the cluster is checked with its name and its address together.`,
      hint: 'Give both, for example --cluster-name PAIR01-CL --cluster-address 192.168.50.50, or neither (they are checked when the pair’s cluster is chosen).',
      detail: { field: missing.slice(2) },
    });
  }
  return { name, address };
}

/** Level 1: the cluster asked about and Test-Cluster's results, per category and test, with Windows' text. */
export function clusterText(report: VerifyReport): string[] {
  if (report.level !== 1 || report.clusterPrereqs === undefined) return [];
  const c = report.cluster ?? null;
  const lines = [
    '',
    c
      ? `Cluster ${c.name} at ${c.address}.`
      : 'No cluster name or address given: they are checked when the pair’s cluster is chosen (the plan checks them again).',
  ];
  const v = report.clusterValidation ?? null;
  if (v === null) {
    const why = report.findings.find((f) => f.ruleId === 'cluster.validation')?.reason ?? '';
    return [...lines, `Windows’ Test-Cluster: not run. ${why}`];
  }
  lines.push(
    `Windows’ Test-Cluster on ${v.nodes.join(' and ')}: ${v.result}${v.reportPath ? ` (report ${v.reportPath})` : ''}`,
  );
  for (const cat of v.categories) {
    lines.push(`  ${cat.name}: ${cat.result}`);
    for (const t of cat.tests)
      lines.push(`    ${t.result.padEnd(7)} ${t.name}${t.message ? ` — ${t.message}` : ''}`);
  }
  return lines;
}

export function registerVerifyVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('verify')
      .description('compare two servers for a protection level (exit 2 when there is a blocker)')
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .option('--level <1|2|3>', 'protection level', parseLevel, 3)
      .option(
        '--cluster-name <name>',
        'Level 1: the cluster’s name, checked in the directory and DNS (with --cluster-address)',
        parseClusterName,
      )
      .option(
        '--cluster-address <ip>',
        'Level 1: the cluster’s static IPv4 address, checked free and on the business network',
        parseClusterAddress,
      )
      .option('--no-test-cluster', 'Level 1: skip Windows’ Test-Cluster (it takes a minute or more)')
      .option(
        '--report <file>',
        'also write the report; the format follows the extension (.json, .html or .pdf)',
        parseReportFile,
      )
      .option('--json', 'print JSON'),
  ).action((hostA: string, hostB: string, options: VerifyFlags) =>
    runVerb(options.json, 'the verification', async (out, engine) => {
      const cluster = clusterOf(options);
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      if (options.level === 1 && options.testCluster)
        out.info(
          `Verifying at Level 1: Windows’ Test-Cluster runs from ${a!.computerName} over both servers (a minute or more on real servers).`,
        );
      const report = await engine.api.verify({
        sessions: [a!.sessionId, b!.sessionId],
        level: options.level,
        ...(cluster ? { cluster } : {}),
        testCluster: options.testCluster,
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
          ...clusterText(report),
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
