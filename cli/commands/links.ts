/**
 * `twinlock links A B`: measures the sync links Twinlock proposes (or those `--link` names) from
 * both servers, and judges each against the protection level. Exit 0 when every link is good for
 * the level, 3 when one is below it (a warning), 2 when one is dead (a blocker), 1 on an error.
 */
import type { Command } from 'commander';
import type { LinkMeasurements, Nic, SyncLink } from '../../engine/api';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { parseLevel } from '../options';
import type { JsonOption } from '../options';
import { table } from '../output';
import { EXIT, runVerb } from '../run';

interface LinksFlags extends ConnectionOptions, JsonOption {
  level: 1 | 2 | 3;
  link?: Array<{ local: string; remote: string }>;
  seconds: number;
}

function parseLinkPair(text: string, previous: Array<{ local: string; remote: string }> = []) {
  const at = text.indexOf('=');
  const local = at > 0 ? text.slice(0, at) : '';
  const remote = at > 0 ? text.slice(at + 1) : '';
  if (local.trim() === '' || remote.trim() === '')
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--link: “${text}” is not LOCALNIC=REMOTENIC.`,
      hint: 'Name the adapter on the first server, =, and the adapter on the second, e.g. --link "SLOT 3 Port 1=SLOT 3 Port 1".',
      detail: { field: 'link' },
    });
  return [...previous, { local, remote }];
}

function parseSeconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.2 || n > 30)
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--seconds: “${text}” is not a number of seconds from 0.2 to 30.`,
      hint: 'Give the seconds of traffic per link and direction, e.g. --seconds 2.',
      detail: { field: 'seconds' },
    });
  return n;
}

/** The links named with --link, between the adapters' first addresses (as the servers' inventories give them). */
export function chooseLinks(
  nics: [Nic[], Nic[]],
  wanted: Array<{ local: string; remote: string }>,
): SyncLink[] {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return wanted.map(({ local, remote }) => {
    const a = nics[0].find((n) => same(n.name, local));
    const b = nics[1].find((n) => same(n.name, remote));
    const missing = !a
      ? `the first server has no adapter “${local}”`
      : !b
        ? `the second server has no adapter “${remote}”`
        : null;
    if (missing || !a?.ipv4[0] || !b?.ipv4[0])
      throw new TwinlockError({
        code: 'invalid-input',
        message: `--link ${local}=${remote}: ${missing ?? 'the adapters have no addresses to measure between'}.`,
        hint: `Use adapters the servers have (first: ${nics[0].map((n) => n.name).join(', ') || 'none'}; second: ${nics[1].map((n) => n.name).join(', ') || 'none'}).`,
        detail: { field: 'link' },
      });
    return { localNic: a.name, remoteNic: b.name, localAddress: a.ipv4[0], remoteAddress: b.ipv4[0] };
  });
}

const figure = (v: number | null, unit: string, digits: number) =>
  v === null ? '—' : `${v.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`;

/** The human form: one table of every link and direction, then the reasons. */
export function formatMeasurements(m: LinkMeasurements): string {
  const mark = { ok: 'ok', warning: 'WARN', blocker: 'BLOCK' } as const;
  const rows = m.links.flatMap((l) =>
    l.directions.map((d, i) => [
      i === 0 ? mark[l.verdict] : '',
      i === 0
        ? `${l.link.localNic} (${l.link.localAddress}) = ${l.link.remoteNic} (${l.link.remoteAddress})`
        : '',
      `${d.from} → ${d.to}`,
      d.reached ? figure(d.rttMs, 'ms', 3) : 'not reached',
      figure(d.mbps, 'Mbit/s', 0),
      figure(d.lossPct, '%', 2),
    ]),
  );
  const verdict = {
    ok: `Every link is good for Level ${m.level}.`,
    warning: `Links below what Level ${m.level} wants.`,
    blocker: `A link is dead: Level ${m.level} cannot pair over it.`,
  }[m.verdict];
  return [
    verdict,
    '',
    table(['Result', 'Link', 'Direction', 'Round trip', 'Throughput', 'Loss'], rows),
    ...m.links
      .filter((l) => l.reasons.length > 0)
      .map(
        (l) =>
          `\n${mark[l.verdict]} ${l.link.localNic} = ${l.link.remoteNic}:\n${l.reasons.map((r) => `  ${r}`).join('\n')}`,
      ),
  ].join('\n');
}

export function registerLinksVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('links')
      .description(
        'measure the sync links between two servers from both sides (exit 3 below the level, 2 dead)',
      )
      .argument('<hostA>', 'host[:port] of the primary')
      .argument('<hostB>', 'host[:port] of the secondary')
      .option('--level <1|2|3>', 'protection level the links are judged against', parseLevel, 3)
      .option(
        '--link <LOCALNIC=REMOTENIC>',
        'a link to measure (repeatable; default: the proposed links)',
        parseLinkPair,
      )
      .option('--seconds <S>', 'seconds of traffic per link and direction (default 1)', parseSeconds, 1)
      .option('--json', 'print JSON'),
  ).action((hostA: string, hostB: string, options: LinksFlags) =>
    runVerb(options.json, 'the link measurement', async (out, engine) => {
      const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
      let links: SyncLink[];
      if (options.link && options.link.length > 0) {
        const [ia, ib] = await Promise.all(
          [a, b].map((s) => engine.api.inventory({ sessionId: s!.sessionId })),
        );
        links = chooseLinks([ia!.nics, ib!.nics], options.link);
      } else {
        // The links Twinlock would propose for the pair (it says so when there are none).
        links = (await engine.api.proposePair({ primary: a!.sessionId, secondary: b!.sessionId })).config
          .links;
      }
      out.info(`Measuring ${links.length} link(s) both ways, ${options.seconds} s each…`);
      const result = await engine.api.measureLinks({
        primary: a!.sessionId,
        secondary: b!.sessionId,
        links,
        level: options.level,
        seconds: options.seconds,
      });
      out.result(result, () => formatMeasurements(result));
      return result.verdict === 'ok' ? EXIT.ok : result.verdict === 'blocker' ? EXIT.blocker : EXIT.warning;
    }),
  );
}
