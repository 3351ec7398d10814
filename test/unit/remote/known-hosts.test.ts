import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import { KnownHosts } from '../../../engine/remote/known-hosts';

const FP_A = 'SHA256:m85mezwJ0uDwg1tSGnGhB6TiAcgi9lUP8aycDaoENTg';
const FP_B = 'SHA256:AAAAezwJ0uDwg1tSGnGhB6TiAcgi9lUP8aycDaoENTg';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-kh-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('KnownHosts', () => {
  it('reports unknown, then match after pinning, then changed', async () => {
    const kh = KnownHosts.inDataDir(dir);
    expect(await kh.check('10.0.0.1:22', FP_A)).toEqual({ status: 'unknown' });
    const pinned = await kh.pin('10.0.0.1:22', FP_A, 'ssh-ed25519');
    expect(pinned.fingerprint).toBe(FP_A);
    expect(await kh.check('10.0.0.1:22', FP_A)).toMatchObject({ status: 'match' });
    expect(await kh.check('10.0.0.1:22', FP_B)).toEqual({ status: 'changed', pinned });
    expect(await kh.check('10.0.0.1:2222', FP_A)).toEqual({ status: 'unknown' });
  });

  it('refuses to pin what is no SHA-256 fingerprint, as input', async () => {
    await expect(KnownHosts.inDataDir(dir).pin('h:22', 'MD5:aa:bb', 'ssh-ed25519')).rejects.toMatchObject({
      code: 'invalid-input',
      message: 'fingerprint: A fingerprint looks like SHA256: followed by 43 characters.',
      detail: { field: 'fingerprint' },
    });
    expect(await KnownHosts.inDataDir(dir).check('h:22', FP_A)).toEqual({ status: 'unknown' });
  });

  it('persists in known_hosts.json, private to the user', async () => {
    await KnownHosts.inDataDir(dir).pin('h:22', FP_A, 'ssh-ed25519');
    const path = join(dir, 'known_hosts.json');
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(json.hosts['h:22']).toMatchObject({ fingerprint: FP_A, keyType: 'ssh-ed25519' });
    expect(typeof json.hosts['h:22'].firstSeen).toBe('string');
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await new KnownHosts(path).check('h:22', FP_A)).toMatchObject({ status: 'match' });
  });

  it('keeps every pin when two hosts are pinned at once', async () => {
    const kh = KnownHosts.inDataDir(dir);
    await Promise.all([kh.pin('a:22', FP_A, 't'), kh.pin('b:22', FP_B, 't'), kh.pin('c:22', FP_A, 't')]);
    expect(Object.keys(await kh.list()).sort()).toEqual(['a:22', 'b:22', 'c:22']);
  });

  it('re-pins and forgets', async () => {
    const kh = KnownHosts.inDataDir(dir);
    const first = await kh.pin('a:22', FP_A, 't');
    expect((await kh.pin('a:22', FP_A, 't')).firstSeen).toBe(first.firstSeen);
    await kh.pin('a:22', FP_B, 't');
    expect(await kh.check('a:22', FP_B)).toMatchObject({ status: 'match' });
    expect(await kh.forget('a:22')).toBe(true);
    expect(await kh.forget('a:22')).toBe(false);
    expect(await kh.get('a:22')).toBeNull();
  });

  it('does not treat prototype names as hosts', async () => {
    expect(await KnownHosts.inDataDir(dir).check('constructor', FP_A)).toEqual({ status: 'unknown' });
  });

  it('refuses a damaged file with a clear error instead of trusting everything', async () => {
    await writeFile(join(dir, 'known_hosts.json'), '{"version":1,"hosts":{"a:22":{"fingerprint":"md5"}}}');
    const err = await KnownHosts.inDataDir(dir)
      .check('a:22', FP_A)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinlockError);
    expect((err as TwinlockError).message).toContain('known_hosts.json');
  });

  it('rejects a malformed fingerprint', async () => {
    await expect(KnownHosts.inDataDir(dir).pin('a:22', 'MD5:xx', 't')).rejects.toThrow();
  });
});
