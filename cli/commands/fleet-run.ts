/**
 * `twinlock fleet apply|drift <fleet>`: every pair of a fleet file, several at once. On a terminal
 * a live table (one row per pair) is redrawn in place; on a pipe each change of a pair is one
 * line; with --json each change is one NDJSON event, then the result. Exit 0 when every pair is
 * protected, unchanged or matches, 3 when one drifts (or --check plans a change), 1 when one failed.
 */
import type { Command } from 'commander';
import type { FleetOutcome, FleetPairOutcome, JobSnapshotOf, TwinlockEngine } from '../../engine/api';
import { TwinlockError } from '../../engine/api/errors';
import { CONNECT_TIMEOUT_MS, readCredentials } from '../connection';
import type { ConnectionOptions } from '../connection';
import { checkFingerprint, checkedText, parseEnvName, readCloudWitnessKey, wholeNumber } from '../options';
import type { JsonOption } from '../options';
import { formatDuration, table } from '../output';
import type { Output } from '../output';
import { EXIT, runVerb } from '../run';

interface FleetFlags extends ConnectionOptions, JsonOption {
  bundle?: string;
  parallel: string;
  check?: boolean;
  restart?: boolean;
  package?: string;
  trustPublisher?: string;
  cloudWitnessKeyEnv?: string;
}

const PARALLEL = { min: 1, max: 64 } as const;

function addFleetOptions(command: Command): Command {
  return command
    .argument('<fleet>', 'a fleet file: fleet.yaml (or .yml) or fleet.csv')
    .option(
      '--bundle <file>',
      'the bundle every pair replays (needed when the fleet file names none, as a CSV)',
    )
    .option(
      '--parallel <n>',
      'how many pairs run at once',
      checkedText(wholeNumber('--parallel', PARALLEL, '10')),
      '4',
    )
    .option(
      '--user <name>',
      'administrator account on the servers (default: the fleet file’s, else Administrator)',
    )
    .option(
      '--trust-new',
      'pin the host key of a server seen for the first time (else the fleet file’s fingerprint must match)',
    )
    .option(
      '--timeout <ms>',
      'connect timeout per server in milliseconds',
      checkedText(wholeNumber('--timeout', { ...CONNECT_TIMEOUT_MS, unit: 'milliseconds' }, '15000')),
      '15000',
    )
    .option(
      '--fingerprint <SHA256:...>',
      'accept this host-key fingerprint for a new server the fleet file pins none for (repeatable: one per server)',
      (value: string, previous: string[] = []) => [...previous, checkFingerprint(value)],
    )
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--identity <file>', 'log on with this private key (passphrase from TWINLOCK_KEY_PASSPHRASE)')
    .option('--json', 'print NDJSON: one event per change of a pair, then the result');
}

export function registerFleetRunVerbs(fleet: Command): void {
  addFleetOptions(
    fleet
      .command('apply')
      .description('bring every pair of a fleet to its bundle: verify, install, plan, pair, check for drift'),
  )
    .option('--check', 'plan each pair and report what would change; change nothing')
    .option('--restart', 'ignore what an earlier run of this fleet finished: every pair from the start')
    .option('--package <dir>', 'agent package folder, when the bundle has no agent/ folder beside it')
    .option(
      '--trust-publisher <thumbprint>',
      'trust the package’s publisher on first use, after comparing its certificate thumbprint',
    )
    .option(
      '--cloud-witness-key-env <NAME>',
      'Level 1 with a cloud witness: read its storage account’s access key from this environment variable (default TWINLOCK_CLOUD_WITNESS_KEY; never from the fleet file, never written to its journal)',
      checkedText(parseEnvName),
    )
    .action((file: string, options: FleetFlags) => runFleet('apply', file, options));

  addFleetOptions(
    fleet.command('drift').description('compare every pair of a fleet with its bundle; change nothing'),
  ).action((file: string, options: FleetFlags) => runFleet('drift', file, options));
}

