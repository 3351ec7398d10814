/** The protection report's HTML: every section, what is missing said so, every value escaped. */
import { describe, expect, it } from 'vitest';
import type { AgentStatus, DrillResult } from '../../../engine/api';
import { protectionReportHtml } from '../../../engine/pair/protection-report';

const EVIL = '<script>alert(1)</script>';

const status = (role: 'primary' | 'secondary'): AgentStatus => ({
  nodeId: role,
  role,
  pair: {
    name: 'PAIR-"01"',
    peer: 'x',
    state: 'protected',
    progress: 100,
    links: [{ local: '10.0.0.1', remote: '10.0.0.2', up: true, rttMs: 0.08, mbps: 9400 }],
    witness: { address: '\\\\wit\\share', reachable: true },
    level: 3,
  },
  vms: [{ name: EVIL, state: 'Running', protected: true }],
});

const drill: DrillResult = {
  kind: 'primary-loss',
  level: 3,
  result: 'passed',
  reason: null,
  measuredDowntimeMs: 0,
  agentDowntimeMs: 0,
  sampleIntervalMs: 48.2,
  serverTimeScale: 1,
  vms: [{ name: EVIL, downtimeMs: 0, watched: 'Get-VM on A and B' }],
  timeline: [{ atMs: 12, state: 'failed-over', node: 'TL-NODE-B', message: `${EVIL} carries on` }],
  startedAt: '2026-12-02T12:00:00.000Z',
  elapsedMs: 3000,
  finalState: 'protected',
};

const base = {
  madeAt: '2026-12-02T12:10:00.000Z',
  workstation: 'WS-01',
  servers: [
    { computerName: 'TL-NODE-A', address: '127.0.0.1:2201', status: status('primary') },
    { computerName: 'TL-NODE-B', address: '127.0.0.1:2202', status: status('secondary') },
  ],
  verify: null,
  plan: null,
  links: null,
};

describe('protectionReportHtml', () => {
  it('has every section, and says what was never recorded', () => {
    const html = protectionReportHtml({ ...base, drill: null });
    for (const h of [
      'The pair',
      'Verification',
      'The plan applied',
      'Link measurements',
      'Failover drill',
      'Times',
    ])
      expect(html).toContain(`<h2>${h}</h2>`);
    expect(html).toContain('No drill run yet.');
    expect(html).toContain('Not measured');
    expect(html).toContain('Not verified yet.');
    expect(html).toContain('made 2026-12-02 12:10:00 UTC on WS-01');
  });

  it('escapes every value: a VM named <script> stays text', () => {
    const html = protectionReportHtml({
      ...base,
      drill: { at: base.madeAt, workstation: 'WS-01', value: drill },
    });
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('PAIR-&quot;01&quot;');
    expect(html).toContain('Downtime measured by Twinlock: <strong>0 ms</strong>');
    // Self-contained: no external resource of any kind.
    expect(html).not.toMatch(/<(link|script|img|iframe)\b|\bsrc=|https?:\/\//i);
  });
});
