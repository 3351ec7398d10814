import { describe, expect, it } from 'vitest';
import { VerifyReportSchema } from '../../../engine/api/models';
import { browserCandidates, matrixRows, reportHtml, reportJson } from '../../../engine/verify/report';
import { verifyPair } from '../../../engine/verify/verify-pair';
import { inventory, peerInventory } from './inventory-fixture';

const a = inventory();
const b = peerInventory({ processor: { ...a.processor, stepping: 5 }, computerName: 'HV-<B>' });
const report = {
  ...verifyPair(a, b, 3),
  ranAt: '2025-01-01T10:00:00.000Z',
  targets: ['10.0.0.21:22', '10.0.0.22:22'],
};

describe('verification report', () => {
  it('round-trips as JSON', () => {
    expect(VerifyReportSchema.parse(JSON.parse(reportJson(report)))).toEqual(report);
  });

  it('is one self-contained HTML page with the verdict, the matrix and every finding', () => {
    const html = reportHtml(report);
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toContain('Ready for Level 2 only — 1 blocker for Level 3');
    expect(html).toContain('10.0.0.21:22 and 10.0.0.22:22');
    expect(html).toContain('2025-01-01 10:00:00 UTC');
    for (const f of report.findings) expect(html).toContain(`>${f.ruleId}<`);
    // Values are escaped: a hostile computer name cannot inject markup.
    expect(html).toContain('HV-&lt;B&gt;');
    expect(html).not.toContain('HV-<B>');
    expect(html).toContain('@media print');
  });

  it('highlights the rows that differ, and only those', () => {
    const rows = matrixRows([a, b]);
    const differing = rows.filter((r) => r.values[0] !== r.values[1]).map((r) => r.label);
    expect(differing).toEqual(expect.arrayContaining(['Family / model / stepping']));
    const html = reportHtml(report);
    const highlighted = [...html.matchAll(/<tr class="differ"><th>([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(highlighted).toContain('Family / model / stepping');
    expect(highlighted).not.toContain('Computer name');
    expect(highlighted).not.toContain('Processor');
  });

  it('looks for Chromium, Chrome and Edge, and honours TWINLOCK_CHROMIUM first', () => {
    const list = browserCandidates({ TWINLOCK_CHROMIUM: '/opt/x/chrome', ProgramFiles: 'C:\\Program Files' });
    expect(list[0]).toBe('/opt/x/chrome');
    expect(list).toContain('/usr/bin/chromium');
    expect(list.some((p) => p.endsWith('msedge.exe'))).toBe(true);
  });
});
