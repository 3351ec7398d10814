/**
 * Opening the SSH connection: TCP with Nagle off, host-key pinning, password (or
 * keyboard-interactive) or public-key authentication (the two Windows OpenSSH offers), and every
 * failure mapped to an admin's sentence.
 */
import { connect as netConnect } from 'node:net';
import type { NodeSSH } from 'node-ssh';
import type ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import { TwinlockError } from '../api/errors';
import { fingerprintOf, hostIdOf, hostKeyCheckCommand, keyTypeOf } from './fingerprint';
import type { KnownHost, KnownHosts } from './known-hosts';

/** Default time allowed for TCP connect + SSH handshake + authentication. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** Keepalives detect a dead server within ~30 s instead of the TCP default of minutes. */
const KEEPALIVE_INTERVAL_MS = 10_000;
const KEEPALIVE_COUNT_MAX = 3;

/**
 * The SSH library (node-ssh over ssh2, with its native crypto binding) loads with the first
 * connection, so that what never connects (`twinlock hosts list`, a scan) starts without it.
 */
let sshLibrary: Promise<{ NodeSSH: typeof NodeSSH; parseKey: typeof ssh2.utils.parseKey }> | undefined;
function loadSshLibrary(): NonNullable<typeof sshLibrary> {
  sshLibrary ??= Promise.all([import('node-ssh'), import('ssh2')]).then(([nodeSsh, ssh2Module]) => ({
    NodeSSH: nodeSsh.NodeSSH,
    parseKey: ssh2Module.default.utils.parseKey,
  }));
  return sshLibrary;
}

export interface ConnectOptions {
  address: string;
  port: number;
  username: string;
  /** Held in memory only; never logged, never placed in an error. Either this or a private key. */
  password?: string | undefined;
  /** A private key in OpenSSH or PEM form, and its passphrase; held in memory only. */
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  /** Pin this `SHA256:…` fingerprint if the host is seen for the first time and presents it. */
  acceptFingerprint?: string;
  /** Pin whatever key an unknown host presents (the lab, tests, a bundle replay that carries it). */
  trustNew?: boolean;
  /** Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  timeoutMs?: number;
  knownHosts: KnownHosts;
  /** Disable Nagle on the socket (default true; false only to measure what it saves). */
  noDelay?: boolean;
}

export interface SshConnection {
  ssh: NodeSSH;
  client: Client;
  hostId: string;
  fingerprint: string;
  keyType: string;
  /** True when this connection pinned the key (first use). */
  newlyPinned: boolean;
  /** True once the underlying connection has closed. */
  isClosed(): boolean;
}

/** What the host-key check decided during the handshake. */
export type HostKeyVerdict =
  | { kind: 'pending' }
  | { kind: 'match'; fingerprint: string; keyType: string }
  | { kind: 'pin'; fingerprint: string; keyType: string }
  | { kind: 'unknown'; fingerprint: string; keyType: string }
  | { kind: 'changed'; fingerprint: string; keyType: string; pinned: KnownHost }
  | { kind: 'error'; error: unknown };

