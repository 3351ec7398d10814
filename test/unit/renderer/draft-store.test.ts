/**
 * The wizard's draft against a fake engine: what it keeps (step, picks, the Pair screen's choices,
 * the jobs followed) and never a password; a window opened again lands on the draft's step with
 * its choices put back over a fresh proposal.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PairProposal, WizardDraft } from '../../../engine/api';
import { useDraftStore } from '../../../renderer/src/stores/draft';
import { useHostsStore } from '../../../renderer/src/stores/hosts';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { withTwoSessions } from './two-sessions';

const proposal: PairProposal = {
  config: {
    name: 'HV-PAIR',
    level: 3,
    primary: 'sA',
    secondary: 'sB',
    links: [
      {
        localNic: 'SYNC1',
        remoteNic: 'SYNC1',
        localAddress: '172.30.0.1',
        remoteAddress: '172.30.0.2',
        prefixLength: 30,
      },
    ],
    witness: null,
    vms: ['SQL01', 'APP01'],
  },
  nics: [[], []],
  vms: [
    { name: 'SQL01', state: 'Running', memoryBytes: 1 },
    { name: 'APP01', state: 'Running', memoryBytes: 1 },
  ],
  witnessChosen: false,
  levels: [],
};

beforeEach(() => setActivePinia(createPinia()));

describe('the wizard draft', () => {
  it('keeps the step, the picks and the Pair choices, never the password typed', async () => {
    await withTwoSessions({ proposePair: (() => proposal) as never });
    const pair = usePairStore();
    await pair.propose();
    pair.name = 'SITE-B';
    pair.vms = ['SQL01'];
    useWizardStore().resumeAt('pair');
    const draft = useDraftStore().snapshot();
    expect(draft).toMatchObject({
      step: 'pair',
      servers: ['10.0.0.21:22', '10.0.0.22:22'],
      pair: { name: 'SITE-B', vms: ['SQL01'], witnessMode: null },
    });
    expect(JSON.stringify(draft)).not.toContain('secret');
  });

  it('opened again: the draft’s step, with its choices over a fresh proposal', async () => {
    const kept: WizardDraft = {
      step: 'pair',
      servers: ['10.0.0.21:22', '10.0.0.22:22'],
      pair: {
        name: 'SITE-B',
        level: 3,
        links: proposal.config.links,
        witnessMode: 'none',
        witnessAddresses: { host: '', 'file-share': '', disk: '', cloud: '' },
        witnessPort: '',
        noWitnessAccepted: true,
        vms: ['SQL01'],
      },
      savedAt: '2026-12-02T15:00:00.000Z',
    };
    const session = (id: string, address: string, name: string) => ({
      sessionId: id,
      address,
      port: 22,
      username: 'Administrator',
      fingerprint: `SHA256:${id.repeat(43).slice(0, 43)}`,
      newlyPinned: false,
      computerName: name,
      osCaption: 'Windows Server 2022',
      isAdmin: true,
    });
    const saved: unknown[] = [];
    const { fakeClient } = await import('./fake-client');
    const { setApiClient } = await import('../../../renderer/src/api/client');
    setApiClient(
      fakeClient({
        wizardDraft: (() => kept) as never,
        saveWizardDraft: ((input: unknown) => {
          saved.push(input);
          return {};
        }) as never,
        // The engine lists them in another order than they were picked.
        sessions: (() => [session('sB', '10.0.0.22', 'HV-B'), session('sA', '10.0.0.21', 'HV-A')]) as never,
        status: (() => ({ nodeId: 'n', role: 'none', pair: null, vms: [] })) as never,
        proposePair: (() => proposal) as never,
      }),
    );
    await useDraftStore().resume();
    expect(useWizardStore().step.id).toBe('pair');
    expect(useHostsStore().sessionIds).toEqual(['sA', 'sB']);
    const pair = usePairStore();
    expect([pair.name, pair.vms, pair.witnessMode, pair.noWitnessAccepted]).toEqual([
      'SITE-B',
      ['SQL01'],
      'none',
      true,
    ]);
  });

  it('after Twinlock was closed (no sessions left): the servers picked again, Connect says so, then on to the step', async () => {
    const kept: WizardDraft = {
      step: 'pair',
      servers: ['10.0.0.21:22', '10.0.0.22:22'],
      installJobId: 'job-gone',
      pair: {
        name: 'SITE-B',
        level: 3,
        links: proposal.config.links,
        witnessMode: 'none',
        witnessAddresses: { host: '', 'file-share': '', disk: '', cloud: '' },
        witnessPort: '',
        noWitnessAccepted: true,
        vms: ['SQL01'],
      },
      savedAt: '2026-12-02T15:00:00.000Z',
    };
    const saved: unknown[] = [];
    const { fakeClient } = await import('./fake-client');
    const { setApiClient } = await import('../../../renderer/src/api/client');
    const connect = (input: { address: string }) => ({
      sessionId: input.address.endsWith('21') ? 'sA' : 'sB',
      address: input.address,
      port: 22,
      username: 'Administrator',
      fingerprint: `SHA256:${(input.address.endsWith('21') ? 'A' : 'B').repeat(43)}`,
      newlyPinned: false,
      computerName: input.address.endsWith('21') ? 'HV-A' : 'HV-B',
      osCaption: 'Windows Server 2022',
      isAdmin: true,
    });
    setApiClient(
      fakeClient({
        wizardDraft: (() => kept) as never,
        saveWizardDraft: ((input: unknown) => {
          saved.push(input);
          return {};
        }) as never,
        sessions: (() => []) as never,
        connect: connect as never,
        // The install job went with the closed Twinlock; the agents answer, so it had finished.
        job: (() => {
          throw { code: 'not-found', message: 'No such job.' };
        }) as never,
        status: (() => ({ nodeId: 'n', role: 'none', pair: null, vms: [] })) as never,
        proposePair: (() => proposal) as never,
      }),
    );
    const draft = useDraftStore();
    await draft.resume();
    const wizard = useWizardStore();
    expect(wizard.step.id).toBe('connect');
    expect(draft.pending?.step).toBe('pair');
    const hosts = useHostsStore();
    expect(hosts.targets.map((h) => h.address)).toEqual(['10.0.0.21', '10.0.0.22']);
    // Waiting for the servers, the draft is not saved over.
    await draft.save();
    expect(saved).toEqual([]);
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'typed-again' });
    await hosts.connectAll();
    await draft.takePending(false);
    expect(wizard.step.id).toBe('pair');
    const { useInstallStore } = await import('../../../renderer/src/stores/install');
    expect(useInstallStore().canContinue).toBe(true);
    expect(usePairStore().name).toBe('SITE-B');
    await draft.save();
    expect(JSON.stringify(saved)).not.toContain('typed-again');
    expect(saved).toHaveLength(1);
  });
});
