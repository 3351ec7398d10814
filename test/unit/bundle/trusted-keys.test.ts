/**
 * The trusted bundle signers: fingerprints as OpenSSH prints them, the store in
 * `<dataDir>/trusted-keys.json` (the workstation's own key always in it), `.pub` lines, and a
 * bundle opened only when a trusted key signed it.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import { createBundle } from '../../../engine/bundle/bundle';
import { openTrustedBundle } from '../../../engine/bundle/read-bundle';
import { loadSigningKey, publicKeyBase64 } from '../../../engine/bundle/signing-key';
import {
  TRUSTED_KEYS_FILE,
  TrustedKeys,
  keyFingerprint,
  parsePublicKeyText,
  publicKeyLine,
} from '../../../engine/bundle/trusted-keys';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'twinlock-keys-'));
  dirs.push(d);
  return d;
}

function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    spki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    publicKey,
  };
}

function signed(privateKey: ReturnType<typeof newKey>['privateKey']) {
  const host = {
    address: '10.0.0.21',
    port: 22,
    fingerprint: 'SHA256:' + 'a'.repeat(43),
    computerName: 'HV-A',
  };
  return createBundle(
    {
      config: {
        name: 'PAIR-01',
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
}

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

describe('key fingerprint', () => {
  it('is SHA256: and the unpadded base64 SHA-256 of the SPKI DER', () => {
    const { spki } = newKey();
    const expected = createHash('sha256')
      .update(Buffer.from(spki, 'base64'))
      .digest('base64')
      .replace(/=+$/, '');
    expect(keyFingerprint(spki)).toBe(`SHA256:${expected}`);
    expect(keyFingerprint(spki)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyFingerprint(newKey().spki)).not.toBe(keyFingerprint(spki));
  });
});

describe('.pub lines', () => {
  it('round-trip a key and its label; PEM and bare base64 are accepted too', () => {
    const { spki, publicKey } = newKey();
    const line = publicKeyLine(spki, 'site B\nsecond line');
    expect(line).toBe(`twinlock-ed25519 ${spki} site B second line`);
    expect(parsePublicKeyText(`${line}\n`)).toEqual({ publicKey: spki, label: 'site B second line' });
    expect(parsePublicKeyText(publicKey.export({ type: 'spki', format: 'pem' }).toString()).publicKey).toBe(
      spki,
    );
    expect(parsePublicKeyText(spki)).toEqual({ publicKey: spki, label: '' });
  });

  it('refuses anything that is not an Ed25519 public key, without quoting it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    for (const text of [
      `twinlock-ed25519 ${rsa} x`,
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host',
      'SECRET-TOKEN-123 hello',
    ]) {
      let err: TwinlockError | null = null;
      try {
        parsePublicKeyText(text);
      } catch (e) {
        err = e as TwinlockError;
      }
      expect(err?.code).toBe('invalid-input');
      expect(JSON.stringify(err?.message)).not.toContain('SECRET-TOKEN');
      expect(err?.message).toBe('publicKey: this is not a Twinlock public key.');
    }
  });
});

describe('the trusted-keys store', () => {
  it('always trusts the workstation’s own key, first, and it cannot be forgotten', async () => {
    const dir = await dataDir();
    const store = new TrustedKeys(dir);
    const own = publicKeyBase64(await loadSigningKey(dir));
    const list = await store.list();
    expect(list).toEqual([
      { fingerprint: keyFingerprint(own), publicKey: own, label: 'this workstation', addedAt: '', own: true },
    ]);
    expect((await failure(store.forget(keyFingerprint(own)))).code).toBe('invalid-input');
    expect((await store.trust(own, 'again')).own).toBe(true);
    expect(existsSync(join(dir, TRUSTED_KEYS_FILE))).toBe(false);
  });

  it('keeps trusted keys by fingerprint with label and date, privately, and forgets them', async () => {
    const dir = await dataDir();
    const store = new TrustedKeys(dir);
    const { spki } = newKey();
    const before = Date.now();
    const entry = await store.trust(spki, ' site B ');
    expect(entry).toMatchObject({
      fingerprint: keyFingerprint(spki),
      publicKey: spki,
      label: 'site B',
      own: false,
    });
    expect(Date.parse(entry.addedAt)).toBeGreaterThanOrEqual(before - 1000);
    const again = await store.trust(spki, 'renamed');
    expect(again).toEqual(entry);
    const file = JSON.parse(await readFile(join(dir, TRUSTED_KEYS_FILE), 'utf8'));
    expect(file).toEqual({
      version: 1,
      keys: { [keyFingerprint(spki)]: { publicKey: spki, label: 'site B', addedAt: entry.addedAt } },
    });
    expect((await stat(join(dir, TRUSTED_KEYS_FILE))).mode & 0o077).toBe(0);
    expect((await store.find(spki))?.label).toBe('site B');
    expect(await store.forget(keyFingerprint(spki))).toBe(true);
    expect(await store.forget(keyFingerprint(spki))).toBe(false);
    expect(await store.find(spki)).toBeNull();
  });

  it('loses no key when many stores trust at once (cross-process lock)', async () => {
    const dir = await dataDir();
    await loadSigningKey(dir);
    const keys = Array.from({ length: 12 }, () => newKey().spki);
    await Promise.all(keys.map((k, i) => new TrustedKeys(dir).trust(k, `key ${i}`)));
    const listed = (await new TrustedKeys(dir).list()).map((k) => k.publicKey);
    expect(listed).toEqual(expect.arrayContaining(keys));
    expect(listed).toHaveLength(13);
  });
});

describe('opening a bundle', () => {
  it('accepts the workstation’s own bundles and trusted signers’, and refuses others with bundle-untrusted', async () => {
    const dir = await dataDir();
    const own = signed(await loadSigningKey(dir));
    expect(await openTrustedBundle(dir, { text: JSON.stringify(own) })).toEqual(own);

    const stranger = newKey();
    const theirs = signed(stranger.privateKey);
    const err = await failure(
      openTrustedBundle(dir, { text: JSON.stringify(theirs), name: 'site-b.twinlock.json' }),
    );
    expect(err.code).toBe('bundle-untrusted');
    expect(err.detail).toEqual({ fingerprint: keyFingerprint(stranger.spki), publicKey: stranger.spki });
    expect(err.hint).toContain(
      `twinlock keys trust ${keyFingerprint(stranger.spki)} --from-bundle site-b.twinlock.json`,
    );

    await new TrustedKeys(dir).trust(stranger.spki, 'site B');
    expect(await openTrustedBundle(dir, { text: JSON.stringify(theirs) })).toEqual(theirs);
  });
});

describe('no content echo', () => {
  const SECRET = 'AKIA-SECRET-7f3c9e1b2d';

  it('names a non-JSON file and what is wrong, never bytes from it', async () => {
    const dir = await dataDir();
    const path = join(dir, 'notes.txt');
    await writeFile(path, `${SECRET} password=hunter2 {`);
    const err = await failure(openTrustedBundle(dir, { path }));
    expect(err.code).toBe('bundle-invalid');
    expect(err.message).toBe(`${path} is not a Twinlock bundle: it is not JSON.`);
    expect(JSON.stringify(err)).not.toContain('AKIA');
    expect(JSON.stringify({ m: err.message, h: err.hint, d: err.detail })).not.toContain('hunter2');
  });

  it('says plainly that a file does not exist or cannot be read, without errno text', async () => {
    const dir = await dataDir();
    const missing = await failure(openTrustedBundle(dir, { path: join(dir, 'nope.twinlock.json') }));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toBe(`The bundle ${join(dir, 'nope.twinlock.json')} does not exist.`);
    const folder = await failure(openTrustedBundle(dir, { path: dir }));
    expect(folder.message).toBe(`The bundle ${dir} is a folder.`);
    for (const e of [missing, folder])
      expect(`${e.message} ${e.hint}`).not.toMatch(/ENOENT|EISDIR|EACCES|no such file/i);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.twinlock.json');
      await writeFile(locked, SECRET, { mode: 0o000 });
      const unreadable = await failure(openTrustedBundle(dir, { path: locked }));
      expect(unreadable.message).toBe(`The bundle ${locked} cannot be read.`);
    }
  });

  it('refuses a file far larger than a bundle without reading it all', async () => {
    const dir = await dataDir();
    const path = join(dir, 'big.twinlock.json');
    await writeFile(path, `${SECRET}${' '.repeat(2 * 1024 * 1024)}`);
    const err = await failure(openTrustedBundle(dir, { path }));
    expect(err.code).toBe('bundle-invalid');
    expect(err.message).toContain('larger than 256 KB');
    expect(JSON.stringify(err.message)).not.toContain('AKIA');
  });

  it('does not quote a damaged state file or agent manifest either', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, TRUSTED_KEYS_FILE), `${SECRET}{`);
    const store = await failure(new TrustedKeys(dir).list());
    expect(store.message).toBe(`The file ${join(dir, TRUSTED_KEYS_FILE)} is damaged: it is not valid JSON.`);
    const { loadPackage } = await import('../../../engine/agent/manifest');
    await writeFile(join(dir, 'agent-manifest.json'), `${SECRET}{`);
    const manifest = await failure(loadPackage(dir));
    expect(manifest.message).not.toContain('AKIA');
    expect(manifest.message).toBe(
      `The agent manifest ${join(dir, 'agent-manifest.json')} is not valid JSON.`,
    );
  });
});
