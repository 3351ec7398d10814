/** The summary `twinlock fleet apply|drift` prints: a row per pair, counts per result, each failure with its reason and next step. */
import { describe, expect, it } from 'vitest';
import { summary } from '../../../cli/commands/fleet-run';
import type { FleetOutcome } from '../../../engine/api/models';

const outcome: FleetOutcome = {
  mode: 'apply',
  elapsedMs: 61_000,
  journal: '/home/admin/.twinlock/fleets/0123456789abcdef.json',
  counts: { protected: 1, failed: 1, drift: 1 },
  pairs: [
    {
      name: 'SITE1',
      servers: ['A1', 'B1'],
      result: 'protected',
      changed: false,
      resumed: ['verify', 'install'],
      elapsedMs: 4000,
    },
    {
      name: 'SITE2',
      servers: ['A2', 'B2'],
      result: 'failed',
      changed: false,
      failedStep: 'install',
      error: {
        code: 'install-failed',
        message: 'msiexec failed on B2 (1603).',
        hint: 'Read the log tail, fix the cause, run the fleet again.',
      },
      resumed: [],
      elapsedMs: 2000,
    },
    {
      name: 'SITE3',
      servers: ['A3', 'B3'],
      result: 'drift',
      changed: false,
      resumed: [],
      differences: [
        {
          field: 'level',
          what: 'Protection level',
          expected: 'Level 3',
          actual: 'Level 1',
          change: 'Re-create the pair at Level 3',
        },
      ],
      elapsedMs: 1000,
    },
  ],
};

describe('the fleet summary', () => {
  it('lists each pair, the counts, each failure with its next step, each difference, and the journal', () => {
    const text = summary(outcome);
    expect(text).toMatch(/^SITE1 +A1 \+ B1 +protected +verify,install +4 s$/m);
    expect(text).toMatch(/^3 pair\(s\): 1 protected, 1 failed, 1 drift, in 1 min 1 s\.$/m);
    expect(text).toContain(
      'SITE2 (A2, B2) failed at install: msiexec failed on B2 (1603).\n  next: Read the log tail, fix the cause, run the fleet again.',
    );
    expect(text).toContain(
      'SITE3 (A3, B3): drift\n  Protection level: Level 1, expected Level 3 — apply: Re-create the pair at Level 3',
    );
    expect(text).toMatch(/Journal: \/home\/admin\/\.twinlock\/fleets\/0123456789abcdef\.json$/);
  });
});
