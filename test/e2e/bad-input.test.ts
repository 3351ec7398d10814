/**
 * Each bad input the admin can type gets its message beside its field, the field marked
 * (`aria-invalid`, tied to the message by `aria-describedby`), "Show me" in the footer brings the
 * first one into view, and nothing changes: no server added, no pair made, no level taken. On a lab
 * whose servers differ in CPU stepping, so verification passes Level 2 and not Level 3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTrustingPublisher } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';
import type { Locator, Page } from 'playwright-core';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ profile: 'stepping-mismatch', latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);
const row = (address: string, port: number) =>
  stack.page.locator(`[data-testid=discover-host-row][data-host="${address}:${port}"]`);

/** The field is marked in error, and the text it is described by is `message`. */
async function expectMarked(
  testid: string,
  message: string | RegExp,
  within: Page | Locator = stack.page,
): Promise<void> {
  const field = within.getByTestId(testid);
  await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
  const describedBy = await field.getAttribute('aria-describedby');
  expect(describedBy).toBeTruthy();
  // Polled: a message may still be fading out as the new one comes in.
  const said = () =>
    stack.page.evaluate(
      (ids) =>
        ids
          .split(' ')
          // Runs in the page.
          .map((id) => (globalThis as any).document.getElementById(id)?.textContent?.trim() ?? '')
          .join(' '),
      describedBy!,
    );
  if (typeof message === 'string') await expect.poll(said).toContain(message);
  else await expect.poll(said).toMatch(message);
}

/** "Show me" in the footer puts the focus in the field `testid` names, in view. */
async function expectShownBy(testid: string): Promise<void> {
  await tid('wizard-hint-show').click();
  await stack.page.waitForFunction(
    (id) => (globalThis as any).document.activeElement?.getAttribute('data-testid') === id,
    testid,
  );
  const box = await stack.page.evaluate(() => {
    // Runs in the page.
    const r = (globalThis as any).document.activeElement.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, height: (globalThis as any).innerHeight };
  });
  expect(box.top).toBeGreaterThanOrEqual(0);
  expect(box.bottom).toBeLessThanOrEqual(box.height);
}

