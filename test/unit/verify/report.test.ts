import { describe, expect, it } from 'vitest';
import { VerifyReportSchema } from '../../../engine/api/models';
import { browserCandidates, matrixRows, reportHtml, reportJson } from '../../../engine/verify/report';
import { verifyPair } from '../../../engine/verify/verify-pair';
import { evidence, validation } from './cluster-fixture';
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

describe('verification report at Level 1', () => {
  const failed = validation([
    {
      name: 'System Configuration',
      result: 'failed',
      tests: [
        {
          name: 'Validate Active Directory Configuration',
          result: 'failed',
          message: 'The servers are not in the same <domain>.',
        },
        { name: 'Validate All Drivers Signed', result: 'passed', message: '' },
      ],
    },
    {
      name: 'Network',
      result: 'warning',
      tests: [{ name: 'Validate Network Communication', result: 'warning', message: 'Only one network.' }],
    },
  ]);
  const e = evidence({ validation: failed, cluster: { name: 'PAIR01-CL', address: '10.0.0.50' } });
  const l1 = {
    ...verifyPair(a, peerInventory(), 1, e),
    ranAt: '2025-01-01T10:00:00.000Z',
    targets: ['10.0.0.21:22', '10.0.0.22:22'],
    cluster: e.cluster,
    clusterPrereqs: [e.prereqs[0], e.prereqs[1]] as [(typeof e.prereqs)[0], (typeof e.prereqs)[1]],
    clusterValidation: e.validation,
  };

  it('round-trips as JSON with the cluster, its prerequisites and Test-Cluster’s results', () => {
    const parsed = VerifyReportSchema.parse(JSON.parse(reportJson(l1)));
    expect(parsed).toEqual(l1);
    expect(parsed.clusterValidation?.categories.map((c) => c.name)).toEqual([
      'System Configuration',
      'Network',
    ]);
    // The fixture's address is in no connected subnet, and Test-Cluster failed.
    expect(parsed.findings.filter((f) => f.severity === 'blocker').map((f) => f.ruleId)).toEqual([
      'cluster.address',
      'cluster.validation',
    ]);
    expect(parsed.blockersByLevel[0]).toBe(2);
  });

  it('shows the Cluster findings and Test-Cluster per category and test, with Windows’ text escaped', () => {
    const html = reportHtml(l1);
    expect(html).toContain('<tr class="group"><th colspan="4">Cluster</th></tr>');
    for (const id of ['cluster.feature', 'cluster.logon', 'cluster.validation'])
      expect(html).toContain(`>${id}<`);
    expect(html).toContain('<h2>Windows’ Test-Cluster</h2>');
    expect(html).toContain('Cluster PAIR01-CL at 10.0.0.50.');
    expect(html).toContain('Run on HV-A and HV-B at 2025-01-01 10:01:00 UTC:');
    expect(html).toMatch(
      /<tr class="blocker"><td class="sev"><span class="badge blocker">Failed<\/span><\/td><td>Validate Active Directory Configuration<\/td><td>The servers are not in the same &lt;domain&gt;\.<\/td><\/tr>/,
    );
    expect(html).toMatch(/<span class="badge pass">Passed<\/span><\/td><td>Validate All Drivers Signed</);
    expect(html).toMatch(/Network <span class="badge warning">Warning<\/span>/);
    expect(html).not.toContain('<domain>');
  });

  it('says why Test-Cluster did not run, and shows no section below Level 1', () => {
    const skipped = evidence({ validation: null, validationNotRun: 'Test-Cluster was not run: because.' });
    const html = reportHtml({
      ...verifyPair(a, peerInventory(), 1, skipped),
      ranAt: '2025-01-01T10:00:00.000Z',
      targets: [],
      cluster: null,
      clusterPrereqs: [skipped.prereqs[0], skipped.prereqs[1]],
      clusterValidation: null,
    });
    expect(html).toContain('<p>Not run. Test-Cluster was not run: because.</p>');
    expect(html).toContain('No cluster name or address chosen yet');
    expect(reportHtml(report)).not.toContain('Test-Cluster</h2>');
  });
});