function runFleet(mode: 'apply' | 'drift', file: string, options: FleetFlags): Promise<void> {
  return runVerb(options.json, `the fleet ${mode}`, async (out, engine) => {
    const fleet = await engine.api.parseFleet({ path: file });
    const bundle = options.bundle ?? fleet.bundle;
    if (!bundle) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: `--bundle: ${file} names no bundle for its pairs to replay.`,
        hint: `Give it with --bundle FILE, e.g. twinlock fleet ${mode} ${file} --bundle PAIR-01.twinlock (a CSV fleet file has no bundle of its own).`,
        detail: { field: 'bundle' },
      });
    }
    const cloudWitnessKey = readCloudWitnessKey(options);
    const credentials = await readCredentials(options);
    const ref = await engine.api.fleet({
      mode,
      fleet,
      bundle,
      parallel: Number(options.parallel),
      credentials: { username: options.user ?? fleet.user ?? 'Administrator', ...credentials },
      ...(options.trustNew ? { trustNew: true } : {}),
      ...(options.fingerprint && options.fingerprint.length > 0 ? { fingerprints: options.fingerprint } : {}),
      ...(options.check ? { check: true } : {}),
      ...(options.restart ? { restart: true } : {}),
      ...(options.package ? { packageDir: options.package } : {}),
      ...(options.trustPublisher ? { trustPublisher: options.trustPublisher } : {}),
      timeoutMs: Number(options.timeout ?? 15000),
      ...(cloudWitnessKey !== undefined ? { cloudWitnessKey } : {}),
    });
    out.info(
      `${mode === 'drift' ? 'Checking' : options.check ? 'Planning' : 'Applying'} ${fleet.pairs.length} pair(s) of ${file}, ${options.parallel} at a time.`,
    );
    const job = await followFleet(engine, ref.jobId, out);
    if (job.state !== 'done' || !job.result) {
      throw new TwinlockError(
        job.error ?? {
          code: 'cancelled',
          message: 'The fleet run was stopped.',
          hint: 'Run it again: each pair continues where it stopped.',
        },
      );
    }
    const result = job.result;
    out.result({ event: 'result', result }, () => summary(result));
    if (result.pairs.some((p) => p.result === 'failed')) return EXIT.error;
    if (result.pairs.some((p) => p.result === 'drift' || p.result === 'planned')) return EXIT.drift;
    return EXIT.ok;
  });
}

type FleetJob = JobSnapshotOf<'fleet'>;
type Row = FleetJob['hosts'][string];

