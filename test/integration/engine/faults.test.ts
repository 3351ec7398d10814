/** What the admin sees when a lab server misbehaves: each fault maps to its own error and state. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSession, TwinlockEngine } from '../../../engine/api';
import type { TwinlockError } from '../../../engine/api/errors';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { trustPackagePublisher } from './trust-publisher';

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let ids: [string, string];

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 2 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-faults-'));
  engine = createEngine({
    dataDir,
    lab: { hosts: lab.hosts },
    timings: {
      install: { busyRetryDelaysMs: [50, 50, 50], healthTimeoutMs: 2000, healthIntervalMs: 50 },
      pair: { pollIntervalMs: 50 },
    },
  });
  await trustPackagePublisher(engine.api);
  const sessions = await Promise.all(
    lab.hosts.map((h) =>
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  );
  ids = sessions.map((s: HostSession) => s.sessionId) as [string, string];
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('faults seen through the engine', () => {
  it('refuses a wrong password as auth-failed', async () => {
    const h = lab.hosts[0]!;
    const err = await failure(
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: 'wrong-password',
      }),
    );
    expect(err.code).toBe('auth-failed');
    expect(err.message).not.toContain('wrong-password');
  });

  it('fails an install with msiexec 1603, shows the log tail and rolls back; the other server installs', async () => {
    lab.host('TL-NODE-B').faults.msiExitCodes = [1603];
    const done = await engine.api.waitJob({ jobId: (await engine.api.install({ sessions: ids })).jobId });
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('install-failed');
    expect(done.error?.message).toContain('TL-NODE-B');
    expect(done.error?.message).toContain('rolled the installation back');
    const b = done.hosts[ids[1]];
    expect(b?.state).toBe('failed');
    expect(b?.logTail?.length).toBeGreaterThan(0);
    expect(done.hosts[ids[0]]?.state).toBe('done');
    expect((await engine.api.inventory({ sessionId: ids[1] })).agentVersion).toBeNull();
  });

  it('waits out another installation (1618) and then installs', async () => {
    lab.host('TL-NODE-B').faults.msiExitCodes = [1618, 1618];
    const done = await engine.api.waitJob({ jobId: (await engine.api.install({ sessions: ids })).jobId });
    expect(done.error).toBeNull();
    expect(done.kind === 'install' && done.result?.map((r) => r.action)).toEqual([
      'already-installed',
      'installed',
    ]);
  });

  it('stops the apply before pairing when the sync links are down', async () => {
    const proposal = await engine.api.proposePair({ primary: ids[0], secondary: ids[1] });
    lab.host('TL-NODE-B').faults.syncLinkDown = true;
    try {
      const done = await engine.api.waitJob({ jobId: (await engine.api.pair(proposal.config)).jobId });
      expect(done.state).toBe('failed');
      expect(done.error?.code).toBe('incompatible');
      expect(done.error?.message).toContain('is down');
      expect((await engine.api.status({ sessionId: ids[0] })).pair).toBeNull();
    } finally {
      lab.host('TL-NODE-B').faults.syncLinkDown = false;
    }
  });

  it('refuses a server whose host key changed', async () => {
    const h = lab.hosts[1]!;
    lab.host('TL-NODE-B').faults.rotateHostKey();
    const err = await failure(
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    );
    expect(err.code).toBe('host-key-changed');
  });
});
