/**
 * The interrupted job offered at start, against a fake engine: the most recent installation or
 * pairing, its steps in words; a pairing resumed with the password (and at Level 1 the cloud
 * witness key when its quorum is still to be set), its sessions picked up primary first, and
 * followed on the Review step with the configuration it makes; discarded, or not asked again.
 */
import { createPinia, setActivePinia } from 'pinia';
import { hostArgument } from '../../../engine/api/rules';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HostSession, JobSnapshotOf, ResumableJob } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useApplyStore } from '../../../renderer/src/stores/apply';
import { useDiscoveryStore } from '../../../renderer/src/stores/discovery';
import { useDraftStore } from '../../../renderer/src/stores/draft';
import { useHostsStore } from '../../../renderer/src/stores/hosts';
import { useInstallStore } from '../../../renderer/src/stores/install';
import { doneWords, needsCloudWitnessKey, useJobResumeStore } from '../../../renderer/src/stores/job-resume';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { fakeClient } from './fake-client';

const link = {
  localNic: 'SYNC1',
  remoteNic: 'SYNC1',
  localAddress: '172.30.0.1',
  remoteAddress: '172.30.0.2',
  prefixLength: 30,
};

const host = (name: string, address: string, completed: string[]) => ({
  computerName: name,
  address,
  port: 22,
  username: 'Administrator',
  completed,
});

const installJob: ResumableJob = {
  jobId: 'job-install',
  kind: 'install',
  startedAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:02:00Z',
  version: '3.2.1',
  hosts: [host('HV-A', '10.0.0.21', ['upload', 'verify']), host('HV-B', '10.0.0.22', [])],
  needsPassword: true,
};

const pairJob: ResumableJob = {
  jobId: 'job-pair',
  kind: 'pair',
  startedAt: '2025-01-02T00:00:00Z',
  updatedAt: '2025-01-02T00:01:00Z',
  version: '3.2.1',
  pair: {
    name: 'HV-PAIR',
    level: 3,
    links: [link],
    witness: { kind: 'file-share', address: '\\\\FILES\\twinlock' },
    vms: ['SQL01', 'WEB01'],
  },
  hosts: [
    host('HV-A', '10.0.0.21', [
      'address:SYNC1|172.30.0.1',
      'links',
      'create-sent',
      'create',
      'protect:SQL01',
      'protect:WEB01',
      'protect',
    ]),
    host('HV-B', '10.0.0.22', ['address:SYNC1|172.30.0.2', 'join-sent', 'join']),
  ],
  needsPassword: true,
};

const level1Job: ResumableJob = {
  ...pairJob,
  jobId: 'job-l1',
  version: 'Failover Clustering',
  pair: {
    name: 'HV-PAIR',
    level: 1,
    links: [link],
    witness: { kind: 'cloud', address: 'twinlockwitness' },
    vms: ['SQL01'],
    cluster: { name: 'HV-CLU', address: '10.0.0.30' },
  },
  hosts: [
    host('HV-A', '10.0.0.21', ['primary/address/0', 'primary/cluster']),
    host('HV-B', '10.0.0.22', ['secondary/address/0']),
  ],
};

const session = (id: string, name: string, address: string): HostSession => ({
  sessionId: id,
  address,
  port: 22,
  username: 'Administrator',
  fingerprint: `SHA256:${id}`,
  newlyPinned: false,
  computerName: name,
  osCaption: '',
  isAdmin: true,
  logon: 'password',
});

/** The resumed pairing, followed: still running on both servers. */
const running: JobSnapshotOf<'pair'> = {
  id: 'job-resumed',
  kind: 'pair',
  state: 'running',
  startedAt: '2025-01-02T00:05:00Z',
  finishedAt: null,
  percent: 40,
  message: 'Mirroring storage',
  hosts: {
    sA: {
      label: 'HV-A',
      state: 'running',
      step: 'mirroring',
      percent: 40,
      message: 'Mirroring storage: 40%',
    },
    sB: {
      label: 'HV-B',
      state: 'running',
      step: 'mirroring',
      percent: 40,
      message: 'Mirroring storage: 40%',
    },
  },
  error: null,
  result: null,
};

