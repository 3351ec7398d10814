/**
 * One machine picked twice (by address and by name) cannot be paired with itself: both sessions
 * present the same host key, and operations on the pair refuse them, naming the server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwinlockEngine, TwinlockErrorData } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-same-'));
  lab = await startLab({ latencyMs: 1 });
  engine = createEngine({ dataDir, lab: { hosts: lab.hosts } });
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('should fail'),
    (err: TwinlockErrorData) => err,
  );

describe('one server picked twice', () => {
  it('is refused by verify and by the pair proposal, naming the server, before anything is read', async () => {
    const h = lab.hosts[0]!;
    const request = {
      port: h.port,
      username: h.username,
      password: h.password,
      acceptFingerprint: h.fingerprint,
    };
    const byAddress = await engine.api.connect({ ...request, address: h.address });
    const byName = await engine.api.connect({ ...request, address: 'localhost' });
    expect(byName.sessionId).not.toBe(byAddress.sessionId);
    const ids: [string, string] = [byAddress.sessionId, byName.sessionId];
    for (const err of [
      await failure(engine.api.verify({ sessions: ids, level: 3 })),
      await failure(engine.api.proposePair({ primary: ids[0], secondary: ids[1] })),
    ]) {
      expect(err.code).toBe('invalid-input');
      expect(err.message).toContain(`are the same server, ${h.name}`);
      expect(err.detail).toMatchObject({ field: 'sessions', fingerprint: h.fingerprint });
    }
  });
});
