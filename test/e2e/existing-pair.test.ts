/**
 * Two servers another Twinlock already paired: the wizard says so on Connect ("already protected
 * as PAIR-01 — Level 3, …, 2 VMs"), shows the protected pair with its actions without walking the
 * steps again (no plan, no pairing), lands there again after a reload, and checks the pair against
 * its bundle: a VM unprotected on the server since shows as a difference, with what applying the
 * bundle would change, and "Bring it back" plans exactly that correction.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, HostSession, TwinlockEngine } from '../../engine/api';
import { createEngine } from '../../engine/engine';
import { trustPackagePublisher } from '../integration/engine/trust-publisher';
import { pickBoth, trustBoth } from './flow';
import { tabThrough } from './focus';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;
let otherDir: string;
let bundleFile: string;
/** Jobs the wizard's engine started, by kind. */
const jobKinds = new Set<string>();

/** Another workstation pairs the lab's servers as PAIR-01 (Level 3, the lab's witness, both VMs) and exports its bundle. */
async function pairedElsewhere(): Promise<void> {
  otherDir = mkdtempSync(join(tmpdir(), 'twinlock-e2e-other-'));
  const other: TwinlockEngine = createEngine({
    dataDir: otherDir,
    lab: { hosts: stack.lab.hosts, witness: stack.lab.suggestedWitness },
  });
  try {
    await trustPackagePublisher(other.api);
    const sessions = (await Promise.all(
      stack.lab.hosts.map((h) =>
        other.api.connect({
          address: h.address,
          port: h.port,
          username: h.username,
          password: h.password,
          acceptFingerprint: h.fingerprint,
        }),
      ),
    )) as [HostSession, HostSession];
    const ids: [string, string] = [sessions[0].sessionId, sessions[1].sessionId];
    const install = await other.api.waitJob({ jobId: (await other.api.install({ sessions: ids })).jobId });
    expect(install.state).toBe('done');
    const proposal = await other.api.proposePair({ primary: ids[0], secondary: ids[1] });
    const config = {
      ...proposal.config,
      name: 'PAIR-01',
      level: 3 as const,
      witness: proposal.config.witness ?? stack.lab.suggestedWitness,
      vms: proposal.vms.slice(0, 2).map((v) => v.name),
    };
    const paired = await other.api.waitJob({ jobId: (await other.api.pair(config)).jobId });
    expect(paired.error).toBeNull();
    const exported = await other.api.exportBundle({ config });
    bundleFile = join(otherDir, 'PAIR-01.twinlock.json');
    writeFileSync(bundleFile, `${JSON.stringify(exported.bundle, null, 2)}\n`);
  } finally {
    await other.close();
  }
}

