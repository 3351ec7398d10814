import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HostProgressOf, JobSnapshotOf } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useDiscoveryStore } from '../../../renderer/src/stores/discovery';
import { useHostsStore } from '../../../renderer/src/stores/hosts';
import { useInstallStore } from '../../../renderer/src/stores/install';
import { toInstallHostView } from '../../../renderer/src/stores/install-progress';
import { fakeClient } from './fake-client';

const base: HostProgressOf<'install'> = {
  label: 'HV-A',
  state: 'running',
  step: 'upload',
  percent: 30,
  message: 'Uploading',
};

const statuses = (view: ReturnType<typeof toInstallHostView>) =>
  Object.fromEntries(view.steps.map((s) => [s.id, s.status]));

describe('install progress mapping', () => {
  it('shows the upload’s percent, rate and bytes while uploading', () => {
    const view = toInstallHostView('s1', {
      ...base,
      bytesDone: 12_300_000,
      bytesTotal: 48_000_000,
      rateBps: 41_560_000,
    });
    expect(view.uploadPercent).toBe(26);
    expect(view.rateMBps).toBe(41.6);
    expect(view.uploadText).toBe('12.3 MB of 48.0 MB');
    expect(statuses(view)).toEqual({
      check: 'done',
      upload: 'running',
      verify: 'pending',
      msiexec: 'pending',
      health: 'pending',
    });
    expect(view.logTail).toEqual([]);
  });

  it('marks earlier steps done and keeps the upload at 100% once past it', () => {
    const view = toInstallHostView('s1', { ...base, step: 'msiexec', percent: 70 });
    expect(statuses(view)).toEqual({
      check: 'done',
      upload: 'done',
      verify: 'done',
      msiexec: 'running',
      health: 'pending',
    });
    expect(view.uploadPercent).toBe(100);
    expect(view.rateMBps).toBeNull();
    expect(view.uploadText).toBeNull();
  });

  it('shows the failed step and the log tail on failure', () => {
    const view = toInstallHostView('s1', {
      ...base,
      state: 'failed',
      step: 'msiexec',
      message: 'msiexec exited with 1603',
      logTail: ['Installation failed.', 'Error status: 1603.'],
    });
    expect(statuses(view)).toEqual({
      check: 'done',
      upload: 'done',
      verify: 'done',
      msiexec: 'failed',
      health: 'pending',
    });
    expect(view.logTail).toEqual(['Installation failed.', 'Error status: 1603.']);
  });

  it('puts each step the engine reports on its row; shows done and skipped hosts', () => {
    expect(statuses(toInstallHostView('s', { ...base, step: 'health' })).health).toBe('running');
    expect(statuses(toInstallHostView('s', { ...base, step: 'msiexec' })).msiexec).toBe('running');
    expect(statuses(toInstallHostView('s', { ...base, step: 'verify' }))).toMatchObject({
      upload: 'done',
      verify: 'running',
    });
    const waiting = toInstallHostView('s', { ...base, state: 'pending', step: 'waiting', percent: 0 });
    expect(waiting.steps.every((s) => s.status === 'pending')).toBe(true);
    const toRestart = toInstallHostView('s', {
      ...base,
      state: 'done',
      step: 'reboot-required',
      percent: 100,
    });
    expect(toRestart.rebootRequired).toBe(true);
    expect(toRestart.steps.find((s) => s.id === 'reboot')).toEqual({
      id: 'reboot',
      label: 'Restart the server to finish',
      status: 'pending',
    });
    const done = toInstallHostView('s', { ...base, state: 'done', step: 'health', percent: 100 });
    expect(done.steps.every((s) => s.status === 'done')).toBe(true);
    expect(done.uploadPercent).toBe(100);
    const skipped = toInstallHostView('s', { ...base, state: 'skipped', step: 'check', percent: 100 });
    expect(skipped.steps.every((s) => s.status === 'skipped')).toBe(true);
  });

  it('shows a host still at work as stopped once the job has ended', () => {
    const view = toInstallHostView('s', { ...base, step: 'health', percent: 85 }, false);
    expect(view.interrupted).toBe(true);
    expect(statuses(view).health).toBe('stopped');
    expect(toInstallHostView('s', { ...base, state: 'done', step: 'health' }, false).interrupted).toBe(false);
  });

  it('clamps percentages', () => {
    expect(toInstallHostView('s', { ...base, percent: 140 }).percent).toBe(100);
    expect(toInstallHostView('s', { ...base, bytesDone: 60, bytesTotal: 50 }).uploadPercent).toBe(100);
  });
});

