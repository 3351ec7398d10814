import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { InstallProgressStep, JobSnapshotOf, ResumableJob } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useInstallStore } from '../../../renderer/src/stores/install';
import { useJobResumeStore } from '../../../renderer/src/stores/job-resume';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { fakeClient } from './fake-client';
import { withTwoSessions } from './two-sessions';

function done(rebootOnB: boolean): JobSnapshotOf<'install'> {
  const host = (label: string, step: InstallProgressStep) => ({
    label,
    state: 'done' as const,
    step,
    percent: 100,
    message: 'Agent 3.2.1 installed',
  });
  return {
    id: 'job-1',
    kind: 'install',
    state: 'done',
    startedAt: '2025-01-01T00:00:00Z',
    finishedAt: '2025-01-01T00:01:00Z',
    percent: 100,
    message: '',
    hosts: { sA: host('HV-A', 'health'), sB: host('HV-B', rebootOnB ? 'reboot-required' : 'health') },
    error: null,
    result: [
      {
        sessionId: 'sA',
        computerName: 'HV-A',
        component: 'agent',
        action: 'installed',
        version: '3.2.1',
        exitCode: 0,
        rebootRequired: false,
      },
      {
        sessionId: 'sB',
        computerName: 'HV-B',
        component: 'agent',
        action: 'installed',
        version: '3.2.1',
        exitCode: 3010,
        rebootRequired: rebootOnB,
      },
    ],
  };
}

/** The restart of HV-B, a fix job that finished. */
const restarted: JobSnapshotOf<'fix'> = {
  id: 'job-fix',
  kind: 'fix',
  state: 'done',
  startedAt: '2025-01-01T00:00:00Z',
  finishedAt: '2025-01-01T00:01:00Z',
  percent: 100,
  message: 'Restarts HV-B: done, restarted and back.',
  hosts: {},
  error: null,
  result: {
    fixId: 'restart',
    computerName: 'HV-B',
    message: 'Restarts HV-B: done, restarted and back.',
    rebooted: true,
    elapsedMs: 900,
    report: null,
  },
};

describe('install store: Roll back, restarts, and the restart option', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('passes the restart consent, then offers Restart now for the server that needs it', async () => {
    const client = await withTwoSessions({
      install: () => ({ jobId: 'job-1', kind: 'install' }),
      job: (input: { jobId: string }) => (input.jobId === 'job-fix' ? restarted : done(true)),
      applyFix: () => ({ jobId: 'job-fix', kind: 'fix' }),
    });
    const install = useInstallStore();
    install.allowReboot = true;
    await install.start();
    expect(client.callsOf('install')).toEqual([{ sessions: ['sA', 'sB'], level: 3, allowReboot: true }]);
    expect(install.state).toBe('done');
    expect(install.rebootNeeded).toEqual(['sB']);
    expect(install.hostViews[1]).toMatchObject({ rebootRequired: true });
    expect(install.hostViews[1]?.steps.find((s) => s.id === 'reboot')?.status).toBe('pending');
    expect(install.hostViews[0]?.steps.some((s) => s.id === 'reboot')).toBe(false);

    await install.restart('sB');
    expect(client.callsOf('applyFix')).toEqual([{ sessionId: 'sB', fixId: 'restart' }]);
    expect(install.restarts.sB).toMatchObject({
      state: 'done',
      outcome: 'Restarts HV-B: done, restarted and back.',
    });
    expect(install.rebootNeeded).toEqual([]);
    expect(install.hostViews[1]).toMatchObject({ rebootRequired: false });
    expect(install.hostViews[1]?.steps.find((s) => s.id === 'reboot')?.status).toBe('done');
  });

  it('rolls one server back and keeps what it removed, or why it could not', async () => {
    const client = await withTwoSessions({
      rollback: (input: { sessionId: string }) => {
        if (input.sessionId === 'sB')
          throw {
            code: 'install-failed',
            message: 'Removing the agent from HV-B failed (1603).',
            hint: 'Remove it in Programs and Features.',
          };
        return {
          computerName: 'HV-A',
          removedVersion: null,
          removedRules: 0,
          removedFiles: [],
          message: 'HV-A: no agent was installed.',
        };
      },
    });
    const install = useInstallStore();
    await install.rollback('sA');
    await install.rollback('sB');
    expect(client.callsOf('rollback')).toEqual([{ sessionId: 'sA' }, { sessionId: 'sB' }]);
    expect(install.rollbacks.sA).toMatchObject({
      state: 'done',
      outcome: { message: 'HV-A: no agent was installed.' },
    });
    expect(install.rollbacks.sB).toMatchObject({
      state: 'error',
      error: { code: 'install-failed', hint: 'Remove it in Programs and Features.' },
    });
  });
});

describe('install resume store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  const interrupted: ResumableJob = {
    jobId: 'job-old',
    kind: 'install',
    startedAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:30Z',
    version: '3.2.1',
    hosts: [
      {
        computerName: 'HV-A',
        address: '10.0.0.21',
        port: 22,
        username: 'Administrator',
        completed: ['upload'],
      },
      { computerName: 'HV-B', address: '10.0.0.22', port: 22, username: 'Administrator', completed: [] },
    ],
    needsPassword: true,
  };

  it('asks for the password, resumes, and shows the job on the Install step', async () => {
    const client = fakeClient({
      resumableJobs: () => [interrupted],
      resumeJob: () => ({ jobId: 'job-new', kind: 'install' }),
      sessions: () => [
        {
          sessionId: 'sA',
          address: '10.0.0.21',
          port: 22,
          username: 'Administrator',
          fingerprint: 'SHA256:x',
          newlyPinned: false,
          computerName: 'HV-A',
          osCaption: '',
          isAdmin: true,
        },
        {
          sessionId: 'sB',
          address: '10.0.0.22',
          port: 22,
          username: 'Administrator',
          fingerprint: 'SHA256:y',
          newlyPinned: false,
          computerName: 'HV-B',
          logon: 'password',
          osCaption: '',
          isAdmin: true,
        },
      ],
      job: () => ({ ...done(false), id: 'job-new' }),
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    expect(resume.offered?.jobId).toBe('job-old');

    await resume.resume();
    expect(resume.error?.message).toMatch(/password of Administrator/);
    expect(client.callsOf('resumeJob')).toEqual([]);

    resume.account.password = 'secret';
    await resume.resume();
    expect(client.callsOf('resumeJob')).toEqual([{ jobId: 'job-old', password: 'secret' }]);
    expect(resume.account.password).toBe('');
    expect(resume.offered).toBeNull();
    expect(useWizardStore().step.id).toBe('install');
    await new Promise((r) => setTimeout(r, 0));
    expect(useInstallStore().job?.id).toBe('job-new');
  });

  it('discards an interrupted installation, or stops asking in this window', async () => {
    const client = fakeClient({
      resumableJobs: () => [
        interrupted,
        { ...interrupted, jobId: 'job-older', updatedAt: '2024-12-31T00:00:00Z' },
      ],
      discardJob: () => ({}),
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    await resume.discard();
    expect(client.callsOf('discardJob')).toEqual([{ jobId: 'job-old' }]);
    expect(resume.offered?.jobId).toBe('job-older');
    resume.later();
    expect(resume.offered).toBeNull();
  });
});
