/**
 * Connect: credentials (in memory only), one SSH session per picked server, and the host-key
 * decisions — pin on first use after the admin compared it, stop on a changed key.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import type { HostSession, TwinlockErrorData } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { detailString, toUiError } from '../api/errors';
import { endpointId } from '../../../engine/api/rules';
import { useDiscoveryStore } from './discovery';
import type { IoState } from './io-state';

/** A key the admin must decide about before Twinlock goes on. */
export type KeyCheck =
  | {
      kind: 'unknown';
      fingerprint: string;
      /** The PowerShell line the admin runs on the server to see its key, as the engine words it. */
      checkCommand: string | null;
    }
  | { kind: 'changed'; expected: string | null; actual: string | null };

/** One server's connection as the Connect screen shows it. */
export interface HostConnection {
  state: IoState;
  session: HostSession | null;
  error: TwinlockErrorData | null;
  keyCheck: KeyCheck | null;
}

/** An account typed by the admin; never stored, never logged. */
export interface Credentials {
  username: string;
  /** Windows OpenSSH takes a password or a public key: how this account logs on. */
  method: 'password' | 'key';
  password: string;
  /** The private key file's text and name, when the admin chose one (held in memory only). */
  privateKey: string | null;
  keyName: string | null;
  /** The key's passphrase, when it has one. */
  passphrase: string;
}

/** A private key file is a few kilobytes; anything larger is the wrong file. */
export const MAX_KEY_BYTES = 65_536;

/** An account with nothing typed yet. */
export function emptyAccount(): Credentials {
  return { username: '', method: 'password', password: '', privateKey: null, keyName: null, passphrase: '' };
}

/** What connect sends for an account: the password, or the key and its passphrase. */
export function secretOf(
  account: Credentials,
): { password: string } | { privateKey: string; passphrase?: string } {
  if (account.method === 'password' || account.privateKey === null) return { password: account.password };
  return {
    privateKey: account.privateKey,
    ...(account.passphrase !== '' ? { passphrase: account.passphrase } : {}),
  };
}

/**
 * Reads a key file the admin picked (File API: works in the browser and in Electron's sandboxed
 * renderer); a sentence instead when it cannot be a private key.
 */
export async function readKeyFile(file: File): Promise<{ text: string } | { problem: string }> {
  if (file.size > MAX_KEY_BYTES)
    return {
      problem: `${file.name} is ${Math.round(file.size / 1024)} KB; a private key is a few kilobytes. Choose the private key (for example id_ed25519).`,
    };
  const text = await file.text();
  if (/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-\S+) /.test(text.trim()))
    return { problem: `${file.name} is a public key; choose the private key without .pub.` };
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    return {
      problem: `${file.name} is not a private key in OpenSSH or PEM form (a PuTTY .ppk must be exported to OpenSSH first).`,
    };
  return { text };
}

/** The account fields the engine may refuse before reaching a server. */
const CREDENTIAL_FIELDS = ['username', 'password', 'privateKey', 'passphrase'] as const;

function blank(): HostConnection {
  return { state: 'idle', session: null, error: null, keyCheck: null };
}

