/**
 * The engine's open connections: connect (host key checked or pinned, elevation checked),
 * reconnect after a drop with the pinned key, look sessions up, close them.
 *
 * The SSH stack and the inventory parser load on the first connection, not with the engine: a
 * scan, the CLI's `hosts` verbs or a bundle check never pay for them.
 */
import { randomUUID } from 'node:crypto';
import { TwinlockError } from '../api/errors';
import type { HostInventory, HostSession } from '../api/models';
import type { KnownHosts } from '../remote/known-hosts';
import type { RemoteHost } from '../remote/types';
import { openSession } from '../remote/session';
import { clockOffset, parseIdentity, parseInventory } from '../inventory/parse';

export interface SessionEntry {
  session: HostSession;
  host: RemoteHost;
  /** Kept in memory only, to reconnect after a dropped connection. */
  credentials: Credentials;
  /** A reconnect in progress, shared by concurrent callers. */
  reconnecting: Promise<RemoteHost> | null;
  inventory: HostInventory | null;
}

/** A password, or a private key with its passphrase: what Windows OpenSSH accepts. */
export interface Credentials {
  password?: string | undefined;
  privateKey?: string | undefined;
  passphrase?: string | undefined;
}

/** A connection as the session store opens it: the contract's `ConnectRequest` once parsed. */
export interface SessionConnectRequest extends Credentials {
  address: string;
  port: number;
  username: string;
  acceptFingerprint?: string | undefined;
  timeoutMs?: number | undefined;
}

/** A server as a job's journal names it. */
export interface JournalledHost {
  address: string;
  port: number;
  username: string;
  computerName: string;
  fingerprint: string;
}

export interface SessionStoreDeps {
  knownHosts: KnownHosts;
  resourcesDir: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** True once the engine is closing: a connection finishing then is closed at once. */
  closing: () => boolean;
}

export interface SessionStore {
  entry(sessionId: string): SessionEntry;
  /** The session's host, reconnected with the pinned key if the connection dropped. */
  hostOf(sessionId: string): Promise<RemoteHost>;
  /** Two different sessions, for an operation on a pair (`what` names it in the error). */
  pairOf(ids: readonly [string, string] | [string, string], what: string): [SessionEntry, SessionEntry];
  /** An open session to the same server and account, if any. */
  sessionFor(h: { address: string; port: number; username: string }): SessionEntry | undefined;
  /**
   * The sessions a resumed job runs on, one per journalled server: its open session, or a new
   * connection with the logon given and the host key pinned when the job started (a different
   * key stops there). `resuming` names the job in the error asking for a logon.
   */
  reopen(
    hosts: readonly JournalledHost[],
    logon: Credentials,
    job: { jobId: string; resuming: string },
  ): Promise<string[]>;
  /** Reads, parses and keeps one server's inventory. */
  readInventory(sessionId: string): Promise<HostInventory>;
  connect(request: SessionConnectRequest): Promise<HostSession>;
  disconnect(sessionId: string): Promise<void>;
  list(): HostSession[];
  closeAll(): Promise<void>;
}

/** Only the fields given, so that an absent one is absent (not undefined) downstream. */
function credentialsOf(c: Credentials): Credentials {
  return {
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.privateKey !== undefined ? { privateKey: c.privateKey } : {}),
    ...(c.passphrase !== undefined ? { passphrase: c.passphrase } : {}),
  };
}

