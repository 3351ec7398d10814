/**
 * The Pair screen on a lab whose second sync link has no cable: Twinlock measures both links from
 * both servers as the screen opens, shows the dead one as a blocker with the reason, and Next
 * stays disabled until that link is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth, installTrustingPublisher } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(
    { profile: 'uncabled-sync-link', timeScale: 120, latencyMs: 5 },
    {},
    { viewport: { width: 1366, height: 768 } },
  );
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('a dead sync link on the Pair screen', () => {
  it('is measured as the screen opens, shown as a blocker with its reason, and blocks Next', async () => {
    await connectBoth(stack);
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('wizard-next').click();
    await installTrustingPublisher(stack);
    await tid('install-done').waitFor({ timeout: 90_000 });
    await tid('wizard-next').click();
    await tid('pair-witness-none').click();
    await tid('pair-no-witness-accept').click();
    const dead = stack.page.locator('[data-testid=pair-link-measure][data-verdict=blocker]');
    await dead.waitFor({ timeout: 60_000 });
    await expect(dead.getByTestId('pair-link-reasons').innerText()).resolves.not.toBe('');
    await expect(dead.innerText()).resolves.toContain('nothing came back');
    await expect(tid('wizard-hint').innerText()).resolves.toMatch(/^Sync link \d cannot carry the pair/);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);
    await stack.shot('05-pair-dead-link', { whole: true });
    // Without the dead link, and measured again, the pair may go on.
    const rows = tid('pair-link-row');
    const index = await rows.evaluateAll((els) =>
      els.findIndex((el) => el.querySelector('[data-verdict=blocker]') !== null),
    );
    await rows.nth(index).getByTestId('pair-link-remove').click();
    await tid('pair-links-measure').click();
    await stack.page.locator('[data-testid=pair-link-measure]').first().waitFor({ timeout: 60_000 });
    await expect(
      stack.page.locator('[data-testid=pair-link-measure][data-verdict=blocker]').count(),
    ).resolves.toBe(0);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(false);
  });
});