describe('bad input, refused beside its field, changing nothing', () => {
  it('Discover: ports 0 and 70000 are refused, not clamped; a full-width name gets its plain form', async () => {
    await tid('discover-host-row').nth(1).waitFor({ timeout: 30_000 });
    const rowsBefore = await tid('discover-host-row').count();
    await tid('discover-add-address').fill('srv-by-hand');
    for (const port of ['0', '70000']) {
      await tid('discover-add-port').fill(port);
      await tid('discover-add-submit').click();
      await expectMarked('discover-add-port', `“${port}” is not an SSH port`);
      await expect(tid('discover-add-address').getAttribute('aria-invalid')).resolves.toBe('false');
      await expect(tid('discover-add-port').inputValue()).resolves.toBe(port);
      expect(await tid('discover-host-row').count()).toBe(rowsBefore);
      if (port === '0') await stack.shot('01-discover-port-0-refused');
    }
    await tid('discover-add-port').fill('22');
    await tid('discover-add-address').fill('ＳＲＶ－Ａ０１');
    await tid('discover-add-submit').click();
    await expectMarked('discover-add-address', 'Type it in plain letters and digits: SRV-A01');
    await expect(tid('discover-add-port').getAttribute('aria-invalid')).resolves.toBe('false');
    await expect(tid('discover-add-address').inputValue()).resolves.toBe('ＳＲＶ－Ａ０１');
    expect(await tid('discover-host-row').count()).toBe(rowsBefore);
    await stack.shot('01-discover-full-width-refused');
    await tid('discover-add-address').fill('');
  });

  it('the same server picked as primary and secondary is refused at Connect, and Next stays off', async () => {
    const [a, b] = stack.lab.hosts;
    // TL-NODE-A again, by name this time: another entry, the same machine.
    await tid('discover-add-address').fill('localhost');
    await tid('discover-add-port').fill(String(a!.port));
    await tid('discover-add-submit').click();
    // Added by hand, it is picked at once; TL-NODE-A by address is the second pick.
    await row('localhost', a!.port).locator('.n-checkbox--checked').waitFor();
    await row(a!.address, a!.port).click();
    await tid('wizard-next').click();
    await tid('connect-submit').click();
    // One machine: both dialogs show the same key.
    for (let i = 0; i < 2; i++) {
      await tid('fingerprint-trust').waitFor({ timeout: 15_000 });
      await tid('fingerprint-trust').click();
      await stack.page.waitForFunction(
        (n) =>
          (globalThis as any).document.querySelectorAll('[data-testid=connect-host-card][data-state=done]')
            .length > n,
        i,
        { timeout: 15_000 },
      );
    }
    const same = tid('connect-same-server');
    await same.waitFor();
    await expect(same.innerText()).resolves.toContain(`Both picks are the same server, ${a!.name}`);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);
    await expect(tid('wizard-hint').innerText()).resolves.toContain('pick two different servers');
    // Brought into view as it appears, above the footer.
    await expect
      .poll(async () => {
        const box = (await same.boundingBox())!;
        const footer = (await stack.page.locator('footer').boundingBox())!;
        return box.y >= 0 && box.y + box.height <= footer.y + 1;
      })
      .toBe(true);
    await stack.shot('02-connect-same-server');
    // Back to Discover: the second pick becomes the other server.
    await tid('wizard-back').click();
    await row('localhost', a!.port).click();
    await row(b!.address, b!.port).click();
    await tid('wizard-next').click();
    await tid('connect-submit').click();
    await tid('fingerprint-trust').waitFor({ timeout: 15_000 });
    await tid('fingerprint-trust').click();
    await stack.page.waitForSelector('[data-testid=connect-host-card][data-state=done] >> nth=1', {
      timeout: 15_000,
    });
    await expect(tid('connect-same-server').count()).resolves.toBe(0);
    await tid('wizard-next').click();
  });

  it('Pair: addresses that cannot be are refused beside their field, and the level Verify did not pass cannot be taken', async () => {
    // Level 3 is blocked by the CPU stepping: verified again at Level 2, which passes.
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('verify-level-2').click();
    await stack.page
      .locator('[data-testid=verify-verdict]:not([data-outcome=blocked])')
      .waitFor({ timeout: 30_000 });
    await tid('wizard-next').click();
    await installTrustingPublisher(stack);
    await tid('install-done').waitFor({ timeout: 90_000 });
    await tid('wizard-next').click();
    await tid('pair-name').waitFor({ timeout: 30_000 });
    await tid('pair-witness-share').click();
    const before = stack.lab.hosts.map((h) => JSON.stringify(stack.lab.host(h.name).agentStatus()));

    // The level verification did not pass is shown with its reason and cannot be chosen.
    await expect(tid('pair-level-2').getAttribute('class')).resolves.toContain('chosen');
    await expect(tid('pair-level-3').getAttribute('data-blocked')).resolves.toBe('true');
    await expect(tid('pair-level-3-why').innerText()).resolves.toMatch(/stepping/i);
    await expect(tid('pair-level-3').locator('input').isDisabled()).resolves.toBe(true);
    await tid('pair-level-3').click({ force: true });
    await expect(tid('pair-level-2').getAttribute('class')).resolves.toContain('chosen');
    await expect(tid('pair-level-3').getAttribute('class')).resolves.not.toContain('chosen');

    const link = tid('pair-link-row').first();
    const local = link.getByTestId('pair-link-local-address');
    const remote = link.getByTestId('pair-link-remote-address');
    const was = { local: await local.inputValue(), remote: await remote.inputValue() };

    await local.fill('10.10.1.999');
    await expectMarked('pair-link-local-address', 'Use an IP address, for example 172.30.0.1.', link);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);
    await expect(tid('wizard-hint').innerText()).resolves.toContain('Sync link 1: Use an IP address');
    // Scrolled away, "Show me" brings the field back with the focus in it.
    await stack.page.locator('main').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expectShownBy('pair-link-local-address');
    await stack.shot('05-pair-address-refused');

    await local.fill(was.local);
    await remote.fill(was.local);
    await expectMarked(
      'pair-link-remote-address',
      'Both ends have the same address: give each server its own.',
      link,
    );
    await expect(local.getAttribute('aria-invalid')).resolves.toBe('false');
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);

    // The other end on another subnet (the lab's links are /24s).
    const other = was.local.split('.');
    other[2] = String((Number(other[2]) + 1) % 256);
    await remote.fill(other.join('.'));
    await expectMarked('pair-link-remote-address', /^Not on the same \/\d+ subnet as /, link);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);
    await stack.shot('05-pair-subnet-refused');

    // The name: an accented letter and 45 characters, each said beside the field, nothing cut.
    await remote.fill(was.remote);
    const name = await tid('pair-name').inputValue();
    await tid('pair-name').fill('MÜNCHEN-PAIR');
    await expectMarked('pair-name', '“Ü” (U+00DC) cannot be in a pair name.');
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);
    await tid('pair-name').fill('X'.repeat(45));
    await expectMarked('pair-name', 'The pair name is 45 characters: keep it to 40.');
    expect(await tid('pair-name').inputValue()).toHaveLength(45);
    await expectShownBy('pair-name');
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(true);

    // Nothing reached the servers meanwhile.
    const after = stack.lab.hosts.map((h) => JSON.stringify(stack.lab.host(h.name).agentStatus()));
    expect(after).toEqual(before);

    // Put right, every mark goes and the pair may go on at the level verified.
    await tid('pair-name').fill(name);
    await tid('pair-witness-check').click();
    await stack.page.locator('[data-testid=pair-witness-result][data-ok=true]').waitFor({ timeout: 30_000 });
    await stack.page.locator('[data-testid=pair-link-measure]').first().waitFor({ timeout: 60_000 });
    await expect(stack.page.locator('main [aria-invalid="true"]').count()).resolves.toBe(0);
    await expect(tid('wizard-hint-show').count()).resolves.toBe(0);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(false);
    await expect(tid('pair-level-2').getAttribute('class')).resolves.toContain('chosen');
  });
});
