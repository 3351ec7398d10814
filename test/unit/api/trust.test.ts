/**
 * Trust through the contract, as every shell calls it: opening bundles (a path or a browser's
 * text), trusting, forgetting and exporting signer keys, and pinning agent publishers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwinlockEngine } from '../../../engine/api';
import type { TwinlockError } from '../../../engine/api/errors';
import { createEngine, defaultResourcesDir } from '../../../engine/engine';
import { createBundle } from '../../../engine/bundle/bundle';
import { keyFingerprint } from '../../../engine/bundle/trusted-keys';
import { newHostKey } from '../../../lab/host-key';

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

const dirs: string[] = [];
let engine: TwinlockEngine;
let other: TwinlockEngine;
beforeAll(async () => {
  for (let i = 0; i < 3; i++) dirs.push(await mkdtemp(join(tmpdir(), 'twinlock-trust-api-')));
  engine = createEngine({ dataDir: dirs[0]! });
  other = createEngine({ dataDir: dirs[1]! });
});
afterAll(async () => {
  await engine.close();
  await other.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function foreignBundle() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const host = {
    address: '10.0.0.21',
    port: 22,
    fingerprint: 'SHA256:' + 'a'.repeat(43),
    computerName: 'HV-A',
  };
  const bundle = createBundle(
    {
      config: {
        name: 'SITE-B',
        level: 3,
        primary: 'a',
        secondary: 'b',
        links: [{ localNic: 'S1', remoteNic: 'S1', localAddress: '10.1.0.1', remoteAddress: '10.1.0.2' }],
        witness: null,
        vms: [],
      },
      primary: host,
      secondary: { ...host, computerName: 'HV-B' },
      agent: { version: '3.2.1', sha256: 'c'.repeat(64) },
    },
    privateKey,
  );
  return { text: JSON.stringify(bundle), fingerprint: keyFingerprint(spki), spki };
}

describe('readBundle', () => {
  it('takes a path or a browser’s text, one of the two, naming the field', async () => {
    const neither = await failure(engine.api.readBundle({}));
    expect(neither.code).toBe('invalid-input');
    expect(neither.detail?.field).toBe('path');
    const both = await failure(engine.api.readBundle({ path: '/x', text: '{}' }));
    expect(both.code).toBe('invalid-input');
  });

  it('refuses an unknown signer with bundle-untrusted, its fingerprint and the way to trust it', async () => {
    const { text, fingerprint, spki } = foreignBundle();
    const err = await failure(engine.api.readBundle({ text, name: 'site-b.twinlock.json' }));
    expect(err.code).toBe('bundle-untrusted');
    expect(err.detail).toEqual({ fingerprint, publicKey: spki });
    expect(err.hint).toContain(`twinlock keys trust ${fingerprint} --from-bundle site-b.twinlock.json`);
    expect(err.hint).toContain('Trust this signer?');
  });

  it('never quotes the file it was given', async () => {
    // A private key picked by mistake, made for this run: its text must not travel in an error.
    const key = newHostKey().private;
    const path = join(dirs[2]!, 'id_ed25519');
    await writeFile(path, key);
    const secretLine = key.split('\n')[1]!;
    for (const err of [
      await failure(engine.api.readBundle({ path })),
      await failure(engine.api.readBundle({ text: readFileSync(path, 'utf8'), name: 'id_ed25519' })),
    ]) {
      expect(err.code).toBe('bundle-invalid');
      const said = JSON.stringify({ m: err.message, h: err.hint, d: err.detail });
      expect(said).not.toContain('BEGIN');
      expect(said).not.toContain(secretLine.slice(0, 16));
    }
  });
});

describe('trusting signers', () => {
  it('trusts a bundle’s signer only with the fingerprint the admin compared, then opens it', async () => {
    const { text, fingerprint } = foreignBundle();
    const wrong = await failure(engine.api.trustKey({ text, fingerprint: `SHA256:${'Z'.repeat(43)}` }));
    expect(wrong.code).toBe('invalid-input');
    expect(wrong.message).toContain(fingerprint);
    const missing = await failure(engine.api.trustKey({ text }));
    expect(missing.detail?.field).toBe('fingerprint');
    const entry = await engine.api.trustKey({ text, fingerprint, label: 'site B' });
    expect(entry).toMatchObject({ fingerprint, label: 'site B', own: false });
    expect((await engine.api.readBundle({ text })).pair.name).toBe('SITE-B');
    expect(await engine.api.forgetKey({ fingerprint })).toEqual({ forgotten: true });
    expect((await failure(engine.api.readBundle({ text }))).code).toBe('bundle-untrusted');
  });

  it('hands this workstation’s key to another as a .pub line, which the other trusts', async () => {
    const path = join(dirs[2]!, 'here.pub');
    const exported = await engine.api.exportPublicKey({ path });
    expect(await readFile(path, 'utf8')).toBe(`${exported.line}\n`);
    const own = (await engine.api.trustedKeys({}))[0]!;
    expect(own).toMatchObject({ fingerprint: exported.fingerprint, own: true });
    const entry = await other.api.trustKey({ publicKey: await readFile(path, 'utf8') });
    expect(entry.fingerprint).toBe(exported.fingerprint);
    expect(entry.label).toMatch(/^twinlock@/);
    const bad = await failure(other.api.trustKey({ publicKey: 'hello SECRET' }));
    expect(bad.code).toBe('invalid-input');
    expect(bad.message).not.toContain('SECRET');
  });
});

describe('pinning agent publishers', () => {
  const manifest = JSON.parse(
    readFileSync(join(defaultResourcesDir(), 'agent', 'agent-manifest.json'), 'utf8'),
  );

  it('shows the bundled package’s publisher as not trusted until the admin trusts its thumbprint', async () => {
    const before = await engine.api.agentPackage({});
    expect(before).toMatchObject({
      version: manifest.version,
      publisher: manifest.signer,
      publisherTrusted: false,
    });
    expect(await engine.api.trustedPublishers({})).toEqual([]);
    const wrong = await failure(engine.api.trustPublisher({ thumbprint: 'A'.repeat(40) }));
    expect(wrong.code).toBe('invalid-input');
    expect(wrong.detail?.field).toBe('thumbprint');
    const malformed = await failure(engine.api.trustPublisher({ thumbprint: 'xyz' }));
    expect(malformed.message).toMatch(/^thumbprint: /);

    const pinned = await engine.api.trustPublisher({ thumbprint: manifest.signer.thumbprint.toLowerCase() });
    expect(pinned).toMatchObject({
      thumbprint: manifest.signer.thumbprint,
      subject: manifest.signer.subject,
    });
    expect((await engine.api.agentPackage({})).publisherTrusted).toBe(true);
    expect(await engine.api.forgetPublisher({ thumbprint: manifest.signer.thumbprint })).toEqual({
      forgotten: true,
    });
    expect((await engine.api.agentPackage({})).publisherTrusted).toBe(false);
  });

  it('pins a publisher by subject without a package', async () => {
    const pinned = await other.api.trustPublisher({
      thumbprint: 'B'.repeat(40),
      subject: 'CN=Contoso Agents',
    });
    expect(pinned).toMatchObject({ thumbprint: 'B'.repeat(40), subject: 'CN=Contoso Agents' });
    expect((await other.api.trustedPublishers({})).map((p) => p.subject)).toEqual(['CN=Contoso Agents']);
  });
});
