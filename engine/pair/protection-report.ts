/**
 * The protection report: one self-contained HTML document (and the same printed to PDF) that an
 * admin hands on as proof — the pair as both servers report it, the verification, the plan that
 * was applied with its scripts, the link measurements, the last drill, and when each was made.
 * Everything shown is escaped; what was never recorded says so.
 */
import type { AgentStatus, DrillResult, LinkMeasurements, Plan, VerifyReport } from '../api/models';
import { esc } from '../verify/report';

type Recorded<T> = { at: string; workstation: string; value: T } | null;

export interface ProtectionReportInput {
  /** When the report was made, and on which workstation. */
  madeAt: string;
  workstation: string;
  /** Both servers: computer name, address as connected, and their agent status now. */
  servers: Array<{ computerName: string; address: string; status: AgentStatus }>;
  verify: Recorded<VerifyReport> | { at: string; workstation: string; value: VerifyReport; fresh: true };
  plan: Recorded<Plan>;
  links: Recorded<LinkMeasurements>;
  drill: Recorded<DrillResult>;
}

const time = (iso: string) =>
  esc(
    iso
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC')
      .replace(/Z$/, ' UTC'),
  );
const seconds = (ms: number) =>
  ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n')}</tbody></table>`;
}

const missing = (text: string) => `<p class="missing">${esc(text)}</p>`;
const by = (r: { at: string; workstation: string }) =>
  `<p class="meta">Recorded ${time(r.at)} on ${esc(r.workstation)}</p>`;

function pairSection(input: ProtectionReportInput): string {
  const primary = input.servers.find((s) => s.status.role === 'primary') ?? input.servers[0]!;
  const pair = primary.status.pair;
  const servers = table(
    ['Server', 'Address', 'Role', 'State'],
    input.servers.map((s) => [
      esc(s.computerName),
      esc(s.address),
      esc(s.status.role),
      esc(s.status.pair ? s.status.pair.state : 'not paired'),
    ]),
  );
  if (!pair) return `<h2>The pair</h2>${servers}${missing('These servers are not paired.')}`;
  const links = table(
    ['From', 'To', 'Up', 'Round trip', 'Throughput'],
    pair.links.map((l) => [
      esc(l.local),
      esc(l.remote),
      l.up ? 'up' : '<strong>down</strong>',
      `${esc(String(l.rttMs))} ms`,
      `${esc(String(l.mbps))} Mbit/s`,
    ]),
  );
  const vms = table(
    ['VM', 'State', 'Protected'],
    primary.status.vms.map((v) => [esc(v.name), esc(v.state), v.protected ? 'yes' : 'no']),
  );
  const witness = pair.witness
    ? `${esc(pair.witness.address)} (${pair.witness.reachable ? 'reachable' : 'unreachable'})`
    : '<strong>none</strong>: a split between the servers can stop both';
  return `<h2>The pair</h2>
<p><strong>${esc(pair.name)}</strong> · Level ${pair.level} · ${esc(pair.state)} · witness ${witness}</p>
${servers}
<h3>Sync links</h3>${links}
<h3>VMs</h3>${vms}`;
}

function verifySection(input: ProtectionReportInput): string {
  const v = input.verify;
  if (!v) return `<h2>Verification</h2>${missing('Not verified yet.')}`;
  const r = v.value;
  const problems = r.findings.filter((f) => f.severity !== 'pass');
  const count = (s: string) => r.findings.filter((f) => f.severity === s).length;
  return `<h2>Verification</h2>
<p class="meta">Run ${time(r.ranAt)} for Level ${r.level}${'fresh' in v ? ' (verified again for this report)' : ''}</p>
<div class="verdict ${esc(r.outcome)}">${esc(r.verdict)}<small>${count('blocker')} blockers · ${count('warning')} warnings · ${count('pass')} passed</small></div>
${
  problems.length === 0
    ? '<p>Every check passed.</p>'
    : table(
        ['Result', 'Check', r.hosts[0].computerName, r.hosts[1].computerName],
        problems.map((f) => [
          esc(f.severity),
          `${esc(f.title)}<div class="small">${esc(f.reason)}${f.remedy ? ` ${esc(f.remedy)}` : ''}</div>`,
          esc(f.values[0] ?? ''),
          esc(f.values[1] ?? ''),
        ]),
      )
}`;
}

