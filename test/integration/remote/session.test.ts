import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Socket, createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { newHostKey } from '../../../lab/host-key';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import { fingerprintOf } from '../../../engine/remote/fingerprint';
import { KnownHosts } from '../../../engine/remote/known-hosts';
import { openSession, type OpenSessionOptions } from '../../../engine/remote/session';
import type { RemoteHost, UploadProgress } from '../../../engine/remote/types';
import { startMiniServer, type MiniServer, type MiniServerOptions } from './mini-server';

const PASSWORD = 'S3cret-Passw0rd!';
let work: string;
let resourcesDir: string;
let bootstrap: string;
const servers: MiniServer[] = [];
const hosts: RemoteHost[] = [];

function script(name: string): string {
  return `# Twinlock remote script: ${name}\n# Version: 1\n# Purpose: test\nparam($P)\n@{ echo = $P }\n`;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tl-remote-'));
  resourcesDir = join(work, 'resources');
  await mkdir(join(resourcesDir, 'scripts'), { recursive: true });
  await copyFile(join(__dirname, '../../../resources/bootstrap.ps1'), join(resourcesDir, 'bootstrap.ps1'));
  bootstrap = await readFile(join(resourcesDir, 'bootstrap.ps1'), 'utf8');
  for (const name of ['get-identity', 'get-inventory', 'test-agent-package', 'get-agent-state']) {
    await writeFile(join(resourcesDir, 'scripts', `${name}.ps1`), script(name));
  }
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function server(options: Partial<MiniServerOptions> = {}): Promise<MiniServer> {
  const root = await mkdtemp(join(work, 'root-'));
  const s = await startMiniServer({
    root,
    bootstrap,
    password: PASSWORD,
    scripts: {
      'get-identity': (params) => ({ computerName: 'SRV-A', params }),
      'test-agent-package': () => {
        throw new Error("Cannot find path 'C:\\x.msi' because it does not exist.");
      },
    },
    ...options,
  });
  servers.push(s);
  return s;
}

async function knownHosts(): Promise<KnownHosts> {
  return KnownHosts.inDataDir(await mkdtemp(join(work, 'data-')));
}

async function connect(s: MiniServer, kh: KnownHosts, extra: Partial<OpenSessionOptions> = {}) {
  const result = await openSession({
    address: '127.0.0.1',
    port: s.port,
    username: 'Administrator',
    password: PASSWORD,
    knownHosts: kh,
    resourcesDir,
    trustNew: true,
    ...extra,
  });
  hosts.push(result.host);
  return result;
}

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  const err = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TwinlockError);
  expect(JSON.stringify((err as TwinlockError).toData())).not.toContain(PASSWORD);
  return err as TwinlockError;
}

function fingerprintOfPrivate(key: string): string {
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) throw parsed;
  return fingerprintOf(parsed.getPublicSSH());
}

