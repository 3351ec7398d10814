/**
 * The wizard's trust prompts: the Install screen's publisher (confirm before the first install)
 * and the Pair screen's bundle signer (“Trust this signer?”, then the settings fill).
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Bundle, PairProposal } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useBundleStore } from '../../../renderer/src/stores/bundle';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { usePublisherStore } from '../../../renderer/src/stores/publisher';
import { fakeClient } from './fake-client';

const THUMB = '30F6A17774E263D39BD1CE41E5EA012232EF1DCF';
const FP = `SHA256:${'Q'.repeat(43)}`;

beforeEach(() => setActivePinia(createPinia()));

describe('the publisher prompt', () => {
  it('asks before the first install, trusts by the thumbprint shown, then asks no more', async () => {
    let trusted = false;
    const client = fakeClient({
      agentPackage: () => ({
        name: 'TwinlockAgent',
        version: '3.2.1',
        dir: '/p',
        publisher: { subject: 'CN=Twinlock', thumbprint: THUMB },
        publisherTrusted: trusted,
      }),
      trustPublisher: () => {
        trusted = true;
        return { thumbprint: THUMB, subject: 'CN=Twinlock', addedAt: 'now' };
      },
    });
    setApiClient(client);
    const publisher = usePublisherStore();
    await publisher.load();
    expect(publisher.needsConfirmation()).toBe(true);
    expect(publisher.pending).toEqual({ subject: 'CN=Twinlock', thumbprint: THUMB, version: '3.2.1' });
    expect(await publisher.trust()).toBe(true);
    expect(client.callsOf('trustPublisher')).toEqual([{ thumbprint: THUMB }]);
    expect(publisher.pending).toBeNull();
    expect(publisher.needsConfirmation()).toBe(false);
  });

  it('lets a second caller wait for the read already under way (Install pressed as the screen opens)', async () => {
    let release: () => void = () => undefined;
    const client = fakeClient({
      agentPackage: () =>
        new Promise((resolve) => {
          release = () =>
            resolve({
              name: 'TwinlockAgent',
              version: '3.2.1',
              dir: '/p',
              publisher: { subject: 'CN=Twinlock', thumbprint: THUMB },
              publisherTrusted: false,
            });
        }),
    });
    setApiClient(client);
    const publisher = usePublisherStore();
    const first = publisher.load();
    const second = publisher.load();
    release();
    await second;
    expect(publisher.needsConfirmation()).toBe(true);
    await first;
    expect(client.callsOf('agentPackage')).toHaveLength(1);
  });

  it('opens from the engine’s publisher-untrusted refusal, and “Don’t trust” trusts nothing', () => {
    const client = fakeClient({});
    setApiClient(client);
    const publisher = usePublisherStore();
    publisher.askFrom({
      code: 'publisher-untrusted',
      message: 'x',
      detail: { subject: 'CN=Evil Corp', thumbprint: THUMB, version: '9.9.9' },
    });
    expect(publisher.pending).toEqual({ subject: 'CN=Evil Corp', thumbprint: THUMB, version: '9.9.9' });
    publisher.dismiss();
    expect(publisher.pending).toBeNull();
    expect(client.calls).toEqual([]);
  });
});

const bundle: Bundle = {
  format: 'twinlock-bundle/1',
  createdAt: '2026-01-02T03:04:05.000Z',
  pair: {
    name: 'SITE-B',
    level: 2,
    links: [{ localNic: 'SYNC2', remoteNic: 'SYNC2', localAddress: '10.9.0.1', remoteAddress: '10.9.0.2' }],
    witness: null,
    vms: ['SQL01', 'GONE01'],
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
      { localNic: 'SYNC2', remoteNic: 'SYNC2', localAddress: '10.10.2.21', remoteAddress: '10.10.2.22' },
    ],
    witness: { kind: 'host', address: 'w1' },
    vms: ['SQL01'],
  },
  nics: [[], []],
  vms: [{ name: 'SQL01', state: 'Running', memoryBytes: 1 }],
};

describe('the bundle signer prompt', () => {
  it('asks about an unknown signer, trusts it with the fingerprint shown, then fills the settings', async () => {
    let trusted = false;
    const client = fakeClient({
      readBundle: () => {
        if (!trusted)
          throw {
            code: 'bundle-untrusted',
            message: `signed by ${FP}`,
            detail: { fingerprint: FP, publicKey: 'k' },
          };
        return bundle;
      },
      trustKey: () => {
        trusted = true;
        return { fingerprint: FP, publicKey: 'k', label: 'signer of SITE-B', addedAt: 'now', own: false };
      },
    });
    setApiClient(client);
    const pair = usePairStore();
    pair.proposal = proposal;
    pair.name = 'PROPOSED';
    pair.noWitnessAccepted = true;
    const store = useBundleStore();
    const file = new File([JSON.stringify(bundle)], 'site-b.twinlock.json');
    await store.open(file);
    expect(store.pending).toEqual({
      fingerprint: FP,
      name: 'site-b.twinlock.json',
      text: JSON.stringify(bundle),
    });
    expect(pair.name).toBe('PROPOSED');

    await store.trust();
    expect(client.callsOf('trustKey')).toEqual([
      { text: JSON.stringify(bundle), name: 'site-b.twinlock.json', fingerprint: FP },
    ]);
    expect(store.used?.name).toBe('site-b.twinlock.json');
    expect(pair.name).toBe('SITE-B');
    expect(pair.level).toBe(2);
    expect(pair.vms).toEqual(['SQL01']);
    expect(pair.links.map((l) => l.localNic)).toEqual(['SYNC2']);
    expect(pair.links[0]?.localAddress).toBe('10.10.2.21');
    // No witness in the bundle: this admin must still accept that, here.
    expect(pair.witnessMode).toBe('none');
    expect(pair.noWitnessAccepted).toBe(false);
    expect(store.used?.notes.join(' ')).toContain('GONE01');
  });

  it('shows any other refusal and changes nothing', async () => {
    setApiClient(
      fakeClient({
        readBundle: () => {
          throw { code: 'bundle-invalid', message: 'not JSON' };
        },
      }),
    );
    const pair = usePairStore();
    pair.name = 'KEEP';
    const store = useBundleStore();
    await store.open(new File(['x'], 'x.json'));
    expect(store.error?.code).toBe('bundle-invalid');
    expect(store.pending).toBeNull();
    expect(pair.name).toBe('KEEP');
  });
});