describe('install store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  function snapshot(
    state: 'running' | 'done' | 'failed',
    hosts: Record<string, HostProgressOf<'install'>>,
  ): JobSnapshotOf<'install'> {
    return {
      id: 'job-1',
      kind: 'install',
      state,
      startedAt: '2025-01-01T00:00:00Z',
      finishedAt: state === 'running' ? null : '2025-01-01T00:01:00Z',
      percent: 40,
      message: 'Uploading the agent package',
      hosts,
      error:
        state === 'failed'
          ? { code: 'install-failed', message: 'msiexec 1603 on HV-B.', hint: 'Free disk space.' }
          : null,
      result: null,
    };
  }

  async function connectedStore(client: ReturnType<typeof fakeClient>) {
    setApiClient(client);
    const discovery = useDiscoveryStore();
    discovery.addHost('10.0.0.21');
    discovery.addHost('10.0.0.22');
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'secret' });
    await hosts.connectAll();
    return useInstallStore();
  }

  const connect = (input: { address: string }) => ({
    sessionId: input.address.endsWith('21') ? 'sA' : 'sB',
    address: input.address,
    port: 22,
    username: 'Administrator',
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    newlyPinned: false,
    computerName: input.address.endsWith('21') ? 'HV-A' : 'HV-B',
    osCaption: 'Windows Server 2022',
    isAdmin: true,
  });

  it('follows the job’s events into per-host cards, in the order the servers were picked', async () => {
    const running = snapshot('running', {
      sB: { ...base, label: 'HV-B', step: 'verify', percent: 62 },
      sA: { ...base, label: 'HV-A', bytesDone: 24_000_000, bytesTotal: 48_000_000, rateBps: 40_000_000 },
    });
    const client = fakeClient({
      connect,
      install: () => ({ jobId: 'job-1', kind: 'install' }),
      job: () => running,
    });
    const install = await connectedStore(client);
    const started = install.start();
    await new Promise((r) => setTimeout(r, 0));
    expect(client.callsOf('install')).toEqual([{ sessions: ['sA', 'sB'], level: 3 }]);
    expect(install.state).toBe('running');
    expect(install.hostViews.map((v) => v.label)).toEqual(['HV-A', 'HV-B']);
    expect(install.hostViews[0]).toMatchObject({ uploadPercent: 50, rateMBps: 40 });

    client.emit({
      type: 'job',
      job: snapshot('done', {
        sA: { ...base, label: 'HV-A', state: 'done', step: 'health', percent: 100 },
        sB: { ...base, label: 'HV-B', state: 'done', step: 'health', percent: 100 },
      }),
    });
    await started;
    expect(install.state).toBe('done');
    expect(install.canContinue).toBe(true);
    expect(install.hostViews.every((v) => v.percent === 100)).toBe(true);
  });

  it('ends in error with the job’s message and hint when it fails', async () => {
    const client = fakeClient({
      connect,
      install: () => ({ jobId: 'job-1', kind: 'install' }),
      job: () =>
        snapshot('failed', {
          sA: { ...base, state: 'done', step: 'health', percent: 100 },
          sB: { ...base, label: 'HV-B', state: 'failed', step: 'msiexec', percent: 70, logTail: ['1603'] },
        }),
    });
    const install = await connectedStore(client);
    await install.start();
    expect(install.state).toBe('error');
    expect(install.error).toEqual({
      code: 'install-failed',
      message: 'msiexec 1603 on HV-B.',
      hint: 'Free disk space.',
    });
    expect(install.hostViews[1]?.logTail).toEqual(['1603']);
  });
});