describe('connecting', () => {
  it('pins the host key on first use, then matches it', async () => {
    const s = await server();
    const kh = await knownHosts();
    const first = await connect(s, kh);
    expect(first.newlyPinned).toBe(true);
    expect(first.host.fingerprint).toBe(fingerprintOfPrivate(s.hostKey));
    expect(first.host.label).toBe(`127.0.0.1:${s.port}`);
    expect(first.host.isConnected()).toBe(true);
    expect(await kh.check(`127.0.0.1:${s.port}`, first.host.fingerprint)).toMatchObject({ status: 'match' });
    await first.host.close();
    expect(first.host.isConnected()).toBe(false);

    const second = await connect(s, kh, { trustNew: false });
    expect(second.newlyPinned).toBe(false);
    expect(second.host.fingerprint).toBe(first.host.fingerprint);
  });

  it('refuses a changed host key and shows both fingerprints', async () => {
    const s = await server();
    const kh = await knownHosts();
    const other = fingerprintOfPrivate(newHostKey().private);
    await kh.pin(`127.0.0.1:${s.port}`, other, 'ssh-ed25519');
    const err = await failure(connect(s, kh));
    expect(err.code).toBe('host-key-changed');
    expect(err.detail).toMatchObject({ expected: other, actual: fingerprintOfPrivate(s.hostKey) });
    expect(err.message).toMatch(/intercept/);
    expect(err.hint).toMatch(/reinstalled/);
    expect(await kh.check(`127.0.0.1:${s.port}`, other)).toMatchObject({ status: 'match' });
  });

  it('stops at an unknown key unless the admin accepts that exact fingerprint', async () => {
    const s = await server();
    const kh = await knownHosts();
    const err = await failure(connect(s, kh, { trustNew: false }));
    expect(err.code).toBe('unknown-host-key');
    const fingerprint = fingerprintOfPrivate(s.hostKey);
    expect(err.detail).toMatchObject({ fingerprint });
    expect(err.message).toContain(fingerprint);
    expect(await kh.get(`127.0.0.1:${s.port}`)).toBeNull();

    const wrong = fingerprintOfPrivate(newHostKey().private);
    expect((await failure(connect(s, kh, { trustNew: false, acceptFingerprint: wrong }))).code).toBe(
      'unknown-host-key',
    );

    const ok = await connect(s, kh, { trustNew: false, acceptFingerprint: fingerprint });
    expect(ok.newlyPinned).toBe(true);
  });

  it('reports a wrong password as auth-failed without echoing it, and pins nothing', async () => {
    const s = await server({ password: 'something-else' });
    const kh = await knownHosts();
    const err = await failure(connect(s, kh));
    expect(err.code).toBe('auth-failed');
    expect(err.hint).toBeTruthy();
    expect(await kh.get(`127.0.0.1:${s.port}`)).toBeNull();
  });

  it('answers keyboard-interactive with the password', async () => {
    const s = await server({ keyboardOnly: true });
    const { host } = await connect(s, await knownHosts());
    expect(await host.runScript('get-identity', {})).toMatchObject({ computerName: 'SRV-A' });
  });

  it('reports a closed port as unreachable, not as a timeout, naming host and port', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await failure(
      openSession({
        address: '127.0.0.1',
        port,
        username: 'a',
        password: PASSWORD,
        knownHosts: await knownHosts(),
        resourcesDir,
        // Longer than the test may run: only the refusal itself can end the attempt in time.
        timeoutMs: 10 * 60_000,
      }),
    );
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(`127.0.0.1 on port ${port}`);
  });

  it('gives up on a silent server with timeout: the handshake never completed', async () => {
    const silent: NetServer = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await failure(
        openSession({
          address: '127.0.0.1',
          port,
          username: 'a',
          password: PASSWORD,
          knownHosts: await knownHosts(),
          resourcesDir,
          timeoutMs: 600,
        }),
      );
      expect(err.code).toBe('timeout');
      expect(err.message).toContain('did not complete the SSH handshake in time');
      expect(err.detail).toMatchObject({ address: '127.0.0.1', port });
    } finally {
      silent.close();
    }
  });
});

describe('running scripts', () => {
  it('sends the bootstrap, the params as base64 JSON and the script on stdin, and returns data', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    const params = { path: 'C:\\it\'s "quoted"; Remove-Item -Recurse C:\\' };
    const data = await host.runScript('get-identity', params as never);
    expect(data).toEqual({ computerName: 'SRV-A', params });
    expect(s.execs).toHaveLength(1);
    expect(s.execs[0]?.script).toBe(script('get-identity'));
    expect(s.execs[0]?.command).not.toContain('Remove-Item');
  });

  it('turns a failure envelope into script-failed with PowerShell’s message', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    const err = await failure(
      host.runScript('test-agent-package', { path: 'C:\\x.msi', trustedThumbprint: 'A'.repeat(40) }),
    );
    expect(err.code).toBe('script-failed');
    expect(err.message).toContain('because it does not exist');
    expect(err.detail).toMatchObject({ script: 'test-agent-package' });
  });

  it('reports a script the server does not know', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    const err = await failure(host.runScript('get-inventory', {}));
    expect(err.code).toBe('script-failed');
    expect(err.message).toContain('is not recognized');
  });

  it('times out, cancels, and keeps the session usable afterwards', async () => {
    const s = await server({
      scripts: {
        'get-identity': () => ({ ok: 1 }),
        'get-inventory': () => new Promise(() => undefined),
      },
    });
    const { host } = await connect(s, await knownHosts());
    const t = await failure(host.runScript('get-inventory', {}, { timeoutMs: 200 }));
    expect(t.code).toBe('timeout');
    const controller = new AbortController();
    const pending = host.runScript('get-inventory', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).code).toBe('cancelled');
    expect(await host.runScript('get-identity', {})).toEqual({ ok: 1 });
  });

  it('runs many scripts in parallel on one connection', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) => host.runScript('get-identity', { n } as never)),
    );
    expect(results.map((r) => (r as { params: { n: number } }).params.n)).toEqual(
      Array.from({ length: 20 }, (_, n) => n),
    );
  });

  it('reports a dropped connection as connection-lost', async () => {
    const s = await server({
      scripts: {
        'get-inventory': () => {
          for (const c of s.connections) c.end();
          return new Promise(() => undefined);
        },
      },
    });
    const { host } = await connect(s, await knownHosts());
    const err = await failure(host.runScript('get-inventory', {}));
    expect(err.code).toBe('connection-lost');
    expect(host.isConnected()).toBe(false);
    expect((await failure(host.runScript('get-identity', {}))).code).toBe('connection-lost');
  });
});

