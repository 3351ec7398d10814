/**
 * The Pair screen's “Use a bundle…”: a bundle signed by a key this workstation has never seen
 * shows the signer's fingerprint and asks “Trust this signer?”; once trusted, the pair settings
 * fill from the bundle. Refusing leaves the settings as they were.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../engine/bundle/bundle';
import { connectBoth, installTrustingPublisher } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;
let work: string;

beforeAll(async () => {
  stack = await startStack({ timeScale: 600, latencyMs: 2 });
  work = mkdtempSync(join(tmpdir(), 'twinlock-e2e-bundle-'));
});

afterAll(async () => {
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const tid = (id: string) => stack.page.getByTestId(id);

/** A bundle for these servers, signed by a key made now; its path and the key's fingerprint. */
async function foreignBundle(): Promise<{ path: string; fingerprint: string; vm: string }> {
  const [a, b] = await stack.engine.api.sessions({});
  const proposal = await stack.engine.api.proposePair({ primary: a!.sessionId, secondary: b!.sessionId });
  const vm = proposal.vms.at(-1)!.name;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const fingerprint = `SHA256:${createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64')
    .replace(/=+$/, '')}`;
  const host = (s: typeof a) => ({
    address: s!.address,
    port: s!.port,
    fingerprint: s!.fingerprint,
    computerName: s!.computerName,
  });
  const bundle = createBundle(
    {
      config: {
        ...proposal.config,
        name: 'SITE-B-07',
        level: 2,
        witness: { kind: 'host', address: 'witness.site-b.example' },
        vms: [vm],
      },
      primary: host(a),
      secondary: host(b),
      agent: { version: '3.2.1', sha256: 'a'.repeat(64) },
    },
    privateKey,
  );
  const path = join(work, 'site-b-07.twinlock.json');
  writeFileSync(path, JSON.stringify(bundle, null, 2));
  return { path, fingerprint, vm };
}

describe('Pair: using a bundle signed by an unknown key', () => {
  it('reaches the Pair screen', async () => {
    await connectBoth(stack);
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('wizard-next').click();
    await installTrustingPublisher(stack);
    await tid('install-done').waitFor({ timeout: 90_000 });
    await tid('wizard-next').click();
    await tid('pair-name').waitFor();
  });

  it('shows the signer’s fingerprint, and “Don’t trust” leaves the settings alone', async () => {
    const { path, fingerprint } = await foreignBundle();
    const before = await tid('pair-name').inputValue();
    const servers = () =>
      stack.lab.hosts.map((h) =>
        JSON.stringify([stack.lab.host(h.name).agentStatus(), stack.lab.host(h.name).listFiles()]),
      );
    const serversBefore = servers();
    await tid('pair-bundle-file').setInputFiles(path);
    await tid('bundle-signer-trust').waitFor({ timeout: 15_000 });
    await expect(tid('bundle-signer-fingerprint').innerText()).resolves.toBe(fingerprint);
    await tid('bundle-signer-reject').click();
    await tid('bundle-signer-dialog')
      .waitFor({ state: 'detached', timeout: 5_000 })
      .catch(() => undefined);
    expect(await tid('pair-name').inputValue()).toBe(before);
    expect((await stack.engine.api.trustedKeys({})).map((k) => k.fingerprint)).not.toContain(fingerprint);
    // Opening a bundle reads a file on this workstation and nothing else: neither server changed.
    expect(servers()).toEqual(serversBefore);
  });

  it('trusts the signer on request and fills the pair settings from the bundle', async () => {
    const { path, fingerprint, vm } = await foreignBundle();
    await tid('pair-bundle-file').setInputFiles(path);
    await tid('bundle-signer-trust').waitFor({ timeout: 15_000 });
    await expect(tid('bundle-signer-fingerprint').innerText()).resolves.toBe(fingerprint);
    // The dialog fades in; the screenshot is of the settled dialog.
    await stack.shot('05-pair-bundle-signer');
    await tid('bundle-signer-trust').click();
    await tid('pair-bundle-used').waitFor({ timeout: 15_000 });
    await expect(tid('pair-bundle-used').innerText()).resolves.toContain('site-b-07.twinlock.json');
    expect(await tid('pair-name').inputValue()).toBe('SITE-B-07');
    await expect(tid('pair-level-2').getAttribute('class')).resolves.toContain('chosen');
    expect(await tid('pair-witness-address').inputValue()).toBe('witness.site-b.example');
    const checked = stack.page.locator('[data-testid=pair-vm].n-checkbox--checked');
    await expect(checked.evaluateAll((els) => els.map((e) => e.getAttribute('data-vm')))).resolves.toEqual([
      vm,
    ]);
    const trusted = await stack.engine.api.trustedKeys({});
    expect(trusted.find((k) => k.fingerprint === fingerprint)).toMatchObject({ own: false });
    await stack.shot('05-pair-from-bundle', { whole: true });
  });
});
