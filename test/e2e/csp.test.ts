/**
 * The wizard runs under a Content-Security-Policy without 'unsafe-inline': Naive UI's run-time
 * <style> elements carry the page's per-load nonce, nothing is refused while the first screens
 * are walked, and the components are styled. Markup-injected styles stay blocked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ latencyMs: 5 });
  // Recorded from the first byte of every load, in the page's own world.
  await stack.page.addInitScript(() => {
    const w = globalThis as any;
    w.__violations = [];
    w.document.addEventListener('securitypolicyviolation', (e: any) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    );
  });
});

afterAll(async () => {
  await stack?.close();
});

const violations = (): Promise<string[]> => stack.page.evaluate(() => (globalThis as any).__violations);

describe('Content-Security-Policy of the wizard', () => {
  it('has no unsafe-inline, a fresh nonce per load, and refuses nothing on the first screens', async () => {
    const first = await stack.page.reload();
    const policy = first!.headers()['content-security-policy']!;
    expect(policy).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}'/);
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).toContain("script-src 'self'");
    const again = await stack.page.reload();
    const nonceOf = (p: string) => /'nonce-([^']+)'/.exec(p)?.[1];
    expect(nonceOf(again!.headers()['content-security-policy']!)).not.toBe(nonceOf(policy));

    await stack.page.getByTestId('discover-host-row').first().waitFor();
    await connectBoth(stack);
    await stack.page.getByTestId('wizard-next').waitFor();
    expect(await violations()).toEqual([]);
    expect(stack.cspViolations).toEqual([]);

    // Naive UI's styles are mounted, each with this load's nonce.
    const styles: { count: number; withNonce: number } = await stack.page.evaluate(() => {
      const els: any[] = [...(globalThis as any).document.querySelectorAll('style[cssr-id]')];
      return { count: els.length, withNonce: els.filter((el) => el.nonce !== '').length };
    });
    expect(styles.count).toBeGreaterThan(10);
    expect(styles.withNonce).toBe(styles.count);
  });

  it('renders styled: a Naive UI button has its theme background, not the browser default', async () => {
    const button = stack.page.locator('.n-button--primary-type').first();
    await button.waitFor();
    const look: { background: string; radius: string } = await button.evaluate((el) => {
      const s = (globalThis as any).getComputedStyle(el);
      return { background: s.backgroundColor, radius: s.borderTopLeftRadius };
    });
    // Without Naive UI's style elements a <button> keeps Chromium's grey (rgb(239, 239, 239)) and outset border.
    expect(look.background).not.toMatch(/^rgba?\(0, 0, 0(, 0)?\)$|rgb\(239, 239, 239\)/);
    expect(look.background).toMatch(/^rgb/);
    expect(look.radius).not.toBe('0px');
  });

  it('still blocks a <style> element or a style attribute injected as markup', async () => {
    const before = (await violations()).length;
    const color: string = await stack.page.evaluate(() => {
      const doc = (globalThis as any).document;
      const box = doc.createElement('div');
      box.innerHTML =
        '<style>.injected-probe { color: rgb(255, 0, 0) !important; }</style><p class="injected-probe" style="color: rgb(255, 0, 0)">x</p>';
      doc.body.append(box);
      const value = (globalThis as any).getComputedStyle(box.querySelector('p')).color;
      box.remove();
      return value;
    });
    expect(color).not.toBe('rgb(255, 0, 0)');
    await stack.page.waitForFunction((n) => (globalThis as any).__violations.length >= n + 2, before);
    const added = (await violations()).slice(before);
    expect(added.some((v) => v.startsWith('style-src-elem'))).toBe(true);
    expect(added.some((v) => v.startsWith('style-src-attr'))).toBe(true);
    // Refused on purpose: not a failure of the page. The console reports them as they come.
    await expect.poll(() => stack.cspViolations.length).toBeGreaterThan(0);
    stack.cspViolations.length = 0;
  });
});
