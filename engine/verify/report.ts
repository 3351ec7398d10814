/**
 * The verification report as a document: JSON, a self-contained HTML page that prints well, and
 * PDF. The PDF is the HTML printed by a headless Chromium-family browser (Chromium, Chrome or
 * Edge, which every Windows workstation has), so the two always show the same thing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClusterValidation, Finding, HostInventory, Severity, VerifyReport } from '../api/models';
import { TwinlockError } from '../api/errors';
import { CATEGORIES } from './rule';
import { formatBytes } from './rule';

/** Text made safe inside HTML (element content and quoted attributes). */
export const esc = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The report as pretty JSON. */
export function reportJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Rows of the side-by-side matrix: label and each server's value. */
export function matrixRows(
  hosts: readonly [HostInventory, HostInventory],
): Array<{ label: string; values: [string, string] }> {
  const row = (label: string, f: (h: HostInventory) => string) => ({
    label,
    values: [f(hosts[0]), f(hosts[1])] as [string, string],
  });
  return [
    row('Computer name', (h) => h.computerName),
    row('Domain', (h) => (h.partOfDomain ? h.domain : `Workgroup ${h.domain}`)),
    row('Server', (h) => `${h.system.manufacturer} ${h.system.model}`.trim()),
    row('Serial number', (h) => h.system.serial),
    row('BIOS/UEFI', (h) =>
      `${h.bios.vendor} ${h.bios.version}${h.bios.releaseDate ? ` (${h.bios.releaseDate})` : ''}`.trim(),
    ),
    row('Processor', (h) => h.processor.name),
    row(
      'Family / model / stepping',
      (h) => `${h.processor.family} / ${h.processor.model} / ${h.processor.stepping}`,
    ),
    row('Microcode', (h) => h.processor.microcode),
    row(
      'Sockets / cores / threads',
      (h) => `${h.processor.sockets} / ${h.processor.cores} / ${h.processor.threads}`,
    ),
    row('Max clock', (h) => `${h.processor.maxClockMhz} MHz`),
    row('VT-x/AMD-V · SLAT · hypervisor', (h) =>
      [h.processor.virtualizationEnabled, h.processor.slat, h.processor.hypervisorPresent]
        .map((v) => (v ? 'Yes' : 'No'))
        .join(' · '),
    ),
    row(
      'Memory',
      (h) =>
        `${formatBytes(h.memory.totalBytes)}, ${h.memory.modules} modules${h.memory.speedMhz ? `, ${h.memory.speedMhz} MT/s` : ''}`,
    ),
    row(
      'Windows',
      (h) =>
        `${h.os.caption} (${h.os.installationType === 'Server' ? 'Desktop Experience' : h.os.installationType})`,
    ),
    row('Build.UBR', (h) => `${h.os.build}.${h.os.ubr}`),
    row('Locale · time zone', (h) => `${h.os.locale} · ${h.os.timeZone}`),
    row(
      'Updates',
      (h) =>
        h.hotfixes
          .map((x) => x.id)
          .sort()
          .join(', ') || 'None',
    ),
    row('Restart pending', (h) =>
      h.pendingReboot.pending ? `Yes (${h.pendingReboot.reasons.join(', ')})` : 'No',
    ),
    row('Power plan', (h) => h.powerPlan.name),
    row(
      'Hyper-V · Failover Clustering',
      (h) => `${h.roles.hyperV ? 'Yes' : 'No'} · ${h.roles.failoverClustering ? 'Yes' : 'No'}`,
    ),
    row('Network adapters', (h) =>
      h.nics
        .map(
          (n) =>
            `${n.name}: ${n.status === 'Up' ? `${n.linkSpeedMbps / 1000} Gbit/s` : n.status}${n.gateway ? ' (gateway)' : ''}`,
        )
        .join('; '),
    ),
    row('Disks', (h) => h.disks.map((d) => `${d.model} ${formatBytes(d.sizeBytes)} ${d.busType}`).join('; ')),
    row('Volumes', (h) =>
      h.volumes
        .map(
          (v) => `${v.driveLetter || '—'}: ${formatBytes(v.freeBytes)} free of ${formatBytes(v.sizeBytes)}`,
        )
        .join('; '),
    ),
    row('Firewall', (h) =>
      h.firewall.profiles.map((p) => `${p.name} ${p.enabled ? 'on' : 'off'}`).join(', '),
    ),
    row('VMs', (h) => h.vms.map((v) => v.name).join(', ') || 'None'),
    row('Twinlock agent', (h) => h.agentVersion ?? 'Not installed'),
  ];
}

