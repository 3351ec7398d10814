/**
 * The install store at Level 1: the level chosen for the pair goes into the request, the cards
 * show Failover Clustering's steps (no upload), and Roll back asks for the feature's removal.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { InstallProgressStep, JobSnapshotOf } from '../../../engine/api';
import { useInstallStore } from '../../../renderer/src/stores/install';
import { toInstallHostView } from '../../../renderer/src/stores/install-progress';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { withTwoSessions } from './two-sessions';

function snapshot(
  state: 'running' | 'done',
  steps: [InstallProgressStep, InstallProgressStep],
): JobSnapshotOf<'install'> {
  const host = (label: string, step: InstallProgressStep) => ({
    label,
    state: state === 'done' ? ('done' as const) : ('running' as const),
    step,
    percent: state === 'done' ? 100 : 40,
    message: 'Enabling Failover Clustering and its tools',
  });
  return {
    id: 'job-1',
    kind: 'install',
    state,
    startedAt: '2026-12-01T00:00:00Z',
    finishedAt: state === 'done' ? '2026-12-01T00:01:00Z' : null,
    percent: state === 'done' ? 100 : 40,
    message: '',
    hosts: { sA: host('HV-A', steps[0]), sB: host('HV-B', steps[1]) },
    error: null,
    result:
      state === 'done'
        ? (['sA', 'sB'] as const).map((sessionId, i) => ({
            sessionId,
            computerName: i === 0 ? 'HV-A' : 'HV-B',
            component: 'failover-clustering' as const,
            action: 'installed' as const,
            version: '20348.2762',
            exitCode: 0,
            rebootRequired: false,
          }))
        : null,
  };
}

const ids = (view: ReturnType<typeof toInstallHostView>) => view.steps.map((s) => [s.id, s.label, s.status]);

describe('install progress at Level 1', () => {
  it('lists the feature’s steps instead of the agent’s', () => {
    const base = { label: 'HV-A', state: 'running' as const, percent: 30, message: '' };
    const running = toInstallHostView('s', { ...base, step: 'feature' }, true, 1);
    expect(ids(running)).toEqual([
      ['check', 'Check what is installed', 'done'],
      ['feature', 'Enable Failover Clustering and its tools', 'running'],
      ['health', 'Check the feature', 'pending'],
    ]);
    expect(running.uploadPercent).toBeNull();
    const restart = toInstallHostView('s', { ...base, step: 'reboot' }, true, 1);
    expect(ids(restart).map(([id]) => id)).toEqual(['check', 'feature', 'reboot', 'health']);
    const done = toInstallHostView('s', { ...base, state: 'done', step: 'health', percent: 100 }, false, 1);
    expect(done.uploadPercent).toBeNull();
    expect(done.steps.every((s) => s.status === 'done')).toBe(true);
    // Level 3 keeps the agent's rows.
    expect(ids(toInstallHostView('s', { ...base, step: 'msiexec' })).map(([id]) => id)).toEqual([
      'check',
      'upload',
      'verify',
      'msiexec',
      'health',
    ]);
  });
});

describe('install store at Level 1', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('passes the pair’s level and shows the feature’s rows', async () => {
    const client = await withTwoSessions({
      install: () => ({ jobId: 'job-1', kind: 'install' }),
      job: () => snapshot('done', ['health', 'health']),
    });
    usePairStore().level = 1;
    const install = useInstallStore();
    expect(install.level).toBe(1);
    await install.start();
    expect(client.callsOf('install')).toEqual([{ sessions: ['sA', 'sB'], level: 1 }]);
    expect(install.jobLevel).toBe(1);
    expect(install.hostViews[0]?.steps.map((s) => s.id)).toEqual(['check', 'feature', 'health']);
    expect(install.hostViews.flatMap((v) => v.steps).some((s) => s.id === 'upload')).toBe(false);
  });

  it('knows a followed job is Level 1 from its steps', async () => {
    await withTwoSessions({ job: () => snapshot('done', ['health', 'health']) });
    const install = useInstallStore();
    expect(install.level).toBe(3);
    await install.follow('job-1');
    expect(install.jobLevel).toBe(1);
  });

  it('rolls a server back at Level 1 with the restart consent', async () => {
    const client = await withTwoSessions({
      install: () => ({ jobId: 'job-1', kind: 'install' }),
      job: () => snapshot('done', ['health', 'health']),
      rollback: () => ({
        computerName: 'HV-A',
        component: 'failover-clustering',
        removedVersion: 'Failover-Clustering',
        removedRules: 0,
        removedFiles: [],
        removedFeatures: ['Failover-Clustering'],
        rebootRequired: false,
        rebooted: true,
        message: 'HV-A: Failover Clustering and its tools removed (Twinlock restarted HV-A to finish).',
      }),
    });
    usePairStore().level = 1;
    const install = useInstallStore();
    install.allowReboot = true;
    await install.start();
    await install.rollback('sA');
    expect(client.callsOf('rollback')).toEqual([{ sessionId: 'sA', level: 1, allowReboot: true }]);
    expect(install.rollbacks.sA?.outcome?.message).toMatch(
      /^HV-A: Failover Clustering and its tools removed/,
    );
  });
});
