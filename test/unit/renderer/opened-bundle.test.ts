/**
 * A bundle opened with Twinlock in the desktop app (double-click, File › Open bundle…): the page
 * takes it from the shell, reads it at once on the Pair step, and before it keeps it for that step
 * and says so.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bundle, MenuCommand, PairProposal } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useBundleStore } from '../../../renderer/src/stores/bundle';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { STEPS, useWizardStore } from '../../../renderer/src/stores/wizard';
import { fakeClient } from './fake-client';

const bundle: Bundle = {
  format: 'twinlock-bundle/1',
  createdAt: '2026-01-02T03:04:05.000Z',
  pair: {
    name: 'SITE-B',
    level: 2,
    links: [{ localNic: 'SYNC1', remoteNic: 'SYNC1', localAddress: '10.9.0.1', remoteAddress: '10.9.0.2' }],
    witness: { kind: 'host', address: 'w1' },
    vms: ['SQL01'],
  },
  hosts: [
    { role: 'primary', address: '10.0.0.1', port: 22, fingerprint: 'SHA256:x', computerName: 'A' },
    { role: 'secondary', address: '10.0.0.2', port: 22, fingerprint: 'SHA256:y', computerName: 'B' },
  ],
  agent: { version: '3.2.1', sha256: 'a'.repeat(64) },
  signature: { algorithm: 'ed25519', publicKey: 'k', value: 'v' },
};

const proposal: PairProposal = {
  config: {
    name: 'PROPOSED',
    level: 3,
    primary: 'sA',
    secondary: 'sB',
    links: [
      { localNic: 'SYNC1', remoteNic: 'SYNC1', localAddress: '10.10.1.21', remoteAddress: '10.10.1.22' },
    ],
    witness: { kind: 'host', address: 'w1' },
    vms: ['SQL01'],
  },
  nics: [[], []],
  vms: [{ name: 'SQL01', state: 'Running', memoryBytes: 1 }],
};

/** A desktop client whose shell holds `opened`, in order. */
function desktop(opened: Array<{ name: string; text: string }>, failure?: unknown) {
  const client = {
    ...fakeClient({ readBundle: () => bundle }),
    takeOpenedBundle: vi.fn(async () => {
      if (failure !== undefined) throw failure;
      return opened.shift() ?? null;
    }),
  };
  setApiClient(client);
  return client;
}

const atStep = (id: string) => {
  useWizardStore().index = STEPS.findIndex((s) => s.id === id);
};

beforeEach(() => setActivePinia(createPinia()));

describe('a bundle opened with Twinlock', () => {
  it('waits for the Pair step before it, says so, and is read there', async () => {
    const client = desktop([{ name: 'SITE-B.twinlock.json', text: '{"site":"B"}' }]);
    atStep('discover');
    const bundles = useBundleStore();
    await bundles.takeOpened();
    expect(client.callsOf('readBundle')).toEqual([]);
    expect(usePairStore().menuNotice).toEqual({
      type: 'info',
      title: 'SITE-B.twinlock.json is open.',
      text: 'Its settings fill the Pair step, once both servers are connected, verified and have the agent.',
    });
    usePairStore().proposal = proposal;
    atStep('pair');
    await bundles.useWaiting();
    expect(client.callsOf('readBundle')).toEqual([{ text: '{"site":"B"}', name: 'SITE-B.twinlock.json' }]);
    expect(bundles.used?.name).toBe('SITE-B.twinlock.json');
    expect(usePairStore().name).toBe('SITE-B');
    expect(bundles.waiting).toBeNull();
  });

  it('is read at once on the Pair step, the last one opened counting', async () => {
    const client = desktop([
      { name: 'old.twinlock.json', text: 'OLD' },
      { name: 'new.twinlock.json', text: 'NEW' },
    ]);
    usePairStore().proposal = proposal;
    atStep('pair');
    await useBundleStore().takeOpened();
    expect(client.callsOf('readBundle')).toEqual([{ text: 'NEW', name: 'new.twinlock.json' }]);
    expect(usePairStore().menuNotice).toBeNull();
  });

  it('says what went wrong when the shell could not read the file', async () => {
    desktop([], {
      code: 'not-found',
      message: 'Twinlock could not open gone.twinlock.json: the file is not there any more.',
      hint: 'Open the bundle again from where it was saved (File › Open bundle…).',
    });
    await useBundleStore().takeOpened();
    expect(usePairStore().menuNotice).toEqual({
      type: 'error',
      title: 'Twinlock could not open gone.twinlock.json: the file is not there any more.',
      text: 'Open the bundle again from where it was saved (File › Open bundle…).',
    });
  });

  it('is taken when the shell announces it, and a browser has no shell to ask', async () => {
    let menu: ((command: MenuCommand) => void) | null = null;
    const client = {
      ...desktop([]),
      onMenu: vi.fn((listener: (command: MenuCommand) => void) => {
        menu = listener;
        return () => undefined;
      }),
    };
    setApiClient(client);
    const openBundle = vi.fn(async () => undefined);
    usePairStore().followMenu({ openBundle });
    menu!('open-bundle');
    expect(openBundle).toHaveBeenCalledTimes(1);

    const browser = fakeClient({});
    setApiClient(browser);
    await useBundleStore().takeOpened();
    expect(browser.calls).toEqual([]);
  });
});
