/**
 * The second half of the wizard on the lab, in Chromium at 1366×768: a plan made stale by a
 * change on a server is refused and planned again; then, on the last screen, a failover drill
 * reaches its result, the protection report downloads as HTML and PDF, and removing protection
 * (planned, shown, confirmed) leaves both servers in no pair.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth, describePair, installTrustingPublisher } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ timeScale: 120, latencyMs: 5 }, {}, { viewport: { width: 1366, height: 768 } });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('plan, apply, prove, remove', () => {
  it('reaches Review with a plan of both servers', async () => {
    await connectBoth(stack);
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('wizard-next').click();
    await installTrustingPublisher(stack);
    await tid('install-done').waitFor({ timeout: 90_000 });
    await tid('wizard-next').click();
    await describePair(stack);
    await tid('wizard-next').click();
    await tid('plan-step').first().waitFor({ timeout: 30_000 });
  });

  it('refuses a plan made before a server changed, shows what changed, and plans again', async () => {
    const a = stack.lab.host('TL-NODE-A');
    a.vms.push({ ...a.vms[0]!, name: 'LATE01' });
    await tid('apply-start').click();
    await tid('plan-stale').waitFor({ timeout: 30_000 });
    await expect(tid('plan-drift').innerText()).resolves.toMatch(/VM LATE01/);
    await stack.shot('08-plan-stale');
    // Nothing was changed on either server.
    for (const h of stack.lab.hosts) expect(stack.lab.host(h.name).agent?.pair ?? null).toBeNull();
    await tid('plan-again').click();
    await tid('plan-stale').waitFor({ state: 'detached', timeout: 30_000 });
    await tid('apply-start').click();
    await tid('apply-done').waitFor({ timeout: 120_000 });
    await tid('wizard-next').click();
    await tid('done-live').waitFor();
  });

  it('runs a failover drill from the last screen after saying what it will do', async () => {
    await tid('drill-kind-primary-loss').click();
    await tid('drill-start').click();
    await tid('drill-confirm').waitFor();
    const said = await tid('drill-confirm').innerText();
    expect(said).toMatch(/TL-NODE-A/);
    expect(said).toMatch(/must come back to protected/);
    await stack.shot('09-drill-confirm');
    await tid('drill-confirm-run').click();
    await tid('drill-result').waitFor({ timeout: 180_000 });
    await expect(tid('drill-result').getAttribute('data-result')).resolves.toBe('passed');
    // Level 3: no visible outage, as Twinlock measured it from outside.
    await expect(tid('drill-measured').innerText()).resolves.toBe('0 s');
    await expect(tid('drill-agent').innerText()).resolves.toMatch(/\d/);
    const timeline = await tid('drill-timeline').innerText();
    expect(timeline).toMatch(/failed-over/);
    expect(timeline).toMatch(/protected/);
    await stack.page
      .locator('[data-testid=done-live][data-states="protected protected"]')
      .waitFor({ timeout: 30_000 });
    await stack.shot('09-drill-result', { whole: true });
  });

  it('downloads the protection report as HTML and as PDF', async () => {
    const [html] = await Promise.all([stack.page.waitForEvent('download'), tid('done-report-html').click()]);
    expect(html.suggestedFilename()).toMatch(/\.html$/);
    const htmlText = readFileSync((await html.path())!, 'utf8');
    expect(htmlText).toMatch(/<html/i);
    expect(htmlText).toContain('TL-NODE-A');
    await tid('done-report-written').waitFor();
    const [pdf] = await Promise.all([stack.page.waitForEvent('download'), tid('done-report-pdf').click()]);
    expect(pdf.suggestedFilename()).toMatch(/\.pdf$/);
    expect(
      readFileSync((await pdf.path())!)
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');
  });

  it('removes protection: planned and shown, confirmed, both servers left in no pair', async () => {
    await tid('unpair-start').click();
    await tid('unpair-dialog').getByTestId('plan-step').first().waitFor({ timeout: 30_000 });
    expect(await tid('unpair-dialog').getByTestId('plan-server').count()).toBe(2);
    await expect(tid('unpair-confirm').isDisabled()).resolves.toBe(true);
    // The lab's link addresses were set by hand before Twinlock: the plan says it leaves them.
    await expect(tid('unpair-dialog').getByTestId('plan-notes').innerText()).resolves.toContain(
      'SLOT 3 Port 1 on TL-NODE-A keeps 10.10.1.21',
    );
    await stack.shot('10-unpair-plan');
    await tid('unpair-understood').click();
    await tid('unpair-confirm').click();
    await tid('unpair-done').waitFor({ timeout: 120_000 });
    for (const s of await stack.engine.api.sessions({})) {
      const status = await stack.engine.api.status({ sessionId: s.sessionId });
      expect(status.pair).toBeNull();
    }
    await tid('unpair-close').click();
    await expect(tid('done-title').innerText()).resolves.toMatch(/no longer protected/);
    await stack.page
      .locator('[data-testid=done-live][data-states="not paired not paired"]')
      .waitFor({ timeout: 30_000 });
    await stack.shot('10-unpaired', { whole: true });
  });
});