/** Rows that differ on every healthy pair: never highlighted. */
const UNIQUE_ROWS = new Set(['Computer name', 'Serial number', 'VMs']);

const SEVERITY_LABEL: Record<Severity, string> = { pass: 'Pass', warning: 'Warning', blocker: 'Blocker' };

function findingHtml(f: Finding): string {
  return `<tr class="${f.severity}"><td class="sev"><span class="badge ${f.severity}">${SEVERITY_LABEL[f.severity]}</span></td>
<td><strong>${esc(f.title)}</strong> <span class="id">${esc(f.ruleId)}</span><br>${esc(f.reason)}${
    f.remedy
      ? `<div class="remedy"><strong>Remedy:</strong> ${esc(f.remedy)}${f.fixId ? ' <em>(Twinlock can fix this.)</em>' : ''}</div>`
      : ''
  }</td><td>${esc(f.values[0])}</td><td>${esc(f.values[1])}</td></tr>`;
}

const TEST_LABEL: Record<ClusterValidation['result'], string> = {
  passed: 'Passed',
  warning: 'Warning',
  failed: 'Failed',
  'not-run': 'Not run',
};
/** The badge colour of a Test-Cluster result, in the findings' palette. */
const TEST_BADGE: Record<ClusterValidation['result'], Severity> = {
  passed: 'pass',
  warning: 'warning',
  failed: 'blocker',
  'not-run': 'warning',
};

/**
 * Level 1: the cluster asked about and Windows' Test-Cluster, per category and test with
 * Windows' own text; '' below Level 1 or when the prerequisites were not read.
 */
export function clusterSectionHtml(report: VerifyReport): string {
  if (report.level !== 1 || report.clusterPrereqs === undefined) return '';
  const c = report.cluster ?? null;
  const asked = c
    ? `Cluster ${esc(c.name)} at ${esc(c.address)}.`
    : 'No cluster name or address chosen yet: they are checked when the pair’s cluster is named (the plan checks them again).';
  const v = report.clusterValidation ?? null;
  if (v === null) {
    const why = report.findings.find((f) => f.ruleId === 'cluster.validation')?.reason ?? '';
    return `<h2>Windows’ Test-Cluster</h2>
<p class="meta">${asked}</p>
<p>Not run. ${esc(why)}</p>
`;
  }
  const rows = v.categories
    .map(
      (cat) =>
        `<tbody><tr class="group"><th colspan="3">${esc(cat.name)} <span class="badge ${TEST_BADGE[cat.result]}">${TEST_LABEL[cat.result]}</span></th></tr>
${cat.tests
  .map(
    (t) =>
      `<tr class="${TEST_BADGE[t.result]}"><td class="sev"><span class="badge ${TEST_BADGE[t.result]}">${TEST_LABEL[t.result]}</span></td><td>${esc(t.name)}</td><td>${esc(t.message)}</td></tr>`,
  )
  .join('\n')}</tbody>`,
    )
    .join('\n');
  return `<h2>Windows’ Test-Cluster</h2>
<p class="meta">${asked} Run on ${esc(v.nodes.join(' and '))} at ${esc(v.ranAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}: <span class="badge ${TEST_BADGE[v.result]}">${TEST_LABEL[v.result]}</span>${v.reportPath ? ` · Windows’ report: ${esc(v.reportPath)}` : ''}</p>
<table class="findings tests"><colgroup><col style="width:100px"><col style="width:34%"><col></colgroup>
<thead><tr><th>Result</th><th>Test</th><th>Windows’ text</th></tr></thead>
${rows}
</table>
`;
}

