/** Steps several end-to-end tests share: picking the lab's two servers and connecting to them. */
import type { Stack } from './harness';

/** From Discover to the Connect screen, with both lab servers picked. */
export async function pickBoth(stack: Stack): Promise<void> {
  const tid = (id: string) => stack.page.getByTestId(id);
  const rows = tid('discover-host-row');
  await rows.first().waitFor();
  await rows.nth(0).click();
  await rows.nth(1).click();
  await tid('wizard-next').click();
}

/** After Connect was pressed: trusts each server's key as it is shown, until both are connected. */
export async function trustBoth(stack: Stack): Promise<void> {
  const tid = (id: string) => stack.page.getByTestId(id);
  for (let i = 0; i < 2; i++) {
    await tid('fingerprint-trust').waitFor({ timeout: 15_000 });
    const shown = (await tid('fingerprint-value').innerText()).trim();
    await tid('fingerprint-trust').click();
    await stack.page.waitForFunction((previous) => {
      // Runs in the page.
      const el = (globalThis as any).document.querySelector('[data-testid=fingerprint-value]');
      return !el || el.textContent?.trim() !== previous;
    }, shown);
  }
  await stack.page.waitForSelector('[data-testid=connect-host-card][data-state=done] >> nth=1', {
    timeout: 15_000,
  });
}

/** From Discover to the Verify screen: picks both lab servers, trusts their keys, connects. */
export async function connectBoth(stack: Stack): Promise<void> {
  await pickBoth(stack);
  await stack.page.getByTestId('connect-submit').click();
  await trustBoth(stack);
  await stack.page.getByTestId('wizard-next').click();
}

/**
 * The first install on a workstation: presses Install, and confirms the publisher the dialog
 * shows (as an admin does after comparing the thumbprint); returns the thumbprint shown.
 */
export async function installTrustingPublisher(stack: Stack): Promise<string> {
  const tid = (id: string) => stack.page.getByTestId(id);
  await tid('install-start').click();
  await tid('publisher-trust').waitFor({ timeout: 15_000 });
  const thumbprint = (await tid('publisher-thumbprint').innerText()).trim();
  await tid('publisher-trust').click();
  return thumbprint;
}

/**
 * On the Pair screen: chooses the file share the lab offers as witness, checks it from both
 * servers, and waits for the sync links' measurement (made once as the screen opens).
 */
export async function describePair(stack: Stack): Promise<void> {
  const tid = (id: string) => stack.page.getByTestId(id);
  await tid('pair-name').waitFor({ timeout: 30_000 });
  await tid('pair-witness-share').click();
  await tid('pair-witness-check').click();
  await stack.page
    .locator('[data-testid=pair-witness-result], [data-testid=pair-witness-error]')
    .first()
    .waitFor({ timeout: 30_000 });
  const ok = await tid('pair-witness-result')
    .getAttribute('data-ok')
    .catch(() => null);
  if (ok !== 'true') throw new Error(`The witness check failed: ${await tid('pair-witness').innerText()}`);
  await stack.page.locator('[data-testid=pair-link-measure]').first().waitFor({ timeout: 60_000 });
}

/** From Discover to the last screen with the pair protected (the lab's defaults everywhere). */
export async function walkToProtected(stack: Stack): Promise<void> {
  const tid = (id: string) => stack.page.getByTestId(id);
  await connectBoth(stack);
  await tid('verify-verdict').waitFor({ timeout: 30_000 });
  await tid('wizard-next').click();
  await installTrustingPublisher(stack);
  await tid('install-done').waitFor({ timeout: 90_000 });
  await tid('wizard-next').click();
  await describePair(stack);
  await tid('wizard-next').click();
  await tid('plan-step').first().waitFor({ timeout: 30_000 });
  await tid('apply-start').click();
  await tid('apply-done').waitFor({ timeout: 120_000 });
  await tid('wizard-next').click();
  await tid('done-live').waitFor();
}