/** Follows the fleet job: the live table, lines, or NDJSON; Ctrl+C cancels it (each pair then stops where it is). */
async function followFleet(engine: TwinlockEngine, jobId: string, out: Output): Promise<FleetJob> {
  const tty = !out.json && process.stderr.isTTY === true;
  const seen = new Map<string, string>();
  let drawn = 0;
  let latest: FleetJob | null = null;
  let timer: NodeJS.Timeout | null = null;

  const redraw = () => {
    timer = null;
    if (!latest) return;
    const text = liveTable(latest);
    const lines = text.split('\n').length;
    // Back to the table's first line, then each line cleared as it is written again.
    if (drawn > 0) process.stderr.write(`\x1b[${drawn}A`);
    process.stderr.write(
      `${text
        .split('\n')
        .map((l) => `\x1b[2K${l}`)
        .join('\n')}\n`,
    );
    drawn = lines;
  };
  const changes = (job: FleetJob) => {
    for (const [name, row] of Object.entries(job.hosts)) {
      const outcome = job.result?.pairs.find((p) => p.name === name);
      const key = `${row.state}|${row.step}|${row.label}|${outcome?.result ?? ''}`;
      if (seen.get(name) === key) continue;
      seen.set(name, key);
      if (out.json)
        out.event({
          event: 'pair',
          name,
          label: row.label,
          state: row.state,
          step: row.step,
          percent: row.percent,
          message: row.message,
          ...(outcome ? { outcome } : {}),
        });
      else if (!tty)
        process.stderr.write(
          `${name} (${row.label}): ${outcome?.result ?? (row.state === 'pending' ? 'waiting' : row.step)} — ${row.message}\n`,
        );
    }
  };
  const draw = (job: FleetJob) => {
    latest = job;
    if (tty) timer ??= setTimeout(redraw, 100);
    else changes(job);
  };

  const unsubscribe = engine.subscribe((event) => {
    if (event.type === 'job' && event.job.id === jobId && event.job.kind === 'fleet') draw(event.job);
  });
  const interrupt = () => void engine.api.cancelJob({ jobId }).catch(() => undefined);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const final = (await engine.api.waitJob({ jobId })) as FleetJob;
    if (timer) clearTimeout(timer);
    draw(final);
    if (tty) redraw();
    return final;
  } finally {
    if (timer) clearTimeout(timer);
    unsubscribe();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

function bar(percent: number): string {
  const width = 20;
  const full = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${String(Math.round(percent)).padStart(3)}%`;
}

/** Rows a state is shown in first when the terminal cannot hold every pair: what is moving, then what failed. */
const SHOW_FIRST: Record<Row['state'], number> = { running: 0, failed: 1, pending: 2, done: 3, skipped: 4 };

function liveTable(job: FleetJob): string {
  let entries = Object.entries(job.hosts);
  // The table is redrawn by moving the cursor up over it, which stops at the top of the screen:
  // it never grows taller than the terminal, the rows left out are counted instead.
  const room = Math.max(3, (process.stderr.rows || 40) - 4);
  let hidden = '';
  if (entries.length > room) {
    const shown = new Set(
      [...entries]
        .sort((a, b) => SHOW_FIRST[a[1].state] - SHOW_FIRST[b[1].state])
        .slice(0, room - 1)
        .map(([name]) => name),
    );
    const rest = entries.filter(([name]) => !shown.has(name));
    const by = (state: Row['state']) => rest.filter(([, r]) => r.state === state).length;
    hidden = `… ${rest.length} more: ${by('done')} done, ${by('pending')} waiting, ${by('failed')} failed`;
    entries = entries.filter(([name]) => shown.has(name));
  }
  const rows = entries.map(([name, row]: [string, Row]) => {
    const outcome = job.result?.pairs.find((p) => p.name === name);
    return [name, row.label, row.step, bar(row.percent), outcome?.result ?? resultOf(row)];
  });
  const text = table(['PAIR', 'SERVERS', 'STEP', 'PROGRESS', 'RESULT'], rows);
  return hidden ? `${text}\n${hidden}` : text;
}

function resultOf(row: Row): string {
  if (row.state === 'failed') return 'failed';
  if (row.state === 'done') return 'done';
  if (row.state === 'skipped') return 'not started';
  return row.message.length > 48 ? `${row.message.slice(0, 47)}…` : row.message;
}

/** Counts per result, then each failed pair with its reason and next step. */
export function summary(result: FleetOutcome): string {
  const counts = Object.entries(result.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const lines = [
    table(
      ['PAIR', 'SERVERS', 'RESULT', 'RESUMED', 'TIME'],
      result.pairs.map((p) => [
        p.name,
        p.servers.join(' + '),
        p.result,
        p.resumed.length > 0 ? p.resumed.join(',') : '-',
        formatDuration(p.elapsedMs),
      ]),
    ),
    '',
    `${result.pairs.length} pair(s): ${counts}, in ${formatDuration(result.elapsedMs)}.`,
  ];
  for (const p of result.pairs.filter((o) => o.result === 'failed')) lines.push(...failure(p));
  for (const p of result.pairs.filter((o) => o.result === 'drift' || o.result === 'planned')) {
    lines.push(`${p.name} (${p.servers.join(', ')}): ${p.result}`);
    for (const d of p.differences ?? [])
      lines.push(
        `  ${d.what}${d.server ? ` on ${d.server}` : ''}: ${d.actual}, expected ${d.expected}${d.change ? ` — apply: ${d.change}` : d.hint ? ` — ${d.hint}` : ''}`,
      );
  }
  lines.push(`Journal: ${result.journal}`);
  return lines.join('\n');
}

function failure(p: FleetPairOutcome): string[] {
  return [
    `${p.name} (${p.servers.join(', ')}) failed${p.failedStep ? ` at ${p.failedStep}` : ''}: ${p.error?.message ?? 'no reason given'}`,
    ...(p.error?.hint ? [`  next: ${p.error.hint}`] : []),
  ];
}
