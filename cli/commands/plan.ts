/**
 * `twinlock plan A B [--name …] [--level …] [--witness … | --no-witness] [--vm … | --no-vms] | --bundle F [--json]
 * [--out plan.json]`: every step a pairing makes on each server, with its script (name, version),
 * exact parameters, whether it changes anything or restarts, and its undo; the totals and the
 * plan's hash. Nothing changes. `twinlock pair --plan plan.json` applies a saved plan. The
 * options that make a pair configuration and the plan's rendering are shared with `pair` and
 * `unpair` (cli/commands/pair.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { HostSession, PairConfig, Plan, PlanStep, TwinlockApi } from '../../engine/api';
import { TwinlockError } from '../../engine/api/errors';
import { hostArgument } from '../../engine/api/rules';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import {
  NO_WITNESS_WARNING,
  addClusterReplayOptions,
  addPairChoiceOptions,
  pairConfigFrom,
  parseLinkAddress,
  replayVmsOf,
  requireWitnessChoice,
} from '../options';
import type { JsonOption, LinkAddressOption, PairChoiceOptions } from '../options';
import type { Output } from '../output';
import { EXIT, runVerb } from '../run';
import { checkReplayCluster } from '../replay-cluster';

/** The pair configuration's options (`--name`, `--level`, `--witness`/`--no-witness`, `--vm`, `--all-vms`, `--link-range`). */
export type PairConfigFlags = PairChoiceOptions;

/** Adds the pair configuration's options, shared by `plan` and `pair`. */
export function addPairConfigOptions(command: Command): Command {
  return addPairChoiceOptions(command);
}

/**
 * The configuration of a pair of two sessions: the engine's proposal (addresses for unaddressed
 * links from `--link-range`) with the options applied; `--no-witness` prints the split-brain warning.
 */
export async function pairConfigFor(
  api: TwinlockApi,
  a: HostSession,
  b: HostSession,
  options: PairConfigFlags,
  out: Output,
): Promise<PairConfig> {
  const proposal = await api.proposePair({
    primary: a.sessionId,
    secondary: b.sessionId,
    ...(options.linkRange !== undefined ? { linkRange: options.linkRange } : {}),
  });
  const config = pairConfigFrom(proposal, options);
  if (config.witness === null) out.warn(NO_WITNESS_WARNING);
  return config;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

function stepLines(plan: Plan, step: PlanStep, n: number): string[] {
  const version = (s: { name: string; version: string }) => `${s.name} v${s.version}`;
  return [
    `  ${n}. ${step.title}`,
    `     script ${version(step.script)}; changes: ${yesNo(step.changes)}; restarts: ${yesNo(step.restarts)}`,
    `     $P = ${JSON.stringify(step.params)}`,
    step.undo
      ? `     undo: ${step.undo.title} (${version(step.undo.script)}, $P = ${JSON.stringify(step.undo.params)})`
      : `     undo: ${step.changes ? 'none' : 'nothing to undo'}`,
  ];
}

/** A plan as an admin reads it: the steps grouped by server (numbered in run order), the totals and the hash. */
export function planText(plan: Plan): string {
  const [p, s] = plan.servers;
  const head =
    plan.kind === 'pair'
      ? `Plan: pair ${plan.pair.name} at Level ${plan.pair.level}, ${p.computerName} primary, ${s.computerName} secondary (made ${plan.createdAt})`
      : `Plan: unpair ${plan.pair.name || '(no pair found)'} from ${p.computerName} and ${s.computerName} (made ${plan.createdAt})`;
  const lines = [head];
  if (plan.corrects !== undefined) {
    lines.push(
      plan.corrects.length === 0
        ? `Both servers hold ${plan.pair.name} as configured: nothing to change.`
        : `Both servers hold ${plan.pair.name}; the plan brings back: ${plan.corrects.map((c) => `${c.what}${c.server ? ` on ${c.server}` : ''} (${c.actual} → ${c.expected})`).join('; ')}.`,
    );
  }
  for (const server of plan.servers) {
    lines.push('', `${server.computerName} (${server.role}, ${server.address}:${server.port})`);
    const mine = plan.steps.map((st, i) => [st, i + 1] as const).filter(([st]) => st.server === server.role);
    if (mine.length === 0) lines.push('  nothing to do');
    for (const [st, n] of mine) lines.push(...stepLines(plan, st, n));
  }
  if (plan.notes && plan.notes.length > 0)
    lines.push('', 'Left as it is:', ...plan.notes.map((n) => `  ${n}`));
  const restarts = plan.totals.restarts.length === 0 ? 'none' : plan.totals.restarts.join(', ');
  lines.push(
    '',
    `Totals: ${p.computerName} ${plan.totals.changes.primary} change(s), ${s.computerName} ${plan.totals.changes.secondary} change(s); restarts: ${restarts}`,
    `Scripts: ${
      Object.entries(plan.scripts)
        .map(([name, sc]) => `${name} v${sc.version}`)
        .join(', ') || 'none'
    }`,
    `Plan hash: ${plan.hash}`,
  );
  return lines.join('\n');
}

/** A plan without its scripts' text: what a progress event carries. */
export function planSummary(plan: Plan): Record<string, unknown> {
  const { scripts, ...rest } = plan;
  return {
    ...rest,
    scripts: Object.fromEntries(
      Object.entries(scripts).map(([k, v]) => [k, { version: v.version, sha256: v.sha256 }]),
    ),
  };
}

/** Reads a saved plan (`--plan`); the engine checks its schema and hash. */
export async function readPlanFile(path: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--plan: ${path} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}.`,
      hint: 'Give the file twinlock plan --out wrote, for example --plan plan.json.',
      detail: { field: 'plan' },
    });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as Plan;
  } catch {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--plan: ${path} is not a plan (not JSON).`,
      hint: 'Give the file twinlock plan --out wrote, unedited.',
      detail: { field: 'plan' },
    });
  }
}