/** Opens an authenticated SSH connection; throws TwinlockError on every failure. */
export async function connectSsh(options: ConnectOptions): Promise<SshConnection> {
  const { address, port, username, password, privateKey, passphrase, knownHosts } = options;
  if (privateKey !== undefined) await checkPrivateKey(privateKey, passphrase);
  const { NodeSSH } = await loadSshLibrary();
  const secrets = [password, passphrase].filter((s): s is string => s !== undefined);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const hostId = hostIdOf(address, port);
  let verdict: HostKeyVerdict = { kind: 'pending' };

  // Our own socket so Nagle is off from the first byte: every exec is a few small packets each
  // way, and with Nagle plus delayed ACK each round trip costs ~40 ms instead of ~2 ms.
  const sock = netConnect({ host: address, port });
  sock.setNoDelay(options.noDelay ?? true);

  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      sock,
      host: address,
      port,
      username,
      ...(privateKey !== undefined
        ? { privateKey, ...(passphrase !== undefined ? { passphrase } : {}) }
        : {}),
      ...(password !== undefined
        ? {
            password,
            tryKeyboard: true,
            // Windows servers set up for domain logons sometimes ask for the password this way.
            onKeyboardInteractive: (
              _name: string,
              _instructions: string,
              _lang: string,
              prompts: unknown[],
              finish: (answers: string[]) => void,
            ) => finish(prompts.map(() => password)),
          }
        : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        const fingerprint = fingerprintOf(key);
        const keyType = keyTypeOf(key);
        knownHosts.check(hostId, fingerprint).then(
          (result) => {
            if (result.status === 'match') verdict = { kind: 'match', fingerprint, keyType };
            else if (result.status === 'changed')
              verdict = { kind: 'changed', fingerprint, keyType, pinned: result.pinned };
            else if (options.trustNew || options.acceptFingerprint === fingerprint)
              verdict = { kind: 'pin', fingerprint, keyType };
            else verdict = { kind: 'unknown', fingerprint, keyType };
            verify(verdict.kind === 'match' || verdict.kind === 'pin');
          },
          (error: unknown) => {
            verdict = { kind: 'error', error };
            verify(false);
          },
        );
      },
    } as Parameters<NodeSSH['connect']>[0]);
  } catch (err) {
    ssh.dispose();
    sock.destroy();
    throw mapConnectError(err, {
      address,
      port,
      hostId,
      knownHostsPath: knownHosts.path,
      secrets,
      withKey: privateKey !== undefined,
      username,
      verdict,
    });
  }

  const client = ssh.connection;
  // node-ssh drops its error listener once ready; until the session attaches its own, a socket
  // error would otherwise be an unhandled 'error' event and take the process down.
  client?.on('error', () => undefined);
  let closed = false;
  client?.once('close', () => (closed = true));
  const v = verdict as HostKeyVerdict;
  if (!client || (v.kind !== 'match' && v.kind !== 'pin')) {
    ssh.dispose();
    throw mapConnectError(new Error('The connection closed during the handshake.'), {
      address,
      port,
      hostId,
      knownHostsPath: knownHosts.path,
      secrets,
      withKey: privateKey !== undefined,
      username,
      verdict: v,
    });
  }
  if (v.kind === 'pin') {
    try {
      await knownHosts.pin(hostId, v.fingerprint, v.keyType);
    } catch (err) {
      ssh.dispose();
      throw err;
    }
  }
  return {
    ssh,
    client,
    hostId,
    fingerprint: v.fingerprint,
    keyType: v.keyType,
    newlyPinned: v.kind === 'pin',
    isClosed: () => closed,
  };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRNOTAVAIL',
  'EPIPE',
]);

export interface ConnectErrorContext {
  address: string;
  port: number;
  hostId: string;
  knownHostsPath: string;
  /** The password and passphrase, only to scrub them from any text that reaches the admin. */
  secrets: string[];
  /** True when a private key was offered (the refusal then names the key, not the password). */
  withKey?: boolean;
  username?: string;
  verdict: HostKeyVerdict;
}

