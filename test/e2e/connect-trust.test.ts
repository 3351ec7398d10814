/**
 * Connect as a newcomer meets it: an empty user name is refused beside the field with nothing
 * turning red; the host-key dialog says where and how to read the key on the server (one
 * PowerShell line), shows the key on one line, and puts the focus on the safe answer for each
 * server; nothing says "Try again" while a key waits to be checked; "pinned now" does not
 * outlive a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickBoth } from './flow';
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

describe('Connect: first contact with two servers', () => {
  it('refuses an empty user name beside the field, and no server is marked as failed', async () => {
    await pickBoth(stack);
    await tid('connect-username').fill('');
    await tid('connect-submit').click();
    const problem = tid('connect-username-error');
    await problem.waitFor();
    const text = await problem.innerText();
    expect(text).toContain('user name');
    expect(text).not.toMatch(/username|Correct/);
    expect(await stack.page.locator('[data-testid=connect-host-card][data-state=error]').count()).toBe(0);
    await expect(tid('connect-submit').innerText()).resolves.toBe('Connect to both servers');
    await stack.shot('02-connect-empty-user');
  });

  it('explains how to check the key on the server, keeps it on one line, and starts on “Don’t trust”', async () => {
    await tid('connect-username').fill('Administrator');
    await tid('connect-submit').click();
    for (let i = 0; i < 2; i++) {
      await tid('fingerprint-value').waitFor({ timeout: 15_000 });
      const shown = (await tid('fingerprint-value').innerText()).trim();
      // The safe answer has the focus, for the first server and the second alike.
      await stack.page.waitForFunction(
        () =>
          (globalThis as any).document.activeElement?.getAttribute('data-testid') === 'fingerprint-reject',
      );
      const command = await tid('fingerprint-command').innerText();
      expect(command).toContain('ssh_host_ed25519_key.pub');
      expect(command).toContain('SHA256');
      expect(command).not.toContain('ssh-keygen');
      // One line: the box is no taller than one line of its text plus its padding.
      const box = await tid('fingerprint-value').evaluate((el: any) => ({
        height: el.clientHeight,
        line: parseFloat((globalThis as any).getComputedStyle(el).lineHeight) || 20,
      }));
      expect(box.height).toBeLessThan(box.line * 2 + 24);
      // A key waiting to be checked is not a failure.
      await expect(tid('connect-submit').innerText()).resolves.not.toContain('Try again');
      await expect(stack.page.locator('[data-testid=connect-error]').count()).resolves.toBe(0);
      if (i === 0) await stack.shot('02-connect-fingerprint-check');
      await tid('fingerprint-trust').click();
      await stack.page.waitForFunction((previous) => {
        const el = (globalThis as any).document.querySelector('[data-testid=fingerprint-value]');
        return !el || el.textContent?.trim() !== previous;
      }, shown);
    }
    await stack.page.waitForSelector('[data-testid=connect-host-card][data-state=done] >> nth=1', {
      timeout: 15_000,
    });
    await expect(
      stack.page.locator('[data-testid=connect-host-card]').first().innerText(),
    ).resolves.toContain('pinned now');
  });

  it('after a reload, says the key matches the pinned one rather than “pinned now”', async () => {
    await stack.page.reload();
    await stack.page.waitForSelector('[data-testid=connect-host-card][data-state=done] >> nth=1', {
      timeout: 15_000,
    });
    const cards = await stack.page.locator('[data-testid=connect-host-card]').allInnerTexts();
    for (const card of cards) {
      expect(card).toContain('matches the pinned key');
      expect(card).not.toContain('pinned now');
    }
  });
});