function planSection(input: ProtectionReportInput): string {
  const p = input.plan;
  if (!p)
    return `<h2>The plan applied</h2>${missing('No plan recorded: the pair was not made from a plan this workstation kept.')}`;
  const plan = p.value;
  const name = (role: string) => plan.servers.find((s) => s.role === role)?.computerName ?? role;
  const steps = table(
    ['#', 'Server', 'Step', 'Script', 'Parameters', 'Changes', 'Undo'],
    plan.steps.map((s, i) => [
      String(i + 1),
      esc(name(s.server)),
      `${esc(s.title)}${s.restarts ? ' <strong>(restarts)</strong>' : ''}`,
      `${esc(s.script.name)} v${esc(s.script.version)}`,
      `<code>${esc(JSON.stringify(s.params))}</code>`,
      s.changes ? 'yes' : 'no',
      s.undo ? esc(s.undo.title) : '—',
    ]),
  );
  const scripts = Object.entries(plan.scripts)
    .map(
      ([n, s]) =>
        `<details><summary>${esc(n)} v${esc(s.version)} · SHA-256 ${esc(s.sha256)}</summary><pre>${esc(s.text)}</pre></details>`,
    )
    .join('\n');
  return `<h2>The plan applied</h2>${by(p)}
<p class="meta">Made ${time(plan.createdAt)} · plan hash <code>${esc(plan.hash)}</code> · changes: ${plan.totals.changes.primary} on ${esc(name('primary'))}, ${plan.totals.changes.secondary} on ${esc(name('secondary'))} · restarts: ${esc(plan.totals.restarts.join(', ') || 'none')}</p>
${steps}
<h3>Scripts</h3>${scripts || missing('The plan carries no script text.')}`;
}

function linksSection(input: ProtectionReportInput): string {
  const l = input.links;
  if (!l)
    return `<h2>Link measurements</h2>${missing('Not measured: Twinlock has no measurement of these links.')}`;
  const rows = l.value.links.flatMap((m) =>
    m.directions.map((d) => [
      `${esc(m.link.localAddress)} ↔ ${esc(m.link.remoteAddress)}`,
      `${esc(d.from)} → ${esc(d.to)}`,
      d.reached ? 'yes' : '<strong>no</strong>',
      d.rttMs === null ? '—' : `${esc(String(d.rttMs))} ms`,
      d.mbps === null ? '—' : `${esc(String(d.mbps))} Mbit/s`,
      d.lossPct === null ? '—' : `${esc(String(d.lossPct))} %`,
      `${esc(m.verdict)}${m.reasons.length ? `<div class="small">${m.reasons.map(esc).join('<br>')}</div>` : ''}`,
    ]),
  );
  return `<h2>Link measurements</h2>${by(l)}
<p class="meta">Measured ${time(l.value.measuredAt)} against Level ${l.value.level}: ${esc(l.value.verdict)}</p>
${table(['Link', 'Direction', 'Reached', 'Round trip', 'Throughput', 'Loss', 'Verdict'], rows)}`;
}

function drillSection(input: ProtectionReportInput): string {
  const d = input.drill;
  if (!d) return `<h2>Failover drill</h2>${missing('No drill run yet.')}`;
  const r = d.value;
  const scale = r.serverTimeScale ?? 1;
  const inServerTime = (ms: number) =>
    scale === 1 || ms === 0 ? seconds(ms) : `${seconds(ms * scale)} in server time (${seconds(ms)} real)`;
  return `<h2>Failover drill</h2>${by(d)}
<div class="verdict ${r.result === 'passed' ? 'ready' : 'blocked'}">${r.result === 'passed' ? 'Passed' : 'Failed'}: ${esc(r.kind)} at Level ${r.level}${r.reason ? `<small>${esc(r.reason)}</small>` : ''}</div>
<p>Downtime measured by Twinlock: <strong>${esc(inServerTime(r.measuredDowntimeMs))}</strong> (agent: ${r.agentDowntimeMs === null ? 'no figure' : esc(seconds(r.agentDowntimeMs))}) · looked every ${esc(String(r.sampleIntervalMs))} ms · started ${time(r.startedAt)} · took ${esc(inServerTime(r.elapsedMs))} · ended ${esc(r.finalState)}</p>
${table(
  ['VM', 'Downtime', 'Watched by'],
  r.vms.map((v) => [esc(v.name), esc(inServerTime(v.downtimeMs)), esc(v.watched)]),
)}
<h3>Timeline</h3>
${table(
  ['At', 'State', 'Server', 'What happened'],
  r.timeline.map((e) => [esc(seconds(e.atMs)), esc(e.state), esc(e.node), esc(e.message)]),
)}`;
}