export function createSessionStore(deps: SessionStoreDeps): SessionStore {
  const { knownHosts, resourcesDir, log } = deps;
  const sessions = new Map<string, SessionEntry>();

  const entry = (sessionId: string): SessionEntry => {
    const e = sessions.get(sessionId);
    if (!e) {
      throw new TwinlockError({
        code: 'not-found',
        message: `There is no open connection with id ${sessionId}; it was closed or Twinlock restarted.`,
        hint: 'Connect to the server again.',
        detail: { sessionId },
      });
    }
    return e;
  };

  const open = async (request: SessionConnectRequest) => {
    return openSession({
      address: request.address,
      port: request.port,
      username: request.username,
      ...credentialsOf(request),
      ...(request.acceptFingerprint ? { acceptFingerprint: request.acceptFingerprint } : {}),
      ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
      knownHosts,
      resourcesDir,
    });
  };

  const hostOf = async (sessionId: string): Promise<RemoteHost> => {
    const e = entry(sessionId);
    if (e.host.isConnected()) return e.host;
    if (!e.reconnecting) {
      const { address, port, username, computerName } = e.session;
      log('warn', `The connection to ${computerName} dropped; reconnecting.`);
      e.reconnecting = open({ address, port, username, ...e.credentials })
        .then(({ host }) => {
          e.host = host;
          return host;
        })
        .finally(() => {
          e.reconnecting = null;
        });
    }
    return e.reconnecting;
  };

  const store: SessionStore = {
    entry,
    hostOf,

    pairOf(ids, what) {
      if (ids[0] === ids[1]) {
        throw new TwinlockError({
          code: 'invalid-input',
          message: `sessions: ${what} needs two different servers, but both entries are the same connection.`,
          hint: 'Pick the second server.',
          detail: { field: 'sessions' },
        });
      }
      const pair: [SessionEntry, SessionEntry] = [entry(ids[0]), entry(ids[1])];
      // One machine reached twice (by name and by address, or on two ports) presents one host key.
      if (pair[0].session.fingerprint === pair[1].session.fingerprint) {
        const [a, b] = pair.map((e) => `${e.session.address}:${e.session.port}`);
        throw new TwinlockError({
          code: 'invalid-input',
          message: `sessions: ${a} and ${b} are the same server, ${pair[0].session.computerName} (the same host key): ${what} needs two different servers.`,
          hint: 'Pick two different servers.',
          detail: { field: 'sessions', fingerprint: pair[0].session.fingerprint },
        });
      }
      return pair;
    },

    sessionFor(h) {
      return [...sessions.values()].find(
        (e) =>
          e.session.address === h.address &&
          e.session.port === h.port &&
          e.session.username.toLowerCase() === h.username.toLowerCase(),
      );
    },

    async reopen(hosts, logon, job) {
      const ids: string[] = [];
      for (const h of hosts) {
        const open = store.sessionFor(h);
        if (open) {
          ids.push(open.session.sessionId);
          continue;
        }
        if (!logon.password && !logon.privateKey) {
          throw new TwinlockError({
            code: 'invalid-input',
            message: `password: the connection to ${h.computerName} has to be opened again to resume ${job.resuming}.`,
            hint: `Enter the password of ${h.username} on ${h.computerName}, or choose the private key it logs on with.`,
            detail: { field: 'password', jobId: job.jobId },
          });
        }
        const session = await store.connect({
          address: h.address,
          port: h.port,
          username: h.username,
          ...credentialsOf(logon),
          acceptFingerprint: h.fingerprint,
        });
        ids.push(session.sessionId);
      }
      return ids;
    },

    async readInventory(sessionId) {
      const host = await hostOf(sessionId);
      const sentAt = Date.now();
      const raw = await host.runScript('get-inventory', {}, { timeoutMs: 120_000 });
      const inv = clockOffset(parseInventory(raw), sentAt, Date.now());
      entry(sessionId).inventory = inv;
      return inv;
    },

    async connect(request) {
      // Lab hosts are pinned like any other: the admin sees the key and accepts it on first use.
      const { host, newlyPinned } = await open(request);
      try {
        if (deps.closing()) {
          // The engine closed while this connection was being made: it must not outlive it.
          throw new TwinlockError({
            code: 'cancelled',
            message: 'Twinlock is shutting down; the connection was closed.',
          });
        }
        const identity = parseIdentity(await host.runScript('get-identity', {}));
        if (!identity.isAdmin) {
          throw new TwinlockError({
            code: 'not-admin',
            message: `${request.username} can log on to ${identity.computerName} but is not an elevated administrator there.`,
            hint: 'Use an account in the server’s local Administrators group (for example Administrator); with UAC on, the built-in Administrator or a domain admin works over SSH.',
            detail: { computerName: identity.computerName, username: request.username },
          });
        }
        const session: HostSession = {
          sessionId: `session-${randomUUID()}`,
          address: request.address,
          port: request.port,
          username: request.username,
          fingerprint: host.fingerprint,
          logon: request.privateKey !== undefined && request.password === undefined ? 'key' : 'password',
          newlyPinned,
          computerName: identity.computerName,
          osCaption: identity.osCaption,
          isAdmin: identity.isAdmin,
        };
        sessions.set(session.sessionId, {
          session,
          host,
          credentials: credentialsOf(request),
          reconnecting: null,
          inventory: null,
        });
        log(
          'info',
          `Connected to ${identity.computerName} (${request.address}:${request.port}) as ${request.username}${newlyPinned ? '; host key pinned' : ''}.`,
        );
        return session;
      } catch (err) {
        await host.close().catch(() => undefined);
        throw err;
      }
    },

    async disconnect(sessionId) {
      const e = entry(sessionId);
      sessions.delete(sessionId);
      await e.host.close().catch(() => undefined);
      log('info', `Disconnected from ${e.session.computerName}.`);
    },

    list() {
      return [...sessions.values()].map((e) => e.session);
    },

    async closeAll() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((e) => e.host.close().catch(() => undefined)));
    },
  };
  return store;
}
