import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiInput, HostSession } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { useDiscoveryStore } from '../../../renderer/src/stores/discovery';
import { readKeyFile, useHostsStore } from '../../../renderer/src/stores/hosts';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { newHostKey } from '../../../lab/host-key';
import { fakeClient } from './fake-client';
import type { FakeClient } from './fake-client';

/** A private key made for this run (never a key committed to the repository). */
const KEY = newHostKey().private;

const FP_A = `SHA256:${'A'.repeat(43)}`;
const FP_B = `SHA256:${'B'.repeat(43)}`;

function session(input: ApiInput<'connect'>, fingerprint: string, newlyPinned: boolean): HostSession {
  return {
    sessionId: `s-${input.address}`,
    address: input.address,
    port: input.port ?? 22,
    username: input.username,
    fingerprint,
    newlyPinned,
    computerName: input.address === '10.0.0.21' ? 'HV-A' : 'HV-B',
    osCaption: 'Microsoft Windows Server 2022 Datacenter',
    isAdmin: true,
    logon: 'password',
  };
}

/** Two servers: A has never been seen, B is already pinned. */
function twoServers(): FakeClient {
  const pinned = new Set(['10.0.0.22']);
  return fakeClient({
    connect: (input: ApiInput<'connect'>) => {
      if (input.password !== 'secret') {
        throw {
          code: 'auth-failed',
          message: `${input.address} refused the user name or password.`,
          hint: 'Check the account and its password.',
        };
      }
      const fingerprint = input.address === '10.0.0.21' ? FP_A : FP_B;
      if (!pinned.has(input.address)) {
        if (input.acceptFingerprint !== fingerprint) {
          throw {
            code: 'unknown-host-key',
            message: `Twinlock has never connected to ${input.address}.`,
            hint: 'Compare the fingerprint with the server’s key.',
            detail: { fingerprint },
          };
        }
        pinned.add(input.address);
        return session(input, fingerprint, true);
      }
      return session(input, fingerprint, false);
    },
  });
}

