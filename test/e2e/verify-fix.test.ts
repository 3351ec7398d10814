/**
 * The Verify screen on a pair where the second server lacks Hyper-V: the finding offers a fix,
 * the dialog shows the exact script and warns of the restart, the fix runs, the server restarts
 * and comes back, and the verdict turns ready. The report is then exported as HTML and PDF.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(
    { profile: 'no-hyper-v', timeScale: 120, latencyMs: 5 },
    { timings: { fix: { pollMs: 200, rebootTimeoutMs: 120_000, restartDelaySeconds: 1 } } },
  );
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('Verify: a fix that changes the verdict', () => {
  it('shows the missing Hyper-V role as a blocker with a Fix button', async () => {
    await connectBoth(stack);
    const verdict = tid('verify-verdict');
    await verdict.waitFor({ timeout: 30_000 });
    await expect(verdict.getAttribute('data-outcome')).resolves.toBe('blocked');
    const fix = stack.page.locator('[data-testid=verify-fix][data-fix=install-hyperv]');
    await expect(fix.count()).resolves.toBe(1);
    await expect(fix.innerText()).resolves.toContain('TL-NODE-B');
    const row = stack.page.locator('[data-testid=verify-compare-row][data-label=Hyper-V]');
    await expect(row.getAttribute('data-differs')).resolves.toBe('true');
    await stack.shot('03-verify-blocked', { whole: true });
  });

  it('previews the exact script, warns of the restart, runs it and verifies again', async () => {
    await stack.page.locator('[data-testid=verify-fix][data-fix=install-hyperv]').click();
    await tid('verify-fix-script').waitFor({ timeout: 15_000 });
    const script = await tid('verify-fix-script').innerText();
    expect(script).toContain('# Twinlock remote script: fix-install-feature');
    expect(script).toContain('param($P)');
    await expect(tid('verify-fix-params').innerText()).resolves.toContain('Hyper-V');
    await tid('verify-fix-reboot').waitFor();
    await stack.shot('03-verify-fix-preview');

    await tid('verify-fix-run').click();
    await tid('verify-fix-progress').waitFor();
    // The fix is a job: its stages show as they come, and the wait for the restart can be stopped.
    await tid('verify-fix-progress').getByText('Restarting TL-NODE-B').waitFor({ timeout: 30_000 });
    await tid('verify-fix-stop').waitFor();
    await stack.shot('03-verify-fix-restarting');
    await tid('verify-fix-result').waitFor({ timeout: 90_000 });
    await expect(tid('verify-fix-result').innerText()).resolves.toMatch(/restarted/i);
    expect(stack.lab.host('TL-NODE-B').profile.roles.hyperV).toBe(true);
    await stack.shot('03-verify-fix-done');
    await tid('verify-fix-close').click();

    await expect(tid('verify-verdict').getAttribute('data-outcome')).resolves.not.toBe('blocked');
    await expect(
      stack.page.locator('[data-testid=verify-fix][data-fix=install-hyperv]').count(),
    ).resolves.toBe(0);
    await expect(tid('wizard-next').isDisabled()).resolves.toBe(false);
    await stack.shot('03-verify-after-fix');
  });

  it('opens “why this must match” on a row in plain words', async () => {
    const ubr = stack.page.locator('[data-testid=verify-finding][data-rule="os.ubr"]');
    const why = ubr.getByRole('button', { name: 'Why this must match' });
    if ((await why.count()) === 0) await tid('verify-show-passed').click();
    await why.click();
    await expect(ubr.getByRole('button', { name: 'Hide why' }).getAttribute('aria-expanded')).resolves.toBe(
      'true',
    );
    await expect(ubr.locator('[data-testid=verify-why-text]').innerText()).resolves.toContain(
      'Update Build Revision',
    );
    await stack.shot('03-verify-why');
    await ubr.getByRole('button', { name: 'Hide why' }).click();
  });

  it('exports the report as HTML and PDF: the browser downloads each, and the page says where the engine keeps its copy', async () => {
    for (const format of ['html', 'pdf'] as const) {
      const [download] = await Promise.all([
        stack.page.waitForEvent('download', { timeout: 60_000 }),
        tid(`verify-export-${format}`).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(
        new RegExp(`^verification-TL-NODE-A-TL-NODE-B\\.${format}$`),
      );
      const got = await download.path();
      const bytes = readFileSync(got);
      if (format === 'html') expect(bytes.toString('utf8')).toContain('TL-NODE-B');
      else expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      await expect(tid('verify-export-done').innerText()).resolves.toContain('Downloaded by your browser.');
      const path = stack.page.locator(`[data-testid=verify-export-path][data-format=${format}]`);
      await path.waitFor({ timeout: 60_000 });
      const written = (await path.innerText()).trim();
      expect(written.startsWith(stack.dataDir)).toBe(true);
      expect(written.endsWith(`.${format}`)).toBe(true);
      expect(existsSync(written)).toBe(true);
      expect(statSync(written).size).toBeGreaterThan(1000);
      if (format === 'html') expect(readFileSync(written, 'utf8')).toContain('TL-NODE-B');
      else expect(readFileSync(written).subarray(0, 5).toString()).toBe('%PDF-');
    }
    await stack.shot('03-verify-exported', { whole: true });
  });
});
