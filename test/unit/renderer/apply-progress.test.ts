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