/** The report as a self-contained HTML page (no external resources) that prints on A4. */
export function protectionReportHtml(input: ProtectionReportInput): string {
  const names = input.servers.map((s) => s.computerName);
  const pairName = input.servers.find((s) => s.status.pair)?.status.pair?.name ?? 'not paired';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Twinlock protection report: ${esc(pairName)} (${esc(names.join(' and '))})</title>
<style>
  @page { size: A4; margin: 14mm 12mm; }
  * { box-sizing: border-box; }
  body { font: 10.5pt/1.4 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif; color: #1d2430; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
  h1 { font-size: 18pt; margin: 0 0 4px; }
  h2 { font-size: 13pt; margin: 22px 0 8px; border-bottom: 1px solid #d7dce3; padding-bottom: 4px; }
  h3 { font-size: 11pt; margin: 14px 0 6px; }
  .meta, .small { color: #5b6575; }
  .small { font-size: 9pt; }
  .missing { color: #7a5400; background: #fff6e0; padding: 6px 10px; border-radius: 4px; }
  .verdict { padding: 10px 14px; border-radius: 6px; font-size: 13pt; font-weight: 600; border: 2px solid; margin: 8px 0; }
  .verdict.ready { background: #e8f6ec; border-color: #2e8b47; color: #1f6b34; }
  .verdict.warnings { background: #fff6e0; border-color: #c98a00; color: #7a5400; }
  .verdict.blocked { background: #fdeaea; border-color: #c62828; color: #8e1c1c; }
  .verdict small { display: block; font-size: 10pt; font-weight: 400; margin-top: 2px; }
  table { width: 100%; border-collapse: collapse; margin: 4px 0 10px; }
  th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #e4e8ee; overflow-wrap: anywhere; }
  thead th { background: #f1f4f8; font-weight: 600; }
  code, pre { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
  pre { white-space: pre-wrap; background: #f6f8fa; padding: 8px; border-radius: 4px; }
  footer { margin-top: 20px; color: #7b8494; font-size: 8.5pt; }
  @media print {
    body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
    tr, .verdict { break-inside: avoid; }
    details > * { display: block; }
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
</style></head>
<body>
<h1>Twinlock protection report</h1>
<p class="meta">${esc(pairName)} · ${esc(names.join(' and '))} · made ${time(input.madeAt)} on ${esc(input.workstation)}</p>
${pairSection(input)}
${verifySection(input)}
${planSection(input)}
${linksSection(input)}
${drillSection(input)}
<h2>Times</h2>
${table(
  ['What', 'When', 'Workstation'],
  [
    ['This report', time(input.madeAt), esc(input.workstation)],
    [
      'Verification',
      input.verify ? time(input.verify.value.ranAt) : 'not verified',
      input.verify ? esc(input.verify.workstation) : '—',
    ],
    [
      'Plan applied',
      input.plan ? time(input.plan.at) : 'no plan recorded',
      input.plan ? esc(input.plan.workstation) : '—',
    ],
    [
      'Links measured',
      input.links ? time(input.links.at) : 'not measured',
      input.links ? esc(input.links.workstation) : '—',
    ],
    [
      'Last drill',
      input.drill ? time(input.drill.at) : 'no drill run yet',
      input.drill ? esc(input.drill.workstation) : '—',
    ],
  ],
)}
<footer>Made by Twinlock from what both servers reported and what this workstation recorded. Nothing secret is in this document.</footer>
</body></html>
`;
}