export const useHostsStore = defineStore('hosts', () => {
  const discovery = useDiscoveryStore();

  /** The account for the first server, and for both when {@link sameAccount} is on. */
  const primaryAccount = reactive<Credentials>(emptyAccount());
  /** The account for the second server when it differs. */
  const secondaryAccount = reactive<Credentials>(emptyAccount());
  const sameAccount = ref(true);
  const connections = ref<Record<string, HostConnection>>({});
  /**
   * What the engine refused in the account fields, by field and account (`username`, `password-2`,
   * …): shown beside the field it names. Nothing reached the server, so no card turns red.
   */
  const fieldProblems = ref<Record<string, string>>({});
  /** When the admin first pressed Connect (the start of "protected in …"). */
  const startedAt = ref<number | null>(null);

  const targets = computed(() => discovery.selectedHosts);

  function connectionOf(key: string): HostConnection {
    return connections.value[key] ?? blank();
  }

  function accountFor(index: number): Credentials {
    return index === 0 || sameAccount.value ? primaryAccount : secondaryAccount;
  }

  /** `""` for the first (or shared) account, `"-2"` for the second: the suffix of its fields. */
  function accountSuffix(index: number): string {
    return index === 0 || sameAccount.value ? '' : '-2';
  }

  /** The two sessions, in the order the hosts were picked (primary first), once both are open. */
  const sessions = computed<[HostSession, HostSession] | null>(() => {
    const [a, b] = targets.value.map((h) => connectionOf(endpointId(h)).session);
    return a && b ? [a, b] : null;
  });
  const sessionIds = computed<[string, string] | null>(() =>
    sessions.value ? [sessions.value[0].sessionId, sessions.value[1].sessionId] : null,
  );
  const bothConnected = computed(() => sessions.value !== null && targets.value.length === 2);
  /**
   * Both picks reached the same machine (one server listed by name and by address, or twice with
   * different ports): the same host key means the same server, which cannot be paired with itself.
   */
  const sameServer = computed(() => {
    const both = sessions.value;
    return both !== null && both[0].fingerprint === both[1].fingerprint ? both[0].computerName : null;
  });
  const anyRunning = computed(() =>
    targets.value.some((h) => connectionOf(endpointId(h)).state === 'running'),
  );

  /** The first host waiting for the admin to compare and trust its key (one dialog at a time). */
  const pendingTrust = computed(() => {
    for (const [index, host] of targets.value.entries()) {
      const check = connectionOf(endpointId(host)).keyCheck;
      if (check?.kind === 'unknown')
        return { index, host, fingerprint: check.fingerprint, checkCommand: check.checkCommand };
    }
    return null;
  });

  /**
   * Picks up the two sessions still open in the engine after the window was reloaded; true when
   * it did, so the wizard can resume at Connect instead of starting over.
   */
  async function restore(order: readonly string[] = []): Promise<boolean> {
    let open: HostSession[];
    try {
      open = await useApiClient().call('sessions', {});
    } catch {
      return false;
    }
    // With more than two, which two were meant is a guess: let the admin pick again.
    if (open.length !== 2 || discovery.selected.length > 0) return false;
    // In the order they were picked (the primary first), when the wizard's draft says it.
    const rank = (s: HostSession) => {
      const i = order.indexOf(endpointId(s));
      return i < 0 ? order.length : i;
    };
    open = [...open].sort((a, b) => rank(a) - rank(b));
    for (const session of open) {
      discovery.restoreHost(session.address, session.port, session.computerName);
      // Pinned before the reload: from here on it is simply the pinned key.
      connections.value[endpointId(session)] = {
        state: 'done',
        session: { ...session, newlyPinned: false },
        error: null,
        keyCheck: null,
      };
    }
    startedAt.value ??= Date.now();
    return true;
  }

  /** Fills the account from the lab's hint when the admin has typed nothing yet. */
  function prefill(account: { username: string; password: string } | null | undefined): void {
    if (!account || primaryAccount.username !== '' || primaryAccount.password !== '') return;
    primaryAccount.username = account.username;
    primaryAccount.password = account.password;
  }

  /** Opens a session to picked host `index`; `acceptFingerprint` pins a key the admin trusted. */
  async function connect(index: number, acceptFingerprint?: string): Promise<void> {
    const host = targets.value[index];
    if (host === undefined) return;
    const key = endpointId(host);
    const previous = connectionOf(key);
    if (previous.state === 'running') return;
    // A changed key blocks this host until the admin has dealt with it outside Twinlock.
    if (previous.keyCheck?.kind === 'changed') return;
    startedAt.value ??= Date.now();
    const account = accountFor(index);
    const suffix = accountSuffix(index);
    for (const field of CREDENTIAL_FIELDS) delete fieldProblems.value[`${field}${suffix}`];
    connections.value[key] = { state: 'running', session: null, error: null, keyCheck: null };
    try {
      const session = await useApiClient().call('connect', {
        address: host.address,
        port: host.port,
        username: account.username,
        ...secretOf(account),
        ...(acceptFingerprint !== undefined ? { acceptFingerprint } : {}),
      });
      connections.value[key] = { state: 'done', session, error: null, keyCheck: null };
    } catch (err) {
      const error = toUiError(err, 'connecting');
      const field = error.code === 'invalid-input' ? detailString(error, 'field') : null;
      if (field !== null && (CREDENTIAL_FIELDS as readonly string[]).includes(field)) {
        // The engine names the field first ("username: …"); beside the field, the sentence is enough.
        fieldProblems.value[`${field}${suffix}`] = error.message.replace(/^[\w.]+: /, '');
        connections.value[key] = blank();
        return;
      }
      connections.value[key] = { state: 'error', session: null, error, keyCheck: keyCheckOf(error) };
    }
  }

  /** Connects every picked host that is not connected yet, side by side. */
  async function connectAll(): Promise<void> {
    await Promise.all(
      targets.value.map((host, index) =>
        connectionOf(endpointId(host)).state === 'done' ? Promise.resolve() : connect(index),
      ),
    );
  }

  /** The admin compared the fingerprint and trusts it: connect again, pinning it. */
  async function trust(index: number): Promise<void> {
    const host = targets.value[index];
    const check = host ? connectionOf(endpointId(host)).keyCheck : null;
    if (check?.kind !== 'unknown') return;
    await connect(index, check.fingerprint);
  }

  /**
   * The admin knows the server was reinstalled: forget the pinned key and connect again, which
   * shows the new key for comparison before anything is trusted.
   */
  async function forgetKey(index: number): Promise<void> {
    const host = targets.value[index];
    if (host === undefined || connectionOf(endpointId(host)).keyCheck?.kind !== 'changed') return;
    try {
      await useApiClient().call('forgetHostKey', { address: host.address, port: host.port });
    } catch (err) {
      const error = toUiError(err, 'forgetting the old key');
      connections.value[endpointId(host)] = {
        state: 'error',
        session: null,
        error,
        keyCheck: keyCheckOf(error),
      };
      return;
    }
    connections.value[endpointId(host)] = { state: 'idle', session: null, error: null, keyCheck: null };
    await connect(index);
  }

  /** The admin does not trust the key: Twinlock stays away from that server. */
  function distrust(index: number): void {
    const host = targets.value[index];
    if (host === undefined) return;
    connections.value[endpointId(host)] = {
      state: 'error',
      session: null,
      keyCheck: null,
      error: {
        code: 'unknown-host-key',
        message: 'You did not trust this server’s key, so Twinlock did not connect.',
        hint: 'Check the key on the server’s console, then press Connect again.',
      },
    };
  }

  return {
    primaryAccount,
    secondaryAccount,
    sameAccount,
    connections,
    fieldProblems,
    startedAt,
    targets,
    sessions,
    sessionIds,
    bothConnected,
    sameServer,
    anyRunning,
    pendingTrust,
    connectionOf,
    prefill,
    restore,
    connect,
    connectAll,
    trust,
    distrust,
    forgetKey,
  };
});

function keyCheckOf(error: TwinlockErrorData): KeyCheck | null {
  if (error.code === 'unknown-host-key') {
    const fingerprint = detailString(error, 'fingerprint');
    return fingerprint === null
      ? null
      : { kind: 'unknown', fingerprint, checkCommand: detailString(error, 'checkCommand') };
  }
  if (error.code === 'host-key-changed') {
    return {
      kind: 'changed',
      expected: detailString(error, 'expected'),
      actual: detailString(error, 'actual'),
    };
  }
  return null;
}