beforeEach(() => {
  setActivePinia(createPinia());
});

describe('the interrupted job offered at start', () => {
  it('offers the most recent one of either kind, and the next once it is discarded or put off', async () => {
    const client = fakeClient({
      resumableJobs: () => [
        installJob,
        pairJob,
        { ...installJob, jobId: 'job-oldest', updatedAt: '2024-12-01T00:00:00Z' },
      ],
      discardJob: () => ({}),
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    expect(resume.offered?.jobId).toBe('job-pair');
    await resume.discard();
    expect(client.callsOf('discardJob')).toEqual([{ jobId: 'job-pair' }]);
    expect(resume.offered?.jobId).toBe('job-install');
    resume.later();
    expect(resume.offered?.jobId).toBe('job-oldest');
  });

  it("says each server's steps in words, for an installation and for a pairing at each level", () => {
    expect(doneWords(installJob, installJob.hosts[0]!.completed)).toEqual([
      'package uploaded',
      'package checked',
    ]);
    // A call announced and confirmed is said once; the VMs protected are named.
    expect(doneWords(pairJob, pairJob.hosts[0]!.completed)).toEqual([
      '1 sync link address set',
      'sync links tested',
      'pair created',
      'SQL01, WEB01 protected',
    ]);
    expect(doneWords(pairJob, pairJob.hosts[1]!.completed)).toEqual([
      '1 sync link address set',
      'joined the pair',
    ]);
    // Stopped after asking the primary to create the pair, before it answered.
    expect(doneWords(pairJob, ['links', 'create-sent'])).toEqual([
      'sync links tested',
      'creating the pair (not confirmed)',
    ]);
    expect(doneWords(level1Job, level1Job.hosts[0]!.completed)).toEqual([
      '1 sync link address set',
      'failover cluster made',
    ]);
    expect(
      doneWords(level1Job, [
        'primary/cluster',
        'primary/quorum',
        'primary/role/0',
        'primary/role/1',
        'primary/wait',
      ]),
    ).toEqual(['failover cluster made', 'witness set', '2 VMs made cluster roles', 'VM roles online']);
    expect(hostArgument({ address: '10.0.0.21', port: 22 })).toBe('10.0.0.21');
    expect(hostArgument({ address: '10.0.0.21', port: 2222 })).toBe('10.0.0.21:2222');
    expect(hostArgument({ address: 'fd00::1', port: 22 })).toBe('[fd00::1]:22');
  });

  it('resumes a pairing with the password and follows it on the Review step, primary first', async () => {
    const client = fakeClient({
      resumableJobs: () => [pairJob],
      resumeJob: () => ({ jobId: 'job-resumed', kind: 'pair' }),
      // The engine lists the reopened sessions in any order.
      sessions: () => [session('sB', 'HV-B', '10.0.0.22'), session('sA', 'HV-A', '10.0.0.21')],
      job: () => running,
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    expect(resume.needsKey).toBe(false);

    await resume.resume();
    expect(resume.error?.message).toBe('Enter the password of Administrator to reconnect to the servers.');
    expect(client.callsOf('resumeJob')).toEqual([]);

    resume.account.password = 'secret';
    await resume.resume();
    expect(resume.error).toBeNull();
    expect(client.callsOf('resumeJob')).toEqual([{ jobId: 'job-pair', password: 'secret' }]);
    expect(resume.account.password).toBe('');
    expect(resume.offered).toBeNull();
    expect(useHostsStore().sessionIds).toEqual(['sA', 'sB']);
    // The walk began in the window that was closed: no time is claimed for it.
    expect(useHostsStore().startedAt).toBeNull();
    expect(useWizardStore().step.id).toBe('apply');
    const apply = useApplyStore();
    // What the last screen's bundle exports: the journal's pair, on the reopened sessions.
    expect(apply.applied).toEqual({ ...pairJob.pair, primary: 'sA', secondary: 'sB' });
    await new Promise((r) => setTimeout(r, 0));
    expect(apply.state).toBe('running');
    expect(apply.job?.id).toBe('job-resumed');
    expect(apply.hostViews.map((v) => v.sessionId)).toEqual(['sA', 'sB']);
    // Not the installation's screen.
    expect(useInstallStore().job).toBeNull();
  });

  it('a resumed pairing taken back in full: Review says to pair again from the Pair screen', async () => {
    const rolledBack: JobSnapshotOf<'pair'> = {
      ...running,
      state: 'cancelled',
      finishedAt: '2025-01-02T00:06:00Z',
      error: {
        code: 'cancelled',
        message:
          'The interrupted pairing of HV-PAIR could not be finished (HV-A reports it degraded); Twinlock rolled it back: HV-A and HV-B are not paired.',
        hint: 'Pair them again when ready (twinlock pair 10.0.0.21 10.0.0.22 --name HV-PAIR).',
        detail: { step: 'resume', undo: { complete: true, remains: [] } },
      },
    };
    let answer = rolledBack;
    const client = fakeClient({
      resumableJobs: () => [{ ...pairJob, needsPassword: false }],
      resumeJob: () => ({ jobId: 'job-resumed', kind: 'pair' }),
      sessions: () => [session('sA', 'HV-A', '10.0.0.21'), session('sB', 'HV-B', '10.0.0.22')],
      job: () => answer,
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    await resume.resume();
    const apply = useApplyStore();
    await new Promise((r) => setTimeout(r, 0));
    expect(apply.state).toBe('error');
    expect(apply.resumed).toBe(true);
    expect(apply.error?.message).toContain('rolled it back');
    expect(apply.error?.hint).toMatch(
      /^Nothing of the pair is left on either server\. To pair them again, go Back to the Pair screen/,
    );
    expect(useWizardStore().blockedBecause).toBe('Go Back to pair the servers again.');

    // A server that did not answer: nothing changed, offered again at the next start.
    answer = {
      ...rolledBack,
      state: 'failed',
      error: {
        code: 'unreachable',
        message: 'Twinlock cannot resume HV-PAIR yet: HV-B does not answer.',
        hint: 'Nothing was changed. When both servers answer, resume again (twinlock pair --resume).',
        detail: { step: 'resume', resumable: true },
      },
    };
    await apply.follow('job-resumed', undefined, { resumed: true });
    expect(apply.error?.hint).toMatch(/open Twinlock again: it offers to resume the pairing at start/);

    // A pairing applied here again is not a resumed one: its errors are the engine's as they are.
    answer = rolledBack;
    await apply.follow('job-resumed');
    expect(apply.resumed).toBe(false);
    expect(apply.error?.hint).toMatch(/^Pair them again when ready/);
    expect(useWizardStore().blockedBecause).toBe('Apply the configuration to go on.');
  });

  it("takes over from a draft waiting on Connect for the same servers: the job's screen, primary first", async () => {
    const client = fakeClient({
      resumableJobs: () => [{ ...pairJob, needsPassword: false }],
      resumeJob: () => ({ jobId: 'job-resumed', kind: 'pair' }),
      sessions: () => [session('sA', 'HV-A', '10.0.0.21'), session('sB', 'HV-B', '10.0.0.22')],
      job: () => running,
    });
    setApiClient(client);
    // The draft picked the servers (in another order) and waits for them to be connected again.
    const discovery = useDiscoveryStore();
    discovery.restoreHost('10.0.0.22', 22, '10.0.0.22');
    discovery.restoreHost('10.0.0.21', 22, '10.0.0.21');
    const draft = useDraftStore();
    draft.pending = { step: 'apply', servers: ['10.0.0.22:22', '10.0.0.21:22'], savedAt: '' };
    const resume = useJobResumeStore();
    await resume.load();
    await resume.resume();
    expect(draft.pending).toBeNull();
    expect(useHostsStore().sessionIds).toEqual(['sA', 'sB']);
    expect(useWizardStore().step.id).toBe('apply');
  });

  it('leaves picks of other servers as they are', async () => {
    const client = fakeClient({
      resumableJobs: () => [{ ...pairJob, needsPassword: false }],
      resumeJob: () => ({ jobId: 'job-resumed', kind: 'pair' }),
      sessions: () => [session('sA', 'HV-A', '10.0.0.21'), session('sB', 'HV-B', '10.0.0.22')],
      job: () => running,
    });
    setApiClient(client);
    const discovery = useDiscoveryStore();
    discovery.restoreHost('10.0.0.99', 22, 'HV-OTHER');
    await useJobResumeStore().load();
    await useJobResumeStore().resume();
    expect(discovery.selected).toEqual(['10.0.0.99:22']);
  });

  it('says so when resuming the pairing fails, and offers it again', async () => {
    const client = fakeClient({
      resumableJobs: () => [{ ...pairJob, needsPassword: false }],
      resumeJob: () => {
        throw {
          code: 'unreachable',
          message: 'HV-B does not answer on port 22.',
          hint: 'Check that HV-B is on, then resume again.',
        };
      },
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    await resume.resume();
    expect(client.callsOf('resumeJob')).toEqual([{ jobId: 'job-pair' }]);
    expect(resume.state).toBe('error');
    expect(resume.error?.message).toContain('HV-B does not answer');
    expect(resume.offered?.jobId).toBe('job-pair');
    expect(useWizardStore().step.id).toBe('discover');
  });

  it('asks a Level 1 pairing for the cloud witness key while its quorum is still to be set', async () => {
    const client = fakeClient({
      resumableJobs: () => [level1Job],
      resumeJob: () => ({ jobId: 'job-resumed', kind: 'pair' }),
      sessions: () => [session('sA', 'HV-A', '10.0.0.21'), session('sB', 'HV-B', '10.0.0.22')],
      job: () => running,
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    expect(resume.needsKey).toBe(true);
    resume.account.password = 'secret';
    await resume.resume();
    expect(resume.error?.message).toMatch(/access key of storage account twinlockwitness/);
    expect(client.callsOf('resumeJob')).toEqual([]);
    resume.cloudWitnessKey = ' key1 ';
    await resume.resume();
    expect(client.callsOf('resumeJob')).toEqual([
      { jobId: 'job-l1', password: 'secret', cloudWitnessKey: 'key1' },
    ]);
    expect(resume.cloudWitnessKey).toBe('');
    expect(useWizardStore().step.id).toBe('apply');

    // Once the witness is set, the key is not asked for again.
    const quorumSet = {
      ...level1Job,
      hosts: [host('HV-A', '10.0.0.21', ['primary/cluster', 'primary/quorum']), level1Job.hosts[1]!],
    };
    expect(needsCloudWitnessKey(quorumSet)).toBe(false);
    expect(needsCloudWitnessKey(installJob)).toBe(false);
  });

  it('resumes an installation on the Install step', async () => {
    const client = fakeClient({
      resumableJobs: () => [installJob],
      resumeJob: () => ({ jobId: 'job-install-2', kind: 'install' }),
      sessions: () => [session('sA', 'HV-A', '10.0.0.21'), session('sB', 'HV-B', '10.0.0.22')],
      job: () => ({ id: 'job-install-2', kind: 'install', state: 'running', hosts: {} }),
    });
    setApiClient(client);
    const resume = useJobResumeStore();
    await resume.load();
    resume.account.password = 'secret';
    await resume.resume();
    expect(client.callsOf('resumeJob')).toEqual([{ jobId: 'job-install', password: 'secret' }]);
    expect(useWizardStore().step.id).toBe('install');
    expect(useApplyStore().job).toBeNull();
    expect(useApplyStore().applied).toBeNull();
  });
});
