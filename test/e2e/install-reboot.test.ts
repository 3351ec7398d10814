/**
 * msiexec answers 3010 on one server and Twinlock was not allowed to restart it: the card says a
 * restart is needed, and Restart now restarts the server from the screen and waits for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth, installTrustingPublisher } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(
    { timeScale: 120, latencyMs: 5 },
    { timings: { fix: { pollMs: 200, rebootTimeoutMs: 120_000, restartDelaySeconds: 1 } } },
  );
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('Install: a server that must restart to finish', () => {
  it('asks for the restart and restarts the server from the screen', async () => {
    await connectBoth(stack);
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('wizard-next').click();
    const name = stack.lab.hosts[1]!.name;
    stack.lab.host(name).faults.msiExitCodes = [3010];

    await installTrustingPublisher(stack);
    await tid('install-done').waitFor({ timeout: 90_000 });
    const card = stack.page.locator(`[data-testid=install-host-card][data-host="${name}"]`);
    await expect(card.getAttribute('data-reboot-required')).resolves.toBe('true');
    const prompt = card.getByTestId('install-reboot-prompt');
    await expect(prompt.innerText()).resolves.toContain(`${name} must restart`);
    await stack.shot('04-install-reboot-prompt', { whole: true });

    const bootedBefore = stack.lab.host(name).bootedAt;
    await card.getByTestId('install-reboot-now').click();
    await card.locator('[data-testid=install-reboot-prompt][data-state=done]').waitFor({ timeout: 150_000 });
    expect(stack.lab.host(name).bootedAt).toBeGreaterThan(bootedBefore);
    await expect(card.getAttribute('data-reboot-required')).resolves.toBe('false');
    await expect(
      card.locator('[data-testid=install-step][data-step=reboot]').getAttribute('data-status'),
    ).resolves.toBe('done');
    await stack.shot('04-install-rebooted', { whole: true });
  });
});