/** Maps whatever connecting threw to the TwinlockError the admin sees. Pure. */
export function mapConnectError(err: unknown, ctx: ConnectErrorContext): TwinlockError {
  if (err instanceof TwinlockError) return err;
  const where = `${ctx.address} port ${ctx.port}`;
  const v = ctx.verdict;
  if (v.kind === 'changed') {
    return new TwinlockError({
      code: 'host-key-changed',
      message:
        `The server at ${where} presented a different host key than the one pinned on ${v.pinned.firstSeen.slice(0, 10)}. ` +
        'Someone may be intercepting the connection, so Twinlock stopped before sending the password.',
      hint:
        'If the server was reinstalled or its SSH keys were regenerated, check the new fingerprint on the server ' +
        `(in PowerShell there: ${hostKeyCheckCommand(v.keyType)}), then forget the old key ` +
        `(twinlock hosts forget ${ctx.hostId}, or Forget this key in the wizard) and connect again. ` +
        'Otherwise, do not connect and tell your security team.',
      detail: {
        expected: v.pinned.fingerprint,
        actual: v.fingerprint,
        keyType: v.keyType,
        hostId: ctx.hostId,
      },
    });
  }
  if (v.kind === 'unknown') {
    return new TwinlockError({
      code: 'unknown-host-key',
      message: `Twinlock has not connected to ${where} before: compare its host key fingerprint ${v.fingerprint} with the server's before accepting it.`,
      hint:
        'Compare it with the server’s own: on the server (its console or Remote Desktop), run this line in PowerShell ' +
        `and accept only if it prints the same: ${hostKeyCheckCommand(v.keyType)}`,
      detail: {
        fingerprint: v.fingerprint,
        keyType: v.keyType,
        checkCommand: hostKeyCheckCommand(v.keyType),
      },
    });
  }
  if (v.kind === 'error') return mapConnectError(v.error, { ...ctx, verdict: { kind: 'pending' } });

  const e = (err ?? {}) as { message?: unknown; code?: unknown; level?: unknown };
  const reason = ctx.secrets.reduce(
    (text, secret) => scrub(text, secret),
    typeof e.message === 'string' ? e.message : String(err),
  );
  const code = typeof e.code === 'string' ? e.code : '';
  const level = typeof e.level === 'string' ? e.level : '';

  if (level === 'client-timeout' || /timed out while waiting for handshake/i.test(reason)) {
    return new TwinlockError({
      code: 'timeout',
      message: `${where} did not complete the SSH handshake in time.`,
      hint: 'Check that the OpenSSH Server service (sshd) is running on the server and is not overloaded, then try again.',
      detail: { address: ctx.address, port: ctx.port },
    });
  }
  if ((level === 'client-authentication' || /authentication methods failed/i.test(reason)) && ctx.withKey) {
    return new TwinlockError({
      code: 'auth-failed',
      message: `${where} refused the key${ctx.username ? ` for ${ctx.username}` : ''}.`,
      hint:
        'On the server, add the public key (the .pub file) to C:\\ProgramData\\ssh\\administrators_authorized_keys for an administrator ' +
        '(C:\\Users\\<name>\\.ssh\\authorized_keys otherwise); that file must be readable only by Administrators and SYSTEM ' +
        '(icacls administrators_authorized_keys /inheritance:r /grant "Administrators:F" /grant "SYSTEM:F"). Or log on with the password.',
      detail: { address: ctx.address, port: ctx.port },
    });
  }
  if (level === 'client-authentication' || /authentication methods failed/i.test(reason)) {
    return new TwinlockError({
      code: 'auth-failed',
      message: `${where} refused the user name or password.`,
      hint:
        'Check the user name (for a domain account, DOMAIN\\user) and the password, and that the account may log on ' +
        'over SSH (sshd_config AllowUsers/AllowGroups).',
      detail: { address: ctx.address, port: ctx.port },
    });
  }
  if (UNREACHABLE_CODES.has(code) || level === 'client-socket' || level === 'client-dns') {
    const why =
      code === 'ECONNREFUSED'
        ? 'refused the connection'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'could not be found (name lookup failed)'
          : code === 'ECONNRESET'
            ? 'closed the connection'
            : 'did not answer';
    return new TwinlockError({
      code: 'unreachable',
      message: `${ctx.address} on port ${ctx.port} ${why}.`,
      hint:
        'Check the address and port, that the server is on, that the OpenSSH Server service (sshd) is running, ' +
        'and that its firewall allows TCP ' +
        ctx.port +
        '.',
      detail: { address: ctx.address, port: ctx.port, reason: code || reason },
    });
  }
  return new TwinlockError({
    code: 'unreachable',
    message: `Twinlock reached ${where} but could not open an SSH session: ${reason}`,
    hint: 'Check that this is a Windows server running the OpenSSH Server service, then try again.',
    detail: { address: ctx.address, port: ctx.port, reason },
  });
}

/** Defence in depth: a password must never reach a message, even if a library echoed it. */
function scrub(text: string, password: string): string {
  return password.length >= 4 ? text.split(password).join('********') : text;
}

/**
 * Reads the private key before any network traffic, so that a wrong file or passphrase is named as
 * such instead of surfacing as a refused logon.
 */
export async function checkPrivateKey(privateKey: string, passphrase: string | undefined): Promise<void> {
  const { parseKey } = await loadSshLibrary();
  const parsed = parseKey(privateKey, passphrase);
  if (!(parsed instanceof Error)) {
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key && key.isPrivateKey()) return;
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'privateKey: this is a public key; Twinlock needs the private key that goes with it.',
      hint: 'Choose the file without .pub (for example id_ed25519 rather than id_ed25519.pub).',
      detail: { field: 'privateKey' },
    });
  }
  const why = parsed.message;
  if (/no passphrase given|Encrypted private OpenSSH key detected, but no passphrase/i.test(why)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'passphrase: the private key is protected by a passphrase.',
      hint: 'Enter the key’s passphrase.',
      detail: { field: 'passphrase' },
    });
  }
  if (
    /bad passphrase|integrity check failed|bad decrypt|Failed to decrypt/i.test(why) &&
    passphrase !== undefined
  ) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'passphrase: the passphrase does not open this private key.',
      hint: 'Check the passphrase (it is case-sensitive) and try again.',
      detail: { field: 'passphrase' },
    });
  }
  throw new TwinlockError({
    code: 'invalid-input',
    message: 'privateKey: the file is not a private key Twinlock can read.',
    hint: 'Choose an OpenSSH private key (ssh-keygen -t ed25519 writes id_ed25519) or a PEM RSA/ECDSA key; PuTTY .ppk files must be exported to OpenSSH form first (PuTTYgen → Conversions).',
    detail: { field: 'privateKey' },
  });
}
