/**
 * Logging on with a private key, as Windows OpenSSH allows: the public key in
 * administrators_authorized_keys lets the administrator in, a key that is not listed is refused
 * with the file to add it to, and a dropped session reconnects with the same key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwinlockEngine, TwinlockErrorData } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import { newHostKey } from '../../../lab/host-key';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';

const admin = newHostKey();
const stranger = newHostKey();
let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-key-'));
  lab = await startLab({ authorizedKeys: [admin.public], latencyMs: 1 });
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

describe('private-key logon', () => {
  it('logs on with the key listed in administrators_authorized_keys, no password sent', async () => {
    const h = lab.hosts[0]!;
    expect(
      lab.host(h.name).readFile('C:\\ProgramData\\ssh\\administrators_authorized_keys').toString(),
    ).toContain(admin.public.trim());
    const session = await engine.api.connect({
      address: h.address,
      port: h.port,
      username: h.username,
      privateKey: admin.private,
      acceptFingerprint: h.fingerprint,
    });
    expect(session).toMatchObject({ computerName: h.name, isAdmin: true });

    // A dropped connection is opened again with the same key on the next call.
    const server = lab.host(h.name);
    server.reboot(200);
    await server.whenUp();
    const inventory = await engine.api.inventory({ sessionId: session.sessionId });
    expect(inventory.computerName).toBe(h.name);
  });

  it('refuses a key that is not listed, naming the file to add it to', async () => {
    const h = lab.hosts[1]!;
    const err = await failure(
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        privateKey: stranger.private,
        acceptFingerprint: h.fingerprint,
      }),
    );
    expect(err.code).toBe('auth-failed');
    expect(err.message).toContain('refused the key for Administrator');
    expect(err.hint).toContain('administrators_authorized_keys');
  });

  it('needs a password or a key, and says which field', async () => {
    const h = lab.hosts[1]!;
    const none = await failure(
      engine.api.connect({ address: h.address, port: h.port, username: h.username }),
    );
    expect(none).toMatchObject({ code: 'invalid-input', detail: { field: 'password' } });
    expect(none.message).toContain('Enter the password, or choose a private key file.');
    const pub = await failure(
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        privateKey: admin.public,
      }),
    );
    expect(pub).toMatchObject({ code: 'invalid-input', detail: { field: 'privateKey' } });
  });
});
