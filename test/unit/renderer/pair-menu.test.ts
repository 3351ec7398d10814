/**
 * File › Export bundle… in the desktop app: the menu only sends a command; the page's pair store
 * answers with its current configuration through shell:saveBundleAs, or says there is none yet.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExportBundleResult, MenuCommand, PairConfig, PairProposal } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { fakeClient } from './fake-client';

const proposal: PairProposal = {
  config: {
    name: 'PAIR-01',
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

/** A desktop client: the fake engine plus Save as and the menu's channel. */
function desktopClient(save: (config: PairConfig) => Promise<{ path: string } | null>) {
  const saveAs = (config: PairConfig) => save(config) as Promise<ExportBundleResult | null>;
  let menu: ((command: MenuCommand) => void) | null = null;
  const stop = vi.fn();
  const client = {
    ...fakeClient({}),
    saveBundleAs: vi.fn(saveAs),
    onMenu: vi.fn((listener: (command: MenuCommand) => void) => {
      menu = listener;
      return stop;
    }),
  };
  setApiClient(client);
  return { client, stop, pick: (command: MenuCommand) => menu?.(command) };
}

function completePair() {
  const pair = usePairStore();
  pair.proposal = proposal;
  pair.name = 'PAIR-01';
  pair.links = proposal.config.links.map((l) => ({ ...l }));
  pair.witnessMode = 'host';
  pair.witnessAddress = 'w1';
  pair.vms = ['SQL01'];
  return pair;
}

beforeEach(() => setActivePinia(createPinia()));

describe('File › Export bundle…', () => {
  it('saves the pair store’s current configuration when the menu asks', async () => {
    const { client, pick, stop } = desktopClient(async () => ({ path: '/home/admin/PAIR-01.twinlock.json' }));
    const pair = completePair();
    const unfollow = pair.followMenu();
    pick('export-bundle');
    await vi.waitFor(() => expect(pair.menuNotice).not.toBeNull());
    expect(client.saveBundleAs).toHaveBeenCalledWith({
      name: 'PAIR-01',
      level: 3,
      primary: 'sA',
      secondary: 'sB',
      links: proposal.config.links,
      witness: { kind: 'host', address: 'w1' },
      vms: ['SQL01'],
    });
    expect(pair.menuNotice).toEqual({
      type: 'success',
      title: 'Bundle exported.',
      text: '/home/admin/PAIR-01.twinlock.json',
    });
    pair.dismissMenuNotice();
    expect(pair.menuNotice).toBeNull();
    unfollow();
    expect(stop).toHaveBeenCalled();
  });

  it('says there is no pair yet before the Pair step, and asks nothing', async () => {
    const { client } = desktopClient(async () => null);
    const pair = usePairStore();
    await pair.exportFromMenu();
    expect(pair.menuNotice).toMatchObject({ type: 'info', title: 'There is no pair to export yet.' });
    expect(client.saveBundleAs).not.toHaveBeenCalled();
  });

  it('names the first problem of an incomplete configuration', async () => {
    const { client } = desktopClient(async () => null);
    const pair = completePair();
    pair.name = '';
    await pair.exportFromMenu();
    expect(pair.menuNotice).toEqual({
      type: 'info',
      title: 'The pair’s configuration is not complete yet.',
      text: 'Give the pair a name, for example PAIR-01.',
    });
    expect(client.saveBundleAs).not.toHaveBeenCalled();
  });

  it('says nothing when the admin cancels the dialog, and shows a refusal plainly', async () => {
    let answer: () => Promise<{ path: string } | null> = async () => null;
    desktopClient(() => answer());
    const pair = completePair();
    await pair.exportFromMenu();
    expect(pair.menuNotice).toBeNull();
    answer = async () => {
      throw { code: 'not-found', message: 'The session sA is closed.', hint: 'Connect again.' };
    };
    await pair.exportFromMenu();
    expect(pair.menuNotice).toEqual({
      type: 'error',
      title: 'The session sA is closed.',
      text: 'Connect again.',
    });
  });

  it('follows nothing in a browser, where there is no menu', () => {
    setApiClient(fakeClient({}));
    const pair = completePair();
    expect(() => pair.followMenu()()).not.toThrow();
  });
});
