/**
 * Closing the window and opening it again lands on the same step with the same choices: on
 * Install (the install followed from the engine), on Pair (a custom name, an unticked VM, the
 * level and the witness chosen), on Review while applying (the pairing followed to protected),
 * and on the last screen. The draft the engine keeps holds no password.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth, describePair, installTrustingPublisher } from './flow';
import { tabThrough } from './focus';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ timeScale: 120, latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);
const step = () => stack.page.locator('main').getAttribute('data-step');

/** Closes the page as a window is closed, and opens it again on the same engine. */
async function reopen(): Promise<void> {
  // The draft is saved a moment after each change.
  await stack.page.waitForTimeout(600);
  await stack.page.reload();
  await stack.page.locator('main').waitFor();
}

describe('resuming at the same step with the same choices', () => {
  it('during Install: the same step, the install followed to its end', async () => {
    await connectBoth(stack);
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('wizard-next').click();
    await installTrustingPublisher(stack);
    await tid('install-host-card').first().waitFor();
    await reopen();
    await stack.page.locator('main[data-step=install]').waitFor({ timeout: 15_000 });
    await tid('install-done').waitFor({ timeout: 90_000 });
    await stack.shot('14-resume-install', { whole: true });
    await tid('wizard-next').click();
  });

  it('on Pair: the name typed, the VM unticked, the level and the witness chosen', async () => {
    await describePair(stack);
    await tid('pair-name').fill('SITE-B-PAIR');
    const vms = stack.page.locator('[data-testid=pair-vm]');
    const unticked = await vms.nth(1).getAttribute('data-vm');
    await vms.nth(1).click();
    await expect(stack.page.locator('[data-testid=pair-vm].n-checkbox--checked').count()).resolves.toBe(
      (await vms.count()) - 1,
    );
    await reopen();
    await tid('pair-name').waitFor({ timeout: 30_000 });
    await expect(step()).resolves.toBe('pair');
    await expect(tid('pair-name').inputValue()).resolves.toBe('SITE-B-PAIR');
    await expect(
      stack.page.locator(`[data-testid=pair-vm][data-vm="${unticked}"]`).getAttribute('class'),
    ).resolves.not.toMatch(/n-checkbox--checked/);
    await expect(stack.page.locator('[data-testid=pair-witness-share] input').isChecked()).resolves.toBe(
      true,
    );
    // The draft the engine keeps has the choices and never the password.
    const kept = readFileSync(join(stack.dataDir, 'wizard-draft.json'), 'utf8');
    expect(kept).toContain('SITE-B-PAIR');
    expect(kept).not.toContain(stack.lab.hosts[0]!.password);
    await stack.page.locator('[data-testid=pair-link-measure]').first().waitFor({ timeout: 60_000 });
    await tid('pair-witness-result').waitFor({ timeout: 30_000 });
    await stack.shot('14-resume-pair');
    // By keyboard: a ring on every stop; the level and the witness kind are one Tab stop each.
    await tid('pair-name').focus();
    const stops = await tabThrough(stack.page, 80);
    expect(stops.filter((s) => !s.visible).map((s) => s.what)).toEqual([]);
    const groups = stops.filter((s) => s.radioGroup !== null).map((s) => s.radioGroup);
    expect(groups.length).toBeGreaterThanOrEqual(2);
    expect(new Set(groups).size).toBe(groups.length);
  });

  it('during Apply, and on the last screen: the pairing followed to protected, the name kept', async () => {
    await tid('wizard-next').click();
    await tid('plan-step').first().waitFor({ timeout: 30_000 });
    await tid('apply-start').click();
    await tid('apply-progress').waitFor({ timeout: 15_000 });
    await reopen();
    await stack.page.locator('main[data-step=apply]').waitFor({ timeout: 15_000 });
    await tid('apply-done').waitFor({ timeout: 120_000 });
    // Protected: each server says so once (its tag), and the plan is what was changed.
    for (const row of await tid('apply-host-row').all())
      expect((await row.innerText()).match(/Protected/g)?.length).toBe(1);
    // The plan stayed with the window that was closed: the page says where it is recorded.
    await expect(tid('apply-plan-elsewhere').innerText()).resolves.toMatch(/protection report/);
    await stack.shot('14-resume-apply-protected', { whole: true });
    await tid('wizard-next').click();
    await tid('done-live').waitFor();
    await reopen();
    await tid('done-live').waitFor({ timeout: 15_000 });
    await expect(step()).resolves.toBe('done');
    await expect(tid('done-title').innerText()).resolves.toBe('SITE-B-PAIR is protected');
    // Made in this walk: not shown as a pair found already there.
    await expect(tid('done-existing').count()).resolves.toBe(0);
    await stack.shot('14-resume-done', { whole: true });
  });

  it('after Twinlock was closed (its sessions gone): Connect says where it was, and connecting goes on there', async () => {
    for (const s of await stack.engine.api.sessions({}))
      await stack.engine.api.disconnect({ sessionId: s.sessionId });
    await reopen();
    await tid('connect-resume-note').waitFor({ timeout: 15_000 });
    await expect(tid('connect-resume-note').innerText()).resolves.toMatch(/closed on the Protected step/);
    await stack.shot('14-resume-reconnect');
    // The lab's account is filled in; on a real server the admin types the password again.
    await tid('connect-submit').click();
    await stack.page.locator('main[data-step=done]').waitFor({ timeout: 30_000 });
    await expect(tid('done-title').innerText()).resolves.toBe('SITE-B-PAIR is protected');
  });
});
