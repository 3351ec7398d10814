/**
 * Bad input on the Connect screen gets a sentence an admin can act on, never a stack trace:
 * a wrong password, and a server whose host key changed since it was pinned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('Connect screen errors', () => {
  it('says the password was refused, with a hint, and lets the admin try again', async () => {
    const [a, b] = stack.lab.hosts;
    // Host A was pinned earlier; since then its key changed (reinstalled, or intercepted).
    const session = await stack.engine.api.connect({
      address: a!.address,
      port: a!.port,
      username: a!.username,
      password: a!.password,
      acceptFingerprint: a!.fingerprint,
    });
    await stack.engine.api.disconnect({ sessionId: session.sessionId });
    const oldFingerprint = a!.fingerprint;
    stack.lab.host(a!.name).rotateHostKey();
    stack.lab.host(b!.name).faults.badPasswordAlways = true;

    const rows = tid('discover-host-row');
    await rows.first().waitFor();
    await rows.nth(0).click();
    await rows.nth(1).click();
    await tid('wizard-next').click();
    await tid('connect-submit').click();

    const changed = tid('connect-key-changed');
    await changed.waitFor({ timeout: 15_000 });
    await expect(tid('connect-key-expected').innerText()).resolves.toContain(oldFingerprint);
    await expect(tid('connect-key-actual').innerText()).resolves.toContain(stack.lab.hosts[0]!.fingerprint);

    // Host B presents a new key first: trust it, then its password is refused.
    await tid('fingerprint-trust').click();
    const refused = stack.page.locator('[data-testid=connect-error][data-code=auth-failed]');
    await refused.waitFor({ timeout: 15_000 });
    const text = await refused.innerText();
    expect(text).toMatch(/password/i);
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    await stack.shot('02-connect-errors');
    expect(await tid('wizard-next').isDisabled()).toBe(true);

    // The admin knows A was reinstalled: forget the old key, then compare and trust the new one.
    await tid('connect-key-forget').click();
    await stack.page.getByRole('button', { name: 'Forget the old key' }).click();
    await tid('fingerprint-value').waitFor({ timeout: 15_000 });
    await expect(tid('fingerprint-value').innerText()).resolves.toContain(stack.lab.hosts[0]!.fingerprint);
    await tid('fingerprint-trust').click();
    await stack.page.waitForSelector(
      `[data-testid=connect-host-card][data-host="${a!.address}:${a!.port}"][data-state=done]`,
    );
    const pinned = await stack.engine.api.knownHosts({});
    expect(pinned.find((k) => k.host === `${a!.address}:${a!.port}`)?.fingerprint).toBe(
      stack.lab.hosts[0]!.fingerprint,
    );
  });

  it('says within the connect timeout that a server added by hand does not answer', async () => {
    // A port nothing listens on: bind, note the port, close.
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    await stack.page.goto(stack.url);
    await tid('discover-add-address').fill('127.0.0.1');
    await tid('discover-add-port').fill(String(port));
    await tid('discover-add-submit').click();
    const added = stack.page.locator(`[data-testid=discover-host-row][data-host="127.0.0.1:${port}"]`);
    await added.waitFor();
    await tid('discover-add-address').fill('no such host!');
    await tid('discover-add-submit').click();
    await expect(tid('discover-add-error').innerText()).resolves.toBe(
      'The server name has a space in it: host names and IP addresses have no spaces. Remove it.',
    );

    const rows = tid('discover-host-row');
    for (let i = 0; i < (await rows.count()); i++) {
      if ((await rows.nth(i).getAttribute('data-selected')) === 'true') await rows.nth(i).click();
    }
    await added.click();
    await rows.first().click();
    await tid('wizard-next').click();
    await tid('connect-submit').click();
    // The refused port is reported as unreachable (not as a timeout), however long the machine takes.
    const unreachable = stack.page.locator('[data-testid=connect-error][data-code=unreachable]');
    await unreachable.waitFor({ timeout: 0 });
    await expect(unreachable.innerText()).resolves.toContain(String(port));
    await stack.shot('02-connect-unreachable');
  });
});