beforeAll(async () => {
  stack = await startStack({ timeScale: 600, latencyMs: 5 });
  await pairedElsewhere();
  stack.engine.subscribe((e: ApiEvent) => {
    if (e.type === 'job') jobKinds.add(e.job.kind);
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  if (otherDir) rmSync(otherDir, { recursive: true, force: true });
});

const tid = (id: string) => stack.page.getByTestId(id);

describe('an existing pair', () => {
  it('is said plainly on Connect, with its level, witness and VMs', async () => {
    await pickBoth(stack);
    await tid('connect-submit').click();
    await trustBoth(stack);
    await tid('connect-existing-pair').waitFor({ timeout: 15_000 });
    const said = await tid('connect-existing-pair').innerText();
    expect(said).toMatch(
      /These servers are already protected as PAIR-01 — Level 3, witness share \\\\TL-WITNESS\\\S+, 2 VMs\./,
    );
    await expect(tid('wizard-next').innerText()).resolves.toBe('Next: The protected pair');
    await stack.shot('13-connect-existing-pair');
  });

  it('shows the protected pair with its actions, without planning or pairing anything', async () => {
    await tid('connect-show-existing').click();
    await tid('done-live').waitFor();
    await expect(tid('done-title').innerText()).resolves.toBe('PAIR-01 is protected');
    await expect(tid('done-existing').innerText()).resolves.toMatch(/already protected as PAIR-01/);
    await stack.page
      .locator('[data-testid=done-live][data-states="protected protected"]')
      .waitFor({ timeout: 15_000 });
    for (const action of ['drill-start', 'drift-open', 'unpair-start', 'done-report-html'])
      await expect(tid(action).isVisible()).resolves.toBe(true);
    await expect(tid('done-bundle-existing').isVisible()).resolves.toBe(true);
    expect(jobKinds.has('pair')).toBe(false);
    await stack.shot('13-done-existing-pair', { whole: true });
    // Back leads to Connect, never to Review (which would pair them again).
    await tid('wizard-back').click();
    await expect(stack.page.locator('main').getAttribute('data-step')).resolves.toBe('connect');
    await tid('wizard-next').click();
    await tid('done-live').waitFor();
  });

  it('by keyboard: every stop shows its focus ring, the drill choice is one Tab stop moved with the arrows', async () => {
    await tid('done-refresh').focus();
    const stops = await tabThrough(stack.page, 60);
    expect(stops.length).toBeGreaterThan(5);
    expect(stops.filter((s) => !s.visible).map((s) => s.what)).toEqual([]);
    const radios = stops.filter((s) => s.radioGroup !== null);
    expect(radios.map((r) => r.radioGroup)).toEqual(['drill-kind']);
    await stack.page.locator('[data-testid=drill-kind-primary-loss] input').focus();
    await stack.page.keyboard.press('ArrowDown');
    await expect(stack.page.locator('[data-testid=drill-kind-link-loss] input').isChecked()).resolves.toBe(
      true,
    );
    await stack.page.keyboard.press('ArrowUp');
    await expect(stack.page.locator('[data-testid=drill-kind-primary-loss] input').isChecked()).resolves.toBe(
      true,
    );
  });

  it('after a reload, opens on the protected pair again', async () => {
    await stack.page.reload();
    await tid('done-existing').waitFor({ timeout: 15_000 });
    await expect(stack.page.locator('main').getAttribute('data-step')).resolves.toBe('done');
    expect(jobKinds.has('pair')).toBe(false);
  });

  it('checked against its bundle after a VM was unprotected on the server: the difference, and what applying changes', async () => {
    const pair = stack.lab.host('TL-NODE-A').agent!.pair!;
    const dropped = [...pair.protectedVms][1]!;
    pair.protectedVms.delete(dropped);
    await tid('drift-file').setInputFiles(bundleFile);
    // Signed on the other workstation: its key is compared and trusted first, as for a host key.
    await tid('drift-signer-trust').click();
    await tid('drift-table').waitFor({ timeout: 60_000 });
    const rows = stack.page.locator('[data-testid=drift-row]');
    const vmRow = stack.page.locator('[data-testid=drift-row][data-field=vms]');
    await expect(vmRow.count()).resolves.toBeGreaterThan(0);
    const text = await vmRow.first().innerText();
    expect(text).toContain(dropped);
    expect(await vmRow.first().getByTestId('drift-change').innerText()).not.toBe('');
    await expect(tid('drift-differs').innerText()).resolves.toMatch(/PAIR-01 differs from its bundle/);
    expect(await rows.count()).toBeGreaterThan(0);
    // Nothing was changed by looking.
    expect(pair.protectedVms.has(dropped)).toBe(false);
    await stack.shot('13-drift-differences', { whole: true });
  });

  it('“Bring it back” plans exactly the correction, applies it, and the pair matches its bundle again', async () => {
    await tid('drift-bring-back').click();
    await stack.page.locator('main[data-step=apply]').waitFor({ timeout: 30_000 });
    await tid('plan-corrects').waitFor({ timeout: 60_000 });
    await expect(tid('plan-corrects').innerText()).resolves.toMatch(/brings PAIR-01 back to its bundle/);
    await stack.shot('13-drift-review', { whole: true });
    await tid('apply-start').click();
    await tid('apply-done').waitFor({ timeout: 120_000 });
    // Protected: each server says so once (its tag), and the plan's card says what was changed.
    for (const row of await tid('apply-host-row').all())
      expect((await row.innerText()).match(/Protected/g)?.length).toBe(1);
    await expect(tid('apply-plan').innerText()).resolves.toMatch(/^What was changed/);
    await stack.shot('13-drift-applied', { whole: true });
    await tid('wizard-next').click();
    await tid('drift-matches').waitFor({ timeout: 60_000 });
    await expect(tid('drift-matches').innerText()).resolves.toMatch(/PAIR-01 matches its bundle/);
    await expect(tid('done-corrected').innerText()).resolves.toBe('Brought back to its bundle');
    const pair = stack.lab.host('TL-NODE-A').agent!.pair!;
    expect(pair.protectedVms.size).toBe(2);
    await stack.shot('13-drift-matches', { whole: true });
  });
});
