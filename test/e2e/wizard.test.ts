/**
 * The whole wizard on the lab, in Chromium: Discover → Connect (fingerprint pinned on first use)
 * → Verify → Install → Pair → Apply → Done, then the exported bundle is checked on disk.
 * A screenshot of each step lands in test-results/e2e/, and axe-core finds no critical or serious
 * accessibility problem on any of them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../engine/bundle/bundle';
import { describePair } from './flow';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;
/** When the newcomer's walk started (the page shown), and when the pair was protected. */
let walkStartedAt = 0;
let protectedAt = 0;
/** Clicks the page had taken when the pair turned protected (the walk ends there). */
let clicksAtProtected = 0;
/** Clicks made only to check the screens (opening every script), not part of the walk. */
let checkingClicks = 0;

beforeAll(async () => {
  stack = await startStack({ timeScale: 120, latencyMs: 5 }, {}, { viewport: { width: 1366, height: 768 } });
});

afterAll(async () => {
  if (protectedAt > 0) {
    const clicks = clicksAtProtected;
    console.log(
      `The walk to protected: ${clicks - checkingClicks} clicks, ${((protectedAt - walkStartedAt) / 1000).toFixed(1)} s.`,
    );
  }
  await stack?.close();
});

/** Trusted clicks the page received since the walk started. */
async function clickCount(): Promise<number> {
  return stack.page.evaluate(() => Number((globalThis as any).__twinlockClicks ?? 0));
}

const tid = (id: string) => stack.page.getByTestId(id);

async function countWhere(selector: string): Promise<number> {
  return stack.page.locator(selector).count();
}

