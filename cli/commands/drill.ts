/**
 * Proving a pair: `twinlock drill` (a failover drill, its downtime measured by Twinlock from
 * outside) and `twinlock report` (the protection report, HTML or PDF).
 */
import type { Command } from 'commander';
import type { DrillKind, DrillResult, JobSnapshotOf } from '../../engine/api';
import { DRILL_KINDS } from '../../engine/api/rules';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { invalidOption } from '../options';
import type { JsonOption } from '../options';
import { table } from '../output';
import type { Output } from '../output';
import { requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

const KINDS = DRILL_KINDS;

/** `--kind`: primary-loss or link-loss; on a Level 1 pair (a failover cluster) also drain or live-migration. */
function parseKind(text: string): DrillKind {
  const kind = KINDS.find((k) => k === text);
  if (!kind)
    throw invalidOption(
      '--kind',
      text,
      'primary-loss or link-loss (Levels 2 and 3), primary-loss, drain or live-migration (Level 1)',
      'primary-loss',
    );
  return kind;
}

/** `--watch VM=PORT`, repeatable: a TCP port of a VM's service to watch. */
function collectWatch(text: string, previous: Record<string, number> = {}): Record<string, number> {
  const eq = text.lastIndexOf('=');
  const port = eq > 0 ? Number(text.slice(eq + 1)) : NaN;
  if (eq <= 0 || !/^\d+$/.test(text.slice(eq + 1)) || port < 1 || port > 65535)
    throw invalidOption('--watch', text, 'VM=PORT, a VM name and a TCP port from 1 to 65535', 'SQL01=1433');
  // The VM name verbatim, as the agent takes it.
  return { ...previous, [text.slice(0, eq)]: port };
}

/** A duration for an admin: ms below a second, seconds below two minutes, then minutes. */
export function spoken(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A measured figure in real time, and in the servers' time where their clock runs faster (the lab). */
export function withServerTime(ms: number, scale: number): string {
  return scale === 1 || ms === 0 ? spoken(ms) : `${spoken(ms * scale)} in server time (${spoken(ms)} real)`;
}

function what(kind: DrillKind, a: string, b: string): string {
  switch (kind) {
    case 'primary-loss':
      return `simulate the loss of the primary's side of the pair ${a} / ${b}: the secondary takes over its VMs (at Level 1 the primary's cluster service is stopped and its VMs restart on the secondary), then the VMs fail back`;
    case 'link-loss':
      return `cut every sync link between ${a} and ${b}: the pair runs degraded, then resynchronises`;
    case 'drain':
      return `drain the primary of the Level 1 pair ${a} / ${b}: its VMs move to the secondary while they run and it is paused, then resumed with its VMs moved back`;
    case 'live-migration':
      return `move each VM of the Level 1 pair ${a} / ${b} to the other server while it runs (live migration), and back`;
    default:
      return assertNever(kind);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected drill kind ${String(value)}`);
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function drillText(r: DrillResult): string {
  const scale = r.serverTimeScale;
  return [
    table(
      [scale === 1 ? 'At' : 'At (server time)', 'State', 'Server', 'What happened'],
      r.timeline.map((e) => [spoken(e.atMs * scale), e.state, e.node, e.message]),
    ),
    '',
    ...r.vms.map((v) => `  ${v.name}: ${withServerTime(v.downtimeMs, scale)} down (watched: ${v.watched})`),
    r.cluster !== undefined
      ? `Downtime measured by Twinlock: ${spoken(r.measuredDowntimeMs)}${
          r.agentDowntimeMs === null
            ? ''
            : ` (Twinlock read every VM online on the other server in the cluster ${spoken(r.agentDowntimeMs)} after the stop)`
        }`
      : `Downtime measured by Twinlock: ${withServerTime(r.measuredDowntimeMs, scale)} (agent: ${
          r.agentDowntimeMs === null ? 'no figure' : spoken(r.agentDowntimeMs)
        })`,
    `Looked at each VM every ${r.sampleIntervalMs} ms on both servers; the drill took ${withServerTime(r.elapsedMs, scale)}${
      scale === 1 ? '' : ` (the servers' clock runs ${scale}× real time)`
    }.`,
    r.result === 'passed'
      ? `Drill passed: ${r.kind} at Level ${r.level}, the pair is ${r.finalState} again.`
      : `Drill FAILED: ${r.reason ?? 'no reason given'} (the pair is ${r.finalState}).`,
  ].join('\n');
}

export function registerDrillVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('drill')
      .description('run a failover drill on a protected pair, measuring each VM’s downtime from outside')
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .requiredOption(
        '--kind <primary-loss|link-loss|drain|live-migration>',
        'what the drill simulates (drain and live-migration: Level 1 pairs; link-loss: Levels 2 and 3)',
        parseKind,
      )
      .option('--watch <VM=PORT>', 'also watch a TCP port of a VM’s service (repeatable)', collectWatch)
      .option('--yes', 'confirm: the pair fails over (and back) for real')
      .option('--json', 'print NDJSON progress, then the result'),
  ).action(
    (
      hostA: string,
      hostB: string,
      options: ConnectionOptions &
        JsonOption & { kind: DrillKind; watch?: Record<string, number>; yes?: boolean },
    ) =>
      runVerb(options.json, 'the drill', async (out, engine) => {
        const plan = what(options.kind, hostA, hostB);
        if (!options.yes) {
          const interactive = process.stdin.isTTY === true && !options.json;
          if (!interactive) {
            throw new TwinlockError({
              code: 'invalid-input',
              message: `drill would ${plan}, and --yes was not given.`,
              hint: `Check the pair is protected (twinlock status ${hostA}), then run it again with --yes.`,
              detail: { field: 'yes' },
            });
          }
          out.info(`This drill will ${plan}.`);
          if (!(await confirm('Run the drill now?'))) {
            out.info('Nothing was done.');
            return EXIT.error;
          }
        }
        const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
        out.info(`Drill: Twinlock will ${plan}.`);
        const ref = await engine.api.drill({
          sessions: [a!.sessionId, b!.sessionId],
          kind: options.kind,
          watchPorts: options.watch ?? {},
        });
        const job = (await followDrill(engine, ref.jobId, out)) as JobSnapshotOf<'drill'>;
        requireDone(job);
        const result = job.result!;
        out.result(result, () => drillText(result));
        return result.result === 'passed' ? EXIT.ok : EXIT.error;
      }),
  );
}

/** Prints each server's progress line as it changes (NDJSON with --json), and returns the final snapshot. */
async function followDrill(engine: Parameters<Parameters<typeof runVerb>[2]>[1], jobId: string, out: Output) {
  const last = new Map<string, string>();
  const unsubscribe = engine.subscribe((event) => {
    if (event.type !== 'job' || event.job.id !== jobId) return;
    out.event({ event: 'progress', jobId, state: event.job.state, hosts: event.job.hosts });
    for (const [id, h] of Object.entries(event.job.hosts)) {
      const line = `${h.label}: ${h.message}`;
      if (last.get(id) === line) continue;
      last.set(id, line);
      out.info(`  ${line}`);
    }
  });
  try {
    return await engine.api.waitJob({ jobId });
  } finally {
    unsubscribe();
  }
}

export function registerReportVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('report')
      .description(
        'write the protection report (the pair, verification, the plan applied, links, the last drill) as HTML or PDF',
      )
      .argument('<hostA>', 'host[:port]')
      .argument('<hostB>', 'host[:port]')
      .option(
        '--format <html|pdf>',
        'document format',
        (text: string) => {
          if (text !== 'html' && text !== 'pdf') throw invalidOption('--format', text, 'html or pdf', 'pdf');
          return text;
        },
        'html',
      )
      .option('--out <file>', 'where to write it (default: the reports folder in Twinlock’s data folder)')
      .option('--json', 'print JSON'),
  ).action(
    (
      hostA: string,
      hostB: string,
      options: ConnectionOptions & JsonOption & { format: 'html' | 'pdf'; out?: string },
    ) =>
      runVerb(options.json, 'the protection report', async (out, engine) => {
        const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
        const written = await engine.api.exportProtectionReport({
          sessions: [a!.sessionId, b!.sessionId],
          format: options.format,
          ...(options.out ? { path: options.out } : {}),
        });
        const { contentBase64: _content, ...summary } = written;
        out.result(
          summary,
          () => `Protection report (${written.format}, ${written.bytes} bytes): ${written.path}`,
        );
        return EXIT.ok;
      }),
  );
}