/** The servers of a plan as `host[:port]` arguments. */
export function planHosts(plan: Plan): [string, string] {
  return [hostArgument(plan.servers[0]), hostArgument(plan.servers[1])];
}

/** Asks yes or no on the terminal; false without one (then `--yes` is needed). */
export async function confirm(question: string): Promise<boolean> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Shows a plan: its text on stderr, or an NDJSON `plan` event with --json. */
export function showPlan(out: Output, plan: Plan): void {
  out.event({ event: 'plan', plan: planSummary(plan) });
  out.info(planText(plan));
}

interface PlanFlags extends ConnectionOptions, JsonOption, PairConfigFlags {
  bundle?: string;
  /** With --bundle, Level 1: this pair's cluster instead of the bundle's. */
  clusterName?: string;
  clusterAddress?: string;
  /** False from `--no-vms` (with --bundle). */
  vms?: boolean;
  out?: string;
  linkAddress?: LinkAddressOption[];
}

export function registerPlanVerb(program: Command): void {
  addConnectionOptions(
    addClusterReplayOptions(
      addPairConfigOptions(
        program
          .command('plan')
          .description(
            'show every step pairing two servers makes, each with its script and parameters, and its undo; changes nothing',
          )
          .argument('<hostA>', 'host[:port] of the primary')
          .argument('<hostB>', 'host[:port] of the secondary'),
      ),
    )
      .option('--bundle <file>', 'plan the pair a configuration bundle makes on these servers')
      .option(
        '--link-address <local-remote[/prefix]>',
        'with --bundle: the addresses of one sync link, e.g. 10.20.1.21-10.20.1.22/30 (repeatable: one per link, in the bundle’s order; default: proposed from the servers)',
        (value: string, previous: LinkAddressOption[] | undefined) => [
          ...(previous ?? []),
          parseLinkAddress(value),
        ],
      )
      .option(
        '--no-vms',
        'protect no VMs: with --bundle, whatever the bundle lists; without, instead of every VM of the primary',
      )
      .option('--out <file>', 'save the plan (JSON) for twinlock pair --plan')
      .option('--json', 'print the plan as JSON'),
  ).action((hostA: string, hostB: string, options: PlanFlags) =>
    runVerb(options.json, 'the plan', async (out, engine) => {
      // The witness choice is checked before any server is reached (a bundle carries its own).
      if (options.bundle === undefined) requireWitnessChoice(options);
      if (options.vms === false && options.allVms === true)
        throw new TwinlockError({
          code: 'invalid-input',
          message: '--no-vms and --all-vms were both given.',
          hint: 'Protect every VM of the primary with --all-vms, or none with --no-vms.',
          detail: { field: 'vms' },
        });
      // Checked before any server is reached too: --vm and --no-vms together.
      const vms = replayVmsOf(options);
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      let config: PairConfig;
      if (options.bundle !== undefined) {
        const cluster = {
          ...(options.clusterName !== undefined ? { clusterName: options.clusterName } : {}),
          ...(options.clusterAddress !== undefined ? { clusterAddress: options.clusterAddress } : {}),
        };
        checkReplayCluster(await engine.api.readBundle({ path: options.bundle }), cluster, [a!, b!]);
        const checked = await engine.api.preflightBundle({
          ...cluster,
          path: options.bundle,
          sessions: [a!.sessionId, b!.sessionId],
          ...(options.name !== undefined ? { name: options.name } : {}),
          // A fleet's row: its own VMs (--vm) and sync-link addresses instead of the bundle's.
          ...vms,
          ...(options.linkAddress !== undefined && options.linkAddress.length > 0
            ? { linkAddresses: options.linkAddress }
            : {}),
        });
        config = checked.config;
      } else {
        config = await pairConfigFor(engine.api, a!, b!, options, out);
        if (vms.vms !== undefined && vms.vms.length === 0) config.vms = [];
      }
      const plan = await engine.api.plan({ kind: 'pair', config });
      if (options.out !== undefined) {
        await writeFile(options.out, `${JSON.stringify(plan, null, 2)}\n`, 'utf8');
        out.info(`Plan saved to ${options.out}; apply it with: twinlock pair --plan ${options.out}`);
      }
      out.result(plan, () => planText(plan));
      return EXIT.ok;
    }),
  );
}

/** True when applying the plan changes anything on either server (a plan that corrects nothing changes nothing). */
export function planChanges(plan: Plan): boolean {
  return plan.totals.changes.primary + plan.totals.changes.secondary > 0;
}
