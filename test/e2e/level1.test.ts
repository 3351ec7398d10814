/**
 * The wizard at Level 1 on the lab, in Chromium: Verify with the cluster's name and address and
 * Windows' Test-Cluster results per category, Install (the Failover Clustering feature), Pair with
 * the cluster and a file share witness, Apply, and the Done screen showing the cluster (nodes,
 * witness, VM roles), the cluster's drills and the removal dialog's feature choice. axe-core
 * checks every screen shot (test-results/e2e/l1-*.png).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectBoth } from './flow';
import { SCREENSHOT_DIR, startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;
const CLUSTER = { name: 'TL-PAIR-CL', address: '192.168.50.50' };

beforeAll(async () => {
  stack = await startStack({ timeScale: 120, latencyMs: 5 }, {}, { viewport: { width: 1366, height: 768 } });
});

afterEach(async (context) => {
  // What the page showed when a step failed, to read beside the error.
  if (context.task.result?.state !== 'fail' || stack === undefined) return;
  await stack.page.addStyleTag({
    content: '.shell { height: auto !important; } .content { overflow: visible !important; }',
  });
  await stack.page.screenshot({ path: join(SCREENSHOT_DIR, 'l1-failed.png'), fullPage: true });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('the wizard at Level 1, end to end on the lab', () => {
  it('verifies for Level 1 with the cluster named; Test-Cluster waits for the feature, and says so', async () => {
    await connectBoth(stack);
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    await tid('verify-level-1').click();
    await tid('verify-cluster').waitFor();
    // A wrong name is said beside the field, in the contract's words, and nothing runs.
    await tid('verify-cluster-name').fill('TL_PAIR');
    await tid('verify-cluster-address').fill(CLUSTER.address);
    await expect(tid('verify-cluster-name-error').innerText()).resolves.toMatch(
      /^A cluster name is a computer name/,
    );
    await expect(tid('verify-cluster-run').isDisabled()).resolves.toBe(true);
    await tid('verify-cluster-name').fill(CLUSTER.name);
    await expect(tid('verify-cluster-run').isDisabled()).resolves.toBe(false);
    await tid('verify-cluster-run').click();
    await stack.page.waitForSelector('[data-testid=verify-run]:not([disabled])', { timeout: 60_000 });
    await expect(tid('verify-verdict').getAttribute('data-outcome')).resolves.not.toBe('blocked');
    await expect(tid('verify-verdict').innerText()).resolves.toContain('Level 1');
    // The findings list the Cluster category like any other.
    await tid('verify-show-passed').click();
    await tid('verify-category').filter({ hasText: 'Cluster' }).first().waitFor();
    // Test-Cluster needs Windows' clustering tools, which Install adds: until then, one line says why.
    await tid('verify-test-cluster').waitFor();
    if ((await tid('verify-test-cluster-not-run').count()) > 0)
      await expect(tid('verify-test-cluster-not-run').innerText()).resolves.toMatch(/Test-Cluster/);
    await stack.shot('l1-03-verify-before-install', { whole: true });
    await tid('wizard-next').click();
  });

  it('enables Failover Clustering on both servers', async () => {
    await tid('install-start').click();
    await tid('install-done').waitFor({ timeout: 120_000 });
    // No agent package at Level 1: no publisher to trust, and the rows say what Windows enabled.
    await expect(tid('publisher-trust').count()).resolves.toBe(0);
    const text = await stack.page.locator('main').innerText();
    expect(text).toContain('Enable Failover Clustering and its tools');
    expect(text).not.toMatch(/Upload the agent package/);
    await stack.shot('l1-04-install', { whole: true });
  });

  it('verifies again with the feature in place: Test-Cluster’s categories, each with its result in words', async () => {
    await tid('wizard-back').click();
    await tid('verify-verdict').waitFor();
    await tid('verify-run').click();
    await stack.page.waitForSelector(
      '[data-testid=verify-test-cluster] [data-testid=verify-test-cluster-category]',
      { timeout: 120_000 },
    );
    await stack.page.waitForSelector('[data-testid=verify-run]:not([disabled])', { timeout: 60_000 });
    await expect(tid('verify-verdict').getAttribute('data-outcome')).resolves.not.toBe('blocked');
    const categories = tid('verify-test-cluster-category');
    const names = await categories.evaluateAll((els) => els.map((e) => e.getAttribute('data-category')));
    for (const name of ['Inventory', 'Network', 'Storage', 'System Configuration', 'Hyper-V Configuration'])
      expect(names).toContain(name);
    // Each category's result is a word, not a colour only.
    for (const text of await categories.locator('button').allInnerTexts())
      expect(text).toMatch(/Passed|Warning|Failed|Not run/);
    // Opened, a category lists its tests; a test that warned or failed carries Windows' own words.
    const first = categories.first();
    await expect(first.locator('[data-testid=verify-test-cluster-test]').first().isVisible()).resolves.toBe(
      false,
    );
    await first.getByTestId('verify-test-cluster-toggle').click();
    await expect(first.getByTestId('verify-test-cluster-toggle').getAttribute('aria-expanded')).resolves.toBe(
      'true',
    );
    await expect(first.locator('[data-testid=verify-test-cluster-test]').count()).resolves.toBeGreaterThan(0);
    const warned = tid('verify-test-cluster-category').filter({
      has: stack.page.locator('[data-testid=verify-test-cluster-test][data-result=warning]'),
    });
    if ((await warned.count()) > 0) {
      await warned.first().getByTestId('verify-test-cluster-toggle').click();
      await expect(
        warned
          .first()
          .locator('[data-result=warning] [data-testid=verify-test-cluster-message]')
          .first()
          .innerText(),
      ).resolves.not.toBe('');
    }
    await stack.shot('l1-03-verify', { whole: true });
    await tid('wizard-next').click();
    await tid('install-done').waitFor();
    await tid('wizard-next').click();
  });

  it('describes the pair at Level 1: the cluster from Verify, the links as its networks, Windows’ witnesses', async () => {
    await tid('pair-name').waitFor({ timeout: 30_000 });
    await expect(tid('pair-level-1').locator('input').isChecked()).resolves.toBe(true);
    await expect(tid('pair-cluster-name').inputValue()).resolves.toBe(CLUSTER.name);
    await expect(tid('pair-cluster-address').inputValue()).resolves.toBe(CLUSTER.address);
    await expect(tid('pair-links-help').innerText()).resolves.toMatch(/heartbeat/);
    // Windows' witnesses, and not the agent's witness server.
    for (const kind of ['share', 'disk', 'cloud', 'none']) await tid(`pair-witness-${kind}`).waitFor();
    await expect(tid('pair-witness-host').count()).resolves.toBe(0);
    // The cloud witness's key is a password field.
    await tid('pair-witness-cloud').click();
    await expect(tid('pair-witness-key').getAttribute('type')).resolves.toBe('password');
    await tid('pair-witness-disk').click();
    await tid('pair-witness-address').fill('Cluster Disk 1');
    await stack.shot('l1-05-pair-disk');
    await tid('pair-witness-share').click();
    await tid('pair-witness-check').click();
    await tid('pair-witness-result').waitFor({ timeout: 30_000 });
    await expect(tid('pair-witness-result').getAttribute('data-ok')).resolves.toBe('true');
    await stack.page.waitForSelector('[data-testid=pair-links-status]:has-text("Measured")', {
      timeout: 60_000,
    });
    await expect(tid('pair-problems').count()).resolves.toBe(0);
    await stack.shot('l1-05-pair', { whole: true });
    await tid('wizard-next').click();
  });

  it('applies the plan: the cluster made, its witness set, the VMs highly available, protected', async () => {
    await tid('plan-step').first().waitFor({ timeout: 30_000 });
    const steps = await tid('plan-step').allInnerTexts();
    expect(steps.join('\n')).toMatch(/cluster/i);
    await tid('apply-start').click();
    await stack.page
      .locator('[data-testid=apply-done], [data-testid=apply-error]')
      .first()
      .waitFor({ timeout: 150_000 });
    if ((await tid('apply-error').count()) > 0)
      throw new Error(`Applying stopped: ${await tid('apply-error').innerText()}`);
    await tid('wizard-next').click();
    await tid('done-live').waitFor();
  });

  it('shows the cluster on Done: name and address, nodes, witness and each VM role', async () => {
    await expect(tid('done-title').innerText()).resolves.toMatch(/is protected$/);
    await tid('done-cluster').waitFor({ timeout: 30_000 });
    await expect(tid('done-cluster').getAttribute('data-name')).resolves.toBe(CLUSTER.name);
    await expect(tid('done-cluster-address').innerText()).resolves.toContain(CLUSTER.address);
    const nodes = tid('done-cluster-node');
    await expect(nodes.count()).resolves.toBe(2);
    for (const state of await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))))
      expect(state).toBe('Up');
    await expect(tid('done-cluster-witness').getAttribute('data-state')).resolves.toBe('Online');
    const roles = tid('done-cluster-role');
    await expect(roles.count()).resolves.toBeGreaterThan(0);
    // Each running VM's role is online; FILE01, off in the lab, is clustered and stays off (Offline).
    const states = await roles.evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-vm'), e.getAttribute('data-state')])),
    );
    expect(states).toEqual({ SQL01: 'Online', APP01: 'Online', FILE01: 'Offline' });
    // The cluster's drills, not the agent's.
    for (const kind of ['primary-loss', 'drain', 'live-migration']) await tid(`drill-kind-${kind}`).waitFor();
    await expect(tid('drill-kind-link-loss').count()).resolves.toBe(0);
    await expect(tid('drill-help').innerText()).resolves.toMatch(/cluster/);
    await stack.shot('l1-07-done', { whole: true });
  });

  it('removes the cluster, offering to remove the feature too (unchecked), each choice its own plan', async () => {
    await tid('unpair-start').click();
    await tid('unpair-cluster').waitFor();
    await expect(tid('unpair-cluster').innerText()).resolves.toContain(
      `failover cluster ${CLUSTER.name} and`,
    );
    await expect(tid('unpair-cluster').innerText()).resolves.toMatch(/computer object/);
    const feature = tid('unpair-remove-feature');
    await expect(feature.innerText()).resolves.toContain(
      'Also remove the Failover Clustering feature (restarts both servers)',
    );
    await expect(feature.getAttribute('aria-checked')).resolves.toBe('false');
    await tid('plan-step').first().waitFor({ timeout: 30_000 });
    const kept = await tid('plan-step').allInnerTexts();
    expect(kept.join('\n')).not.toContain('uninstall-cluster-feature');
    await stack.shot('l1-07-done-unpair');
    // Removing the feature too is another plan, made as the box is ticked.
    await feature.click();
    await stack.page.waitForSelector('[data-testid=plan-step]:has-text("uninstall-cluster-feature")', {
      timeout: 30_000,
    });
    await stack.shot('l1-07-done-unpair-feature');
    await feature.click();
    await stack.page.waitForFunction(
      () =>
        !(globalThis as any).document
          .querySelector('[data-testid=unpair-dialog]')
          ?.textContent?.includes('uninstall-cluster-feature'),
      undefined,
      { timeout: 30_000 },
    );
    await stack.page.waitForSelector('[data-testid=unpair-confirm]', { timeout: 30_000 });
    await tid('unpair-understood').click();
    await stack.page.waitForSelector('[data-testid=unpair-confirm]:not([disabled])', { timeout: 30_000 });
    await tid('unpair-confirm').click();
    await tid('unpair-done').waitFor({ timeout: 120_000 });
    await expect(tid('unpair-done').innerText()).resolves.toContain(
      `the cluster ${CLUSTER.name} is destroyed`,
    );
    await tid('unpair-close').click();
    await expect(tid('done-title').innerText()).resolves.toMatch(/is no longer protected$/);
  });
});