describe('latency', () => {
  // Nagle's algorithm turns each exec round trip into ~44 ms instead of ~2 ms (measured by
  // `npm run bench -- verify`); here we check the socket option itself, not the clock.
  it('turns Nagle off on the session socket unless asked not to', async () => {
    const calls: boolean[] = [];
    const original = Socket.prototype.setNoDelay;
    Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
      calls.push(noDelay !== false);
      return original.call(this, noDelay);
    };
    try {
      const s = await server();
      const { host } = await connect(s, await knownHosts());
      expect(calls).toContain(true);
      expect(calls).not.toContain(false);
      await host.runScript('get-identity', {});
      await host.close();
      calls.length = 0;
      const { host: nagle } = await connect(s, await knownHosts(), { noDelay: false });
      expect(calls).toContain(false);
      await nagle.close();
    } finally {
      Socket.prototype.setNoDelay = original;
    }
  });
});

describe('uploading', () => {
  async function localFile(size: number): Promise<{ path: string; data: Buffer }> {
    const data = randomBytes(size);
    const path = join(work, `pkg-${randomBytes(4).toString('hex')}.msi`);
    await writeFile(path, data);
    return { path, data };
  }

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('creates folders, uploads 3 MB in writes of at most 100 KB, with throttled progress', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    await host.mkdirp('/C:/ProgramData/Twinlock/packages');
    await host.mkdirp('/C:/ProgramData/Twinlock/packages');
    const { path, data } = await localFile(3 * 1024 * 1024 + 123);
    const progress: UploadProgress[] = [];
    const started = Date.now();
    await host.upload(path, '/C:/ProgramData/Twinlock/packages/agent.msi', {
      onProgress: (p) => progress.push(p),
    });
    const elapsed = Date.now() - started;
    const remote = await readFile(join(s.root, 'C/ProgramData/Twinlock/packages/agent.msi'));
    expect(sha(remote)).toBe(sha(data));
    expect(s.maxWrite).toBeLessThanOrEqual(100 * 1024);
    expect(s.maxWrite).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ bytesDone: data.length, bytesTotal: data.length });
    expect(progress[0]?.bytesDone).toBe(0);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]!.bytesDone);
    }
    expect(progress.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 100) + 1);
  });

  it('resumes a cut upload from the partial remote file', async () => {
    // Cut well past the resume rewind (16 writes of 64 KiB): however many writes were still in
    // flight when the connection dropped, the partial file is long enough to resume from.
    const s = await server({ cutUploadAfterBytes: 4 * 1024 * 1024 + 5000 });
    const kh = await knownHosts();
    const first = await connect(s, kh);
    await first.host.mkdirp('/C:/packages');
    const { path, data } = await localFile(6 * 1024 * 1024);
    const err = await failure(first.host.upload(path, '/C:/packages/agent.msi'));
    expect(err.code).toBe('connection-lost');
    const partial = (await stat(join(s.root, 'C/packages/agent.msi'))).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(data.length);

    const writesBefore = s.writes;
    const second = await connect(s, kh);
    const progress: UploadProgress[] = [];
    await second.host.upload(path, '/C:/packages/agent.msi', { onProgress: (p) => progress.push(p) });
    expect(sha(await readFile(join(s.root, 'C/packages/agent.msi')))).toBe(sha(data));
    expect(progress[0]!.bytesDone).toBeGreaterThan(0);
    const resentChunks = s.writes - writesBefore;
    expect(resentChunks).toBeLessThan(Math.ceil(data.length / (64 * 1024)));
  });

  it('starts over when the remote file is not a prefix candidate (same size or larger)', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    await mkdir(join(s.root, 'C/p'), { recursive: true });
    await writeFile(join(s.root, 'C/p/a.msi'), randomBytes(500_000));
    const { path, data } = await localFile(200_000);
    await host.upload(path, '/C:/p/a.msi');
    expect(sha(await readFile(join(s.root, 'C/p/a.msi')))).toBe(sha(data));
  });

  it('cancels an upload', async () => {
    const s = await server();
    const { host } = await connect(s, await knownHosts());
    const { path } = await localFile(3 * 1024 * 1024);
    const controller = new AbortController();
    const pending = host.upload(path, '/C:/big.msi', {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect((await failure(pending)).code).toBe('cancelled');
    expect(host.isConnected()).toBe(true);
  });
});