/** A self-contained HTML page (no external resources) that prints on A4 or Letter. */
export function reportHtml(report: VerifyReport): string {
  const [a, b] = report.hosts;
  const counts = (s: Severity) => report.findings.filter((f) => f.severity === s).length;
  const groups = [
    ...CATEGORIES,
    ...new Set(
      report.findings.map((f) => f.category).filter((c) => !(CATEGORIES as readonly string[]).includes(c)),
    ),
  ];
  const findings = groups
    .map((category) => {
      const list = report.findings.filter((f) => f.category === category);
      if (list.length === 0) return '';
      const order: Record<Severity, number> = { blocker: 0, warning: 1, pass: 2 };
      list.sort((x, y) => order[x.severity] - order[y.severity]);
      return `<tbody><tr class="group"><th colspan="4">${esc(category)}</th></tr>${list.map(findingHtml).join('\n')}</tbody>`;
    })
    .join('\n');
  const matrix = matrixRows(report.hosts)
    .map((r) => {
      const differ = r.values[0] !== r.values[1] && !UNIQUE_ROWS.has(r.label);
      return `<tr${differ ? ' class="differ"' : ''}><th>${esc(r.label)}</th><td>${esc(r.values[0])}</td><td>${esc(r.values[1])}</td></tr>`;
    })
    .join('\n');
  const targets =
    report.targets.length === 2 ? ` (${esc(report.targets[0]!)} and ${esc(report.targets[1]!)})` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Twinlock verification: ${esc(a.computerName)} and ${esc(b.computerName)}</title>
<style>
  @page { size: A4; margin: 14mm 12mm; }
  * { box-sizing: border-box; }
  body { font: 10.5pt/1.4 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif; color: #1d2430; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
  h1 { font-size: 18pt; margin: 0 0 4px; }
  h2 { font-size: 13pt; margin: 22px 0 8px; border-bottom: 1px solid #d7dce3; padding-bottom: 4px; }
  .meta { color: #5b6575; margin: 0 0 14px; }
  .verdict { padding: 12px 16px; border-radius: 6px; font-size: 14pt; font-weight: 600; border: 2px solid; }
  .verdict.ready { background: #e8f6ec; border-color: #2e8b47; color: #1f6b34; }
  .verdict.warnings { background: #fff6e0; border-color: #c98a00; color: #7a5400; }
  .verdict.blocked { background: #fdeaea; border-color: #c62828; color: #8e1c1c; }
  .verdict small { display: block; font-size: 10pt; font-weight: 400; margin-top: 2px; }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e4e8ee; overflow-wrap: anywhere; }
  thead th { background: #f1f4f8; font-weight: 600; }
  .matrix th { width: 24%; font-weight: 600; color: #3a4454; }
  .matrix tr.differ td { background: #fff1c7; font-weight: 600; }
  .matrix tr.differ th::after { content: " ≠"; color: #b26a00; }
  .findings td.sev { width: 100px; }
  .findings col.values { width: 22%; }
  .findings tr.group th { background: #e9edf3; font-size: 11pt; padding-top: 8px; }
  .badge { white-space: nowrap; display: inline-block; border-radius: 3px; padding: 1px 6px; font-size: 8.5pt; font-weight: 700; text-transform: uppercase; }
  .badge.pass { background: #e3f3e7; color: #1f6b34; }
  .badge.warning { background: #fff0c2; color: #7a5400; }
  .badge.blocker { background: #fbd9d9; color: #8e1c1c; }
  tr.blocker td { background: #fff7f7; }
  .id { color: #7b8494; font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
  .remedy { margin-top: 3px; color: #2c3644; }
  footer { margin-top: 20px; color: #7b8494; font-size: 8.5pt; }
  @media print {
    body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
    tr, .verdict { break-inside: avoid; }
    thead { display: table-header-group; }
    h2, tr.group, tr.group th { break-after: avoid; page-break-after: avoid; }
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
</style></head>
<body>
<h1>Twinlock verification report</h1>
<p class="meta">${esc(a.computerName)} and ${esc(b.computerName)}${targets} · Level ${report.level} · run ${esc(report.ranAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</p>
<div class="verdict ${report.outcome}">${esc(report.verdict)}<small>${counts('blocker')} blockers · ${counts('warning')} warnings · ${counts('pass')} passed · blockers at Level 1/2/3: ${report.blockersByLevel.join(' / ')}</small></div>
<h2>Side by side</h2>
<table class="matrix"><thead><tr><th></th><th>${esc(a.computerName)}</th><th>${esc(b.computerName)}</th></tr></thead>
<tbody>
${matrix}
</tbody></table>
<h2>Findings</h2>
<table class="findings"><colgroup><col style="width:100px"><col><col class="values"><col class="values"></colgroup>
<thead><tr><th>Result</th><th>Check</th><th>${esc(a.computerName)}</th><th>${esc(b.computerName)}</th></tr></thead>
${findings}
</table>
${clusterSectionHtml(report)}<footer>Inventories read ${esc(a.collectedAt)} (${esc(a.computerName)}) and ${esc(b.collectedAt)} (${esc(b.computerName)}) by Twinlock. Highlighted rows differ between the servers.</footer>
</body></html>
`;
}

/** Chromium-family browsers that print to PDF headless, in order of preference. */
export function browserCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const programFiles = [env['ProgramFiles'], env['ProgramFiles(x86)']].filter((p): p is string => !!p);
  return [
    env.TWINLOCK_CHROMIUM ?? '',
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ...programFiles.flatMap((p) => [
      join(p, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
      join(p, 'Google', 'Chrome', 'Application', 'chrome.exe'),
    ]),
  ].filter((p) => p !== '');
}

/** Prints the verification report to PDF with a headless browser. */
export async function reportPdf(
  report: VerifyReport,
  options: { browser?: string; timeoutMs?: number } = {},
): Promise<Buffer> {
  return printHtmlToPdf(reportHtml(report), options);
}

/** Prints a self-contained HTML document to PDF with a headless Chromium-family browser. */
export async function printHtmlToPdf(
  htmlText: string,
  options: { browser?: string; timeoutMs?: number } = {},
): Promise<Buffer> {
  const browser = options.browser ?? browserCandidates().find((p) => existsSync(p));
  if (!browser) {
    throw new TwinlockError({
      code: 'not-found',
      message:
        'Twinlock prints PDF reports with Microsoft Edge, Google Chrome or Chromium, and none was found on this computer.',
      hint: 'Export the report as HTML and print it to PDF from any browser, or set TWINLOCK_CHROMIUM to the browser’s path.',
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'twinlock-report-'));
  try {
    const html = join(dir, 'report.html');
    const pdf = join(dir, 'report.pdf');
    await writeFile(html, htmlText);
    await new Promise<void>((resolve, reject) => {
      execFile(
        browser,
        [
          '--headless',
          '--disable-gpu',
          '--no-sandbox',
          '--no-first-run',
          '--no-pdf-header-footer',
          `--user-data-dir=${join(dir, 'profile')}`,
          `--print-to-pdf=${pdf}`,
          pathToFileURL(html).href,
        ],
        { timeout: options.timeoutMs ?? 60_000 },
        (err) => (err && !existsSync(pdf) ? reject(err) : resolve()),
      );
    });
    return await readFile(pdf);
  } catch (err) {
    if (err instanceof TwinlockError) throw err;
    throw new TwinlockError({
      code: 'internal',
      message: `The browser at ${browser} could not print the report to PDF (${err instanceof Error ? err.message.split('\n')[0] : String(err)}).`,
      hint: 'Export the report as HTML and print it to PDF from a browser.',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
