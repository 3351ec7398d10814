/**
 * Logging on with a private key from the Connect screen: the public half of a file is refused on
 * the spot, the private key logs on to both servers, and no password is sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newHostKey } from '../../lab/host-key';
import { pickBoth, trustBoth } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;
const key = newHostKey();
const dir = mkdtempSync(join(tmpdir(), 'twinlock-e2e-key-'));
const privateFile = join(dir, 'id_ed25519');
const publicFile = join(dir, 'id_ed25519.pub');

beforeAll(async () => {
  writeFileSync(privateFile, key.private, { mode: 0o600 });
  writeFileSync(publicFile, `${key.public.trim()} admin@workstation\n`);
  stack = await startStack({ latencyMs: 5, authorizedKeys: [key.public] });
});

afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('Connect with a private key', () => {
  it('refuses the public half, takes the private key, and connects both servers with it', async () => {
    await pickBoth(stack);
    await tid('connect-method-key').click();
    await tid('connect-key-file').setInputFiles(publicFile);
    await expect(tid('connect-key-problem').innerText()).resolves.toContain('is a public key');
    await tid('connect-key-file').setInputFiles(privateFile);
    await expect(tid('connect-key-name').innerText()).resolves.toBe('id_ed25519');
    await tid('connect-key-problem').waitFor({ state: 'detached' });
    await stack.shot('02-connect-key');

    // No password reaches the servers: a password logon would be refused from here on.
    for (const h of stack.lab.hosts)
      stack.lab.host(h.name).accounts.forEach((a) => (a.password = 'not-this'));
    await tid('connect-submit').click();
    await trustBoth(stack);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(false);
  });
});
