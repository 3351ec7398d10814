/** Verbs that read or check servers: inventory, verify, status. */
import type { Command } from 'commander';
import type { Finding, HostInventory } from '../../engine/api';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import { table } from '../output';
import { EXIT, runVerb } from '../run';

interface JsonOption {
  json?: boolean;
}

function parseLevel(text: string): 1 | 2 | 3 {
  if (text === '1' || text === '2' || text === '3') return Number(text) as 1 | 2 | 3;
  throw new Error(`--level must be 1, 2 or 3 (got “${text}”)`);
}

function describeInventory(inv: HostInventory): string {
  const gib = (inv.memory.totalBytes / 1024 ** 3).toFixed(0);
  return table(
    ['', inv.computerName],
    [
      ['Domain', inv.domain],
      ['Server', `${inv.system.manufacturer} ${inv.system.model} (serial ${inv.system.serial || 'unknown'})`],
      ['BIOS/UEFI', `${inv.bios.vendor} ${inv.bios.version} (${inv.bios.releaseDate || 'date unknown'})`],
      ['Processor', inv.processor.name],
      [
        'Family/model/stepping',
        `${inv.processor.family}/${inv.processor.model}/${inv.processor.stepping}, microcode ${inv.processor.microcode || 'unknown'}`,
      ],
      ['Cores / threads', `${inv.processor.cores} / ${inv.processor.threads}`],
      ['Memory', `${gib} GiB in ${inv.memory.modules} modules`],
      ['OS', `${inv.os.caption} (build ${inv.os.build}.${inv.os.ubr}, ${inv.os.installationType})`],
      ['Locale, time zone', `${inv.os.locale}, ${inv.os.timeZone}`],
      ['Updates', inv.hotfixes.map((h) => h.id).join(', ') || 'none'],
      ['Restart pending', inv.pendingReboot.pending ? `yes (${inv.pendingReboot.reasons.join(', ')})` : 'no'],
      ['Power plan', inv.powerPlan.name],
      [
        'Volumes',
        inv.volumes
          .map(
            (v) =>
              `${v.driveLetter || '-'}: ${(v.freeBytes / 1024 ** 3).toFixed(0)} of ${(v.sizeBytes / 1024 ** 3).toFixed(0)} GiB free`,
          )
          .join(', '),
      ],
      ['Hyper-V', inv.roles.hyperV ? 'installed' : 'not installed'],
      [
        'Network adapters',
        inv.nics.map((n) => `${n.name} ${n.linkSpeedMbps / 1000} Gb ${n.status}`).join(', '),
      ],
      ['VMs', inv.vms.map((v) => v.name).join(', ') || 'none'],
      ['Twinlock agent', inv.agentVersion ?? 'not installed'],
    ],
  );
}

const mark: Record<Finding['severity'], string> = { pass: 'pass', warning: 'WARN', blocker: 'BLOCK' };

export function registerHostVerbs(program: Command): void {
  addConnectionOptions(
    program
      .command('inventory')
      .description('read one server’s hardware and software inventory')
      .argument('<host>', 'host[:port]')
      .option('--json', 'print JSON'),
  ).action((host: string, options: ConnectionOptions & JsonOption) =>
    runVerb(options.json, 'the inventory', async (out, engine) => {
      const [session] = await connectAll(engine.api, [host], options);
      const inventory = await engine.api.inventory({ sessionId: session!.sessionId });
      out.result(inventory, () => describeInventory(inventory));
      return EXIT.ok;
    }),
  );

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
          const format = /\.(json|html?|pdf)$/i
            .exec(options.report)?.[1]
            ?.toLowerCase()
            .replace('htm', 'html')
            .replace('htmll', 'html');
          if (format !== 'json' && format !== 'html' && format !== 'pdf') {
            throw new Error(`--report must name a .json, .html or .pdf file (got “${options.report}”)`);
          }
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

  addConnectionOptions(
    program
      .command('status')
      .description('show the agent’s pair status on a server')
      .argument('<host>', 'host[:port]')
      .option('--json', 'print JSON'),
  ).action((host: string, options: ConnectionOptions & JsonOption) =>
    runVerb(options.json, 'the status check', async (out, engine) => {
      const [session] = await connectAll(engine.api, [host], options);
      const status = await engine.api.status({ sessionId: session!.sessionId });
      out.result(status, () => {
        if (!status.pair) return `${session!.computerName}: not paired (role ${status.role})`;
        const p = status.pair;
        return [
          `${session!.computerName}: ${p.state}${p.state === 'mirroring' ? ` ${p.progress}%` : ''} — pair ${p.name}, ${status.role}, level ${p.level}, peer ${p.peer}`,
          ...p.links.map(
            (l) =>
              `  link ${l.local} → ${l.remote}: ${l.up ? 'up' : 'DOWN'}, ${l.rttMs} ms, ${l.mbps} Mbit/s`,
          ),
          p.witness
            ? `  witness ${p.witness.address}: ${p.witness.reachable ? 'reachable' : 'UNREACHABLE'}`
            : '  no witness',
          ...status.vms.map((v) => `  VM ${v.name}: ${v.state}${v.protected ? ', protected' : ''}`),
        ].join('\n');
      });
      return EXIT.ok;
    }),
  );
}
