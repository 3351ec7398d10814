import { describe, expect, it } from 'vitest';
import type { HostProgressOf } from '../../../engine/api';
import { toApplyHostView } from '../../../renderer/src/stores/apply-progress';

const progress = (patch: Partial<HostProgressOf<'pair'>>): HostProgressOf<'pair'> => ({
  label: 'TL-NODE-A',
  state: 'running',
  step: 'links',
  percent: 0,
  message: '',
  ...patch,
});

describe('apply progress rows', () => {
  it('show the check before pairing and the undo after a failed step', () => {
    expect(
      toApplyHostView('sa', progress({ step: 'preflight', message: 'Checking the configuration' }))
        .stageLabel,
    ).toBe('Checking');
    const undo = toApplyHostView(
      'sa',
      progress({ step: 'undo', percent: 50, message: 'Undoing: Unprotecting SQL01' }),
    );
    expect([undo.stage, undo.stageLabel, undo.message]).toEqual([
      'undoing',
      'Undoing',
      'Undoing: Unprotecting SQL01',
    ]);
    expect(toApplyHostView('sa', progress({ step: 'undo', state: 'failed' }), false).stage).toBe('failed');
    expect(toApplyHostView('sa', progress({ step: 'mirroring', percent: 40 })).stage).toBe('mirroring');
  });

  it('place every step of a pairing on a stage', () => {
    const stages = Object.fromEntries(
      (
        [
          'waiting',
          'resume',
          'links',
          'pair',
          'protect',
          'none',
          'pairing',
          'syncing',
          'protected',
          'degraded',
          'failed-over',
          'broken',
        ] as const
      ).map((step) => [step, toApplyHostView('sa', progress({ step })).stage]),
    );
    expect(stages).toEqual({
      waiting: 'pairing',
      resume: 'pairing',
      links: 'pairing',
      pair: 'pairing',
      protect: 'pairing',
      none: 'pairing',
      pairing: 'pairing',
      syncing: 'syncing',
      protected: 'protected',
      degraded: 'failed',
      'failed-over': 'failed',
      broken: 'failed',
    });
  });
});

describe('mirroring, in words', () => {
  it('gives the share copied and, once it has moved, the time left at that pace; never a made-up size', async () => {
    const { mirroredShare, mirroringLine } = await import('../../../renderer/src/stores/apply-progress');
    expect(mirroredShare('Mirroring storage: 42%')).toBe(42);
    expect(mirroredShare('Pairing with the other server')).toBeNull();
    expect(mirroringLine(10, null, 0)).toBe(
      '10 % of the protected VMs’ storage copied; time left not known yet (the agent reports the share copied, not the size).',
    );
    // 10 % → 40 % in 30 s: 60 % more takes about a minute.
    expect(mirroringLine(40, { at: 0, copied: 10 }, 30_000)).toBe(
      '40 % of the protected VMs’ storage copied; about 1 min left at the current pace (the agent reports the share copied, not the size).',
    );
    expect(mirroringLine(40, { at: 0, copied: 40 }, 30_000)).toMatch(/time left not known yet/);
  });
});