describe('the wizard, end to end on the lab', () => {
  it('has an accessibility check that bites: an input with no name is reported', async () => {
    await tid('discover-host-row').first().waitFor();
    await stack.page.evaluate(() => {
      // Runs in the page.
      const doc = (globalThis as any).document;
      const input = doc.createElement('input');
      input.id = 'unnamed-probe';
      doc.body.append(input);
    });
    await expect(stack.expectAccessible('a page with an unnamed input')).rejects.toThrow(
      /critical label: .*#unnamed-probe/,
    );
    await stack.page.evaluate(() => (globalThis as any).document.getElementById('unnamed-probe').remove());
  });

  it('discovers the lab servers and picks two', async () => {
    await stack.page.evaluate(() => {
      // Runs in the page: counts the clicks a person would make (trusted events only).
      const g = globalThis as any;
      g.__twinlockClicks = 0;
      g.document.addEventListener('click', (e: any) => e.isTrusted && (g.__twinlockClicks += 1), true);
    });
    walkStartedAt = Date.now();
    const rows = tid('discover-host-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    for (const host of stack.lab.hosts) {
      await expect(tid('discover-hosts').innerText()).resolves.toContain(host.name);
    }
    // The token left the address bar once the page had it.
    expect(stack.page.url()).not.toContain('token=');
    await rows.nth(0).click();
    await rows.nth(1).click();
    expect(await countWhere('[data-testid=discover-host-row][data-selected=true]')).toBe(2);
    await stack.shot('01-discover');
    await tid('wizard-next').click();
  });

  it('connects with the lab account, showing and pinning each host key on first use', async () => {
    await tid('connect-username').waitFor();
    await expect(tid('connect-username').inputValue()).resolves.toBe('Administrator');
    await stack.shot('02-connect');
    await tid('connect-submit').click();
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      await tid('fingerprint-value').waitFor({ timeout: 15_000 });
      seen.push((await tid('fingerprint-value').innerText()).trim());
      if (i === 0) await stack.shot('02-connect-fingerprint');
      await tid('fingerprint-trust').click();
      // The dialog closes, or shows the second server's key.
      await stack.page.waitForFunction((previous) => {
        // Runs in the page.
        const el = (globalThis as any).document.querySelector('[data-testid=fingerprint-value]');
        return !el || el.textContent?.trim() !== previous;
      }, seen[i]);
    }
    expect(seen.sort()).toEqual(stack.lab.hosts.map((h) => h.fingerprint).sort());
    await stack.page.waitForSelector('[data-testid=connect-host-card][data-state=done] >> nth=1', {
      timeout: 15_000,
    });
    const pinned = JSON.parse(readFileSync(`${stack.dataDir}/known_hosts.json`, 'utf8'));
    expect(JSON.stringify(pinned)).toContain(stack.lab.hosts[0]!.fingerprint);
    expect(JSON.stringify(pinned)).not.toContain(stack.lab.hosts[0]!.password);
    await stack.shot('02-connect-done');
    await tid('wizard-next').click();
  });

  it('verifies both servers side by side: ready for Level 3', async () => {
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await expect(tid('verify-verdict').getAttribute('data-outcome')).resolves.toBe('ready');
    await expect(tid('verify-verdict').innerText()).resolves.toContain('Ready for Level 3');
    const matrix = await tid('verify-inventory').innerText();
    for (const fact of ['Xeon(R) Gold 6338', '20348', 'Hyper-V', 'TL-NODE-A', 'TL-NODE-B'])
      expect(matrix).toContain(fact);
    await stack.shot('03-verify');
    await tid('wizard-next').click();
  });

  it('shows the package’s publisher and asks before the first install', async () => {
    const manifest = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../resources/agent/agent-manifest.json'), 'utf8'),
    );
    await tid('install-package').waitFor();
    await expect(tid('install-package').getAttribute('data-trusted')).resolves.toBe('false');
    await expect(tid('install-publisher-subject').innerText()).resolves.toBe(manifest.signer.subject);
    // Before it starts, each server's box says what will happen there, with the version and size.
    const previews = stack.page.locator('[data-testid=install-preview]');
    await expect(previews.count()).resolves.toBe(2);
    const mb = (manifest.size / 1_000_000).toFixed(1);
    for (const text of await previews.allInnerTexts()) {
      expect(text).toContain(`No agent yet. Twinlock copies ${manifest.name} ${manifest.version} (${mb} MB)`);
    }
    await stack.shot('04-install-before');
    await tid('install-start').click();
    await tid('publisher-trust').waitFor();
    await expect(tid('publisher-thumbprint').innerText()).resolves.toBe(manifest.signer.thumbprint);
    await stack.shot('04-install-publisher');
    for (const host of stack.lab.hosts) expect(stack.lab.host(host.name).sftpBytesWritten).toBe(0);
  });

  it('installs the agent on both servers with upload progress', async () => {
    await tid('publisher-trust').click();
    await stack.page.locator('[data-testid=install-package][data-trusted=true]').waitFor({ timeout: 15_000 });
    await tid('install-done').waitFor({ timeout: 90_000 });
    expect(await countWhere('[data-testid=install-host-card][data-state=done]')).toBe(2);
    for (const host of stack.lab.hosts) {
      const lab = stack.lab.host(host.name);
      expect(lab.installedProducts().map((p) => p.version)).toContain('3.2.1');
      expect(lab.services.get('TwinlockAgent')?.status).toBe('Running');
    }
    await stack.shot('04-install');
    await tid('wizard-next').click();
  });

  it('proposes a pair with sensible defaults and no guessed witness', async () => {
    await tid('pair-name').waitFor();
    expect((await tid('pair-name').inputValue()).length).toBeGreaterThan(0);
    expect(await tid('pair-link-row').count()).toBeGreaterThan(0);
    expect(await tid('pair-vm').count()).toBeGreaterThan(0);
    // Nobody chose a witness yet: Next says so.
    await expect(tid('wizard-hint').innerText()).resolves.toMatch(/Choose the witness/);
    // A name the agent cannot take is said beside the field, naming what is wrong; nothing is cut.
    await tid('pair-name').fill('MÜNCHEN-PAIR');
    await tid('pair-name-feedback')
      .filter({ hasText: '“Ü” (U+00DC) cannot be in a pair name. Use the letters A–Z (without accents)' })
      .waitFor();
    await expect(tid('pair-name').getAttribute('aria-invalid')).resolves.toBe('true');
    await tid('pair-name').fill('X'.repeat(45));
    expect(await tid('pair-name').inputValue()).toHaveLength(45);
    await tid('pair-name-feedback')
      .filter({ hasText: /^The pair name is 45 characters: keep it to 40\.$/ })
      .waitFor();
    await stack.shot('05-pair-name-refused');
    await tid('pair-name').fill('PAIR-E2E');
    await tid('pair-name-feedback')
      .filter({ hasText: /^Up to 40 characters\.$/ })
      .waitFor();
    await describePair(stack);
    // Each link measured from both servers, both directions shown with their figures.
    const measured = await tid('pair-link-measure').first().innerText();
    expect(measured).toMatch(/round trip [\d.]+ ms/);
    expect(await tid('pair-link-direction').count()).toBe(2 * (await tid('pair-link-row').count()));
    await expect(tid('pair-witness-result').innerText()).resolves.toContain('TL-NODE-A');
    await stack.shot('05-pair', { whole: true });
    await tid('wizard-next').click();
  });

  it('reviews the plan: every step by server, each with its exact script highlighted', async () => {
    await tid('plan-step').first().waitFor({ timeout: 30_000 });
    await expect(tid('plan-server').count()).resolves.toBe(2);
    await expect(tid('plan-total-restarts').innerText()).resolves.toBe('none');
    const steps = await tid('plan-step').count();
    expect(steps).toBeGreaterThan(2);
    await stack.shot('06-review', { whole: true });
    const before = await clickCount();
    for (let i = 0; i < steps; i++) {
      const row = tid('plan-step').nth(i);
      const script = (await row.locator('.script').innerText()).split('.ps1')[0]!.trim();
      await row.getByTestId('plan-show-script').click();
      const dialog = tid('plan-script-dialog');
      await dialog.waitFor();
      const text = await dialog.getByTestId('plan-script-text').innerText();
      expect(text).toContain(`# Twinlock remote script: ${script}`);
      expect(text).toContain('param($P)');
      // highlight.js marked the PowerShell up: keywords and variables are spans of their own.
      expect(await dialog.locator('[data-testid=plan-script-text] [class^="hljs-"]').count()).toBeGreaterThan(
        5,
      );
      expect(await dialog.locator('[data-testid=plan-script-params] .hljs-attr').count()).toBeGreaterThan(0);
      if (i === 0) await stack.shot('06-review-script');
      await stack.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
    // The plan saved as a file is the plan shown: every step, its scripts' text, its hash.
    const [saved] = await Promise.all([stack.page.waitForEvent('download'), tid('plan-save').click()]);
    expect(saved.suggestedFilename()).toBe('PAIR-E2E.plan.json');
    const file = JSON.parse(readFileSync((await saved.path())!, 'utf8'));
    expect(file.format).toBe('twinlock-plan/1');
    expect(file.steps).toHaveLength(steps);
    expect(file.hash).toMatch(/^[0-9a-f]{64}$/);
    for (const step of file.steps) expect(file.scripts[step.script.name].text).toContain('param($P)');
    checkingClicks += (await clickCount()) - before;
  });

  it('applies exactly the plan with live progress until both servers are protected', async () => {
    await tid('apply-start').waitFor();
    await stack.expectAccessible('Review');
    await tid('apply-start').click();
    await tid('apply-progress').waitFor({ timeout: 15_000 });
    await stack.shot('06-apply-running');
    await tid('apply-done').waitFor({ timeout: 120_000 });
    protectedAt = Date.now();
    clicksAtProtected = await clickCount();
    expect(await countWhere('[data-testid=apply-state][data-stage=protected]')).toBe(2);
    await stack.shot('06-apply-done');
    await tid('wizard-next').click();
  });

  it('shows the result, the elapsed time, and exports the bundle to disk', async () => {
    await tid('done-bundle-path').waitFor({ timeout: 30_000 });
    await expect(tid('done-elapsed').innerText()).resolves.toMatch(/Protected in \d/);
    const path = (await tid('done-bundle-path').innerText()).trim();
    expect(path.startsWith(stack.dataDir)).toBe(true);
    expect(existsSync(path)).toBe(true);
    const text = readFileSync(path, 'utf8');
    const bundle = verifyBundle(text);
    expect(bundle.pair.name).toBe('PAIR-E2E');
    expect(bundle.hosts.map((h) => h.fingerprint).sort()).toEqual(
      stack.lab.hosts.map((h) => h.fingerprint).sort(),
    );
    for (const host of stack.lab.hosts) expect(text).not.toContain(host.password);
    // In the browser the admin gets the same file as a download, and it verifies the same.
    const [download] = await Promise.all([
      stack.page.waitForEvent('download'),
      tid('done-bundle-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe(path.split('/').pop());
    const downloaded = readFileSync((await download.path())!, 'utf8');
    expect(downloaded).toBe(text);
    expect(verifyBundle(downloaded).pair.name).toBe('PAIR-E2E');
    await expect(stack.page.locator('h1').innerText()).resolves.toContain('PAIR-E2E is protected');
    // The topology says where the witness is; the host cards carry names, not the agent's node GUIDs.
    const witness = (
      await stack.engine.api.status({ sessionId: (await stack.engine.api.sessions({}))[0]!.sessionId })
    ).pair?.witness;
    await expect(tid('done-witness-address').textContent()).resolves.toContain(witness!.address.slice(0, 20));
    for (const card of await tid('done-host-status').allInnerTexts()) {
      expect(card).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    }
    await tid('done-updated').waitFor();
    await expect(tid('done-updated').innerText()).resolves.toMatch(/updated \d+ s ago/);
    await stack.shot('07-done', { whole: true });
  });
});