describe('hosts store: connecting with first-use key pinning', () => {
  let client: FakeClient;

  beforeEach(() => {
    setActivePinia(createPinia());
    client = twoServers();
    setApiClient(client);
    const discovery = useDiscoveryStore();
    expect(discovery.addHost('10.0.0.21')).toBeNull();
    expect(discovery.addHost('10.0.0.22')).toBeNull();
  });

  it('asks to compare an unknown key, then pins it on Trust', async () => {
    const hosts = useHostsStore();
    hosts.primaryAccount.username = 'Administrator';
    hosts.primaryAccount.password = 'secret';

    await hosts.connectAll();

    expect(hosts.connectionOf('10.0.0.22:22').state).toBe('done');
    const a = hosts.connectionOf('10.0.0.21:22');
    expect(a.state).toBe('error');
    expect(a.keyCheck).toEqual({ kind: 'unknown', fingerprint: FP_A, checkCommand: null });
    expect(hosts.pendingTrust).toMatchObject({ index: 0, fingerprint: FP_A });
    expect(hosts.bothConnected).toBe(false);
    // The first attempt never offers a fingerprint: the admin has not seen it yet.
    expect(client.callsOf('connect')[0]).not.toHaveProperty('acceptFingerprint');

    await hosts.trust(0);

    expect(client.callsOf('connect').at(-1)).toMatchObject({ address: '10.0.0.21', acceptFingerprint: FP_A });
    expect(hosts.connectionOf('10.0.0.21:22').session).toMatchObject({
      fingerprint: FP_A,
      newlyPinned: true,
    });
    expect(hosts.pendingTrust).toBeNull();
    expect(hosts.bothConnected).toBe(true);
    expect(hosts.sessionIds).toEqual(['s-10.0.0.21', 's-10.0.0.22']);
    expect(hosts.startedAt).toBeTypeOf('number');
  });

  it('sends the private key and its passphrase instead of a password when the account logs on with a key', async () => {
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, {
      username: 'Administrator',
      password: 'typed earlier',
      method: 'key',
      privateKey: KEY,
      keyName: 'id_ed25519',
      passphrase: 'horse',
    });
    await hosts.connectAll();
    for (const call of client.callsOf('connect')) {
      expect(call).toMatchObject({ username: 'Administrator', privateKey: KEY, passphrase: 'horse' });
      expect(call).not.toHaveProperty('password');
    }
  });

  it('reads a private key file, and says why a public key or another file is not one', async () => {
    await expect(readKeyFile(new File([KEY], 'id_ed25519'))).resolves.toEqual({ text: KEY });
    await expect(
      readKeyFile(new File(['ssh-ed25519 AAAAC3Nza admin@pc\n'], 'id_ed25519.pub')),
    ).resolves.toEqual({ problem: 'id_ed25519.pub is a public key; choose the private key without .pub.' });
    const other = await readKeyFile(new File(['PuTTY-User-Key-File-3: ssh-ed25519\n'], 'server.ppk'));
    expect('problem' in other && other.problem).toContain('PuTTY .ppk must be exported to OpenSSH first');
    const huge = await readKeyFile(new File([new Uint8Array(200_000)], 'disk.img'));
    expect('problem' in huge && huge.problem).toContain('a private key is a few kilobytes');
  });

  it('does not connect when the admin does not trust the key', async () => {
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'secret' });
    await hosts.connect(0);
    hosts.distrust(0);
    const a = hosts.connectionOf('10.0.0.21:22');
    expect(a.state).toBe('error');
    expect(a.keyCheck).toBeNull();
    expect(a.error?.message).toMatch(/did not trust/);
    expect(hosts.pendingTrust).toBeNull();
    expect(client.callsOf('connect')).toHaveLength(1);
  });

  it('blocks a server whose key changed and shows both fingerprints', async () => {
    const changed = fakeClient({
      connect: () => {
        throw {
          code: 'host-key-changed',
          message: 'The key of 10.0.0.21 changed.',
          hint: 'Find out why before going on.',
          detail: { expected: FP_A, actual: FP_B },
        };
      },
    });
    setApiClient(changed);
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'secret' });
    await hosts.connect(0);
    expect(hosts.connectionOf('10.0.0.21:22').keyCheck).toEqual({
      kind: 'changed',
      expected: FP_A,
      actual: FP_B,
    });
    expect(hosts.pendingTrust).toBeNull();
    await hosts.connect(0);
    await hosts.trust(0);
    expect(changed.callsOf('connect')).toHaveLength(1);
  });

  it('reports a refused password inline with its hint', async () => {
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'wrong' });
    await hosts.connect(1);
    const b = hosts.connectionOf('10.0.0.22:22');
    expect(b.state).toBe('error');
    expect(b.error).toEqual({
      code: 'auth-failed',
      message: '10.0.0.22 refused the user name or password.',
      hint: 'Check the account and its password.',
    });
    expect(b.keyCheck).toBeNull();
  });

  it('uses one account for both servers unless told otherwise', async () => {
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'secret' });
    Object.assign(hosts.secondaryAccount, { username: 'other', password: 'wrong' });
    await hosts.connect(1);
    expect(client.callsOf('connect').at(-1)).toMatchObject({ username: 'Administrator', password: 'secret' });

    hosts.sameAccount = false;
    await hosts.connect(1);
    expect(client.callsOf('connect').at(-1)).toMatchObject({ username: 'other', password: 'wrong' });
  });

  it('pre-fills the lab’s account only when nothing was typed', () => {
    const hosts = useHostsStore();
    hosts.prefill({ username: 'Administrator', password: 'lab' });
    expect(hosts.primaryAccount).toMatchObject({
      username: 'Administrator',
      method: 'password',
      password: 'lab',
    });
    hosts.primaryAccount.username = 'me';
    hosts.prefill({ username: 'Administrator', password: 'other' });
    expect(hosts.primaryAccount.username).toBe('me');
  });

  it('turns a non-Twinlock failure into a sentence, not a stack', async () => {
    setApiClient(
      fakeClient({
        connect: () => {
          throw new TypeError('fetch failed');
        },
      }),
    );
    const hosts = useHostsStore();
    await hosts.connect(0);
    const error = hosts.connectionOf('10.0.0.21:22').error;
    expect(error?.code).toBe('internal');
    expect(error?.message).toContain('fetch failed');
    expect(JSON.stringify(error)).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('resumes with the two sessions still open after a reload', async () => {
    setActivePinia(createPinia());
    const open = [
      session({ address: '10.0.0.31', port: 22, username: 'Administrator', password: 'x' }, FP_A, false),
      session({ address: '10.0.0.32', port: 2222, username: 'Administrator', password: 'x' }, FP_B, false),
    ];
    setApiClient(fakeClient({ sessions: () => open }));
    const hosts = useHostsStore();
    expect(await hosts.restore()).toBe(true);
    expect(useDiscoveryStore().selected).toEqual(['10.0.0.31:22', '10.0.0.32:2222']);
    expect(hosts.bothConnected).toBe(true);
    expect(hosts.sessionIds).toEqual(['s-10.0.0.31', 's-10.0.0.32']);
  });
});

describe('hosts store: one server picked twice', () => {
  it('refuses to go on when both picks present the same host key', async () => {
    setActivePinia(createPinia());
    // "hv-a" by name and 10.0.0.21 by address: one machine, one host key, one computer name.
    setApiClient(
      fakeClient({
        connect: (input: ApiInput<'connect'>) => ({ ...session(input, FP_A, false), computerName: 'HV-A' }),
      }),
    );
    const discovery = useDiscoveryStore();
    expect(discovery.addHost('hv-a')).toBeNull();
    expect(discovery.addHost('10.0.0.21')).toBeNull();
    const hosts = useHostsStore();
    Object.assign(hosts.primaryAccount, { username: 'Administrator', password: 'secret' });
    await hosts.connectAll();
    expect(hosts.bothConnected).toBe(true);
    expect(hosts.sameServer).toBe('HV-A');
    const wizard = useWizardStore();
    wizard.next();
    expect(wizard.step.id).toBe('connect');
    expect(wizard.blockedBecause).toMatch(/^Both picks are HV-A: go back to Discover/);
    expect(wizard.canNext).toBe(false);
  });
});
