/**
 * The pinned agent publishers, in `<dataDir>/trusted-publishers.json`: nothing trusted by
 * default (not even what a manifest claims), pinned only by a thumbprint the admin confirmed for
 * that very package.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import { loadPackage } from '../../../engine/agent/manifest';
import { TRUSTED_PUBLISHERS_FILE, TrustedPublishers } from '../../../engine/agent/trusted-publishers';
import { makePackage, SUBJECT, THUMBPRINT } from './package-fixture';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-publishers-'));
  const { dir } = await makePackage('3.2.1');
  dirs.push(dataDir, dir);
  return { store: new TrustedPublishers(dataDir), pkg: await loadPackage(dir), dataDir };
}

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

describe('trusted publishers', () => {
  it('trusts no publisher by default, whatever the manifest says, and names subject and thumbprint', async () => {
    const { store, pkg } = await setup();
    const err = await failure(store.require(pkg));
    expect(err.code).toBe('publisher-untrusted');
    expect(err.message).toContain(SUBJECT);
    expect(err.message).toContain(THUMBPRINT);
    expect(err.message).toContain('Nothing was sent to the servers.');
    expect(err.hint).toContain(`--trust-publisher ${THUMBPRINT}`);
    expect(err.detail).toMatchObject({ subject: SUBJECT, thumbprint: THUMBPRINT, version: '3.2.1' });
    expect(await store.list()).toEqual([]);
  });

  it('pins the publisher when the admin confirms the package’s own thumbprint (any case), and only then', async () => {
    const { store, pkg, dataDir } = await setup();
    const wrong = await failure(store.require(pkg, 'B'.repeat(40)));
    expect(wrong.code).toBe('publisher-untrusted');
    expect(wrong.message).toContain(`${'B'.repeat(40)}, is not this package’s`);
    expect(await store.list()).toEqual([]);

    const pinned = await store.require(pkg, THUMBPRINT.toLowerCase());
    expect(pinned).toMatchObject({ thumbprint: THUMBPRINT, subject: SUBJECT });
    expect(await store.require(pkg)).toEqual(pinned);
    const file = JSON.parse(await readFile(join(dataDir, TRUSTED_PUBLISHERS_FILE), 'utf8'));
    expect(file).toEqual({
      version: 1,
      publishers: { [THUMBPRINT]: { subject: SUBJECT, addedAt: pinned.addedAt } },
    });
    expect((await stat(join(dataDir, TRUSTED_PUBLISHERS_FILE))).mode & 0o077).toBe(0);

    expect(await store.forget(THUMBPRINT.toLowerCase())).toBe(true);
    expect(await store.forget(THUMBPRINT)).toBe(false);
    expect((await failure(store.require(pkg))).code).toBe('publisher-untrusted');
  });

  it('keeps every pin when many are made at once', async () => {
    const { store } = await setup();
    const thumbprints = Array.from({ length: 10 }, (_, i) => i.toString(16).toUpperCase().repeat(40));
    await Promise.all(
      thumbprints.map((t, i) => new TrustedPublishers(join(store.path, '..')).trust(t, `CN=Publisher ${i}`)),
    );
    expect((await store.list()).map((p) => p.thumbprint).sort()).toEqual([...thumbprints].sort());
  });
});
