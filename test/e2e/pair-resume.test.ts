/**
 * Twinlock is closed in the middle of a pairing; at the next start the wizard offers to finish
 * the interrupted pairing (its name, level and both servers, primary first, with what each had
 * done), asks for the password to reconnect, follows the pairing on Review and reaches the last
 * screen with the pair protected on both servers. A pairing that cannot be finished (a sync link
 * went down meanwhile) is removed from both servers, and Review says so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSnapshotOf, PairConfig } from '../../engine/api';
import { createEngine } from '../../engine/engine';
import { startStack } from './harness';
import type { Stack } from './harness';
import { trustPackagePublisher } from '../integration/engine/trust-publisher';

let stack: Stack;

beforeEach(async () => {
  stack = await startStack({ timeScale: 120, latencyMs: 5 });
});

afterEach(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);
const pairOn = (name: string) =>
  (stack.lab.host(name).agentStatus()?.pair ?? null) as { name: string; state: string } | null;

/** The states a pair goes through once both servers hold it, before it is protected. */
const UNDER_WAY = new Set(['pairing', 'mirroring', 'syncing']);

/**
 * Another Twinlock process on the same data folder installs the agent, starts pairing the servers
 * and is closed once both hold the pair (past the links, create, join and protect steps), while
 * it waits for the pair to be protected.
 */
async function interruptedPairing(options: { draft?: boolean } = {}): Promise<PairConfig> {
  const other = createEngine({
    dataDir: stack.dataDir,
    lab: { hosts: stack.lab.hosts, witness: stack.lab.suggestedWitness },
  });
  try {
    // This other window's admin confirmed the publisher before installing.
    await trustPackagePublisher(other.api);
    const ids: string[] = [];
    for (const h of stack.lab.hosts) {
      const s = await other.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      });
      ids.push(s.sessionId);
    }
    const install = await other.api.install({ sessions: [ids[0]!, ids[1]!] });
    const installed = await other.api.waitJob({ jobId: install.jobId });
    expect(installed.error).toBeNull();
    expect(installed.state).toBe('done');

    const { config } = await other.api.proposePair({ primary: ids[0]!, secondary: ids[1]! });
    let lastSeen: JobSnapshotOf<'pair'> | null = null;
    const underWay = new Promise<void>((resolve, reject) => {
      other.subscribe((e) => {
        if (e.type !== 'job' || e.job.kind !== 'pair') return;
        const job = e.job as JobSnapshotOf<'pair'>;
        lastSeen = job;
        if (job.state !== 'running')
          reject(new Error(`The pairing ended (${job.state}) before it could be interrupted.`));
        // A server past the first step: waiting for the pair both servers hold to be protected.
        else if (Object.values(job.hosts).some((p) => UNDER_WAY.has(p.step))) resolve();
      });
    });
    const ref = await other.api.pair(config);
    if (options.draft === true) {
      // That window was on Review, following the pairing: its draft names the step, the servers and the job.
      await other.api.saveWizardDraft({
        draft: {
          step: 'apply',
          servers: stack.lab.hosts.map((h) => `${h.address}:${h.port}`),
          verifyLevel: config.level,
          applyJobId: ref.jobId,
          savedAt: new Date().toISOString(),
        },
      });
    }
    await underWay;
    expect(lastSeen!.id).toBe(ref.jobId);
    return config;
  } finally {
    await other.close();
  }
}

describe('Pair: resuming after Twinlock was closed', () => {
  it('offers the interrupted pairing at start and finishes it to protected', async () => {
    const config = await interruptedPairing();
    const [primary, secondary] = stack.lab.hosts;
    // Closed half way: both servers hold the pair, not yet protected.
    expect(pairOn(primary!.name)?.name).toBe(config.name);
    expect(pairOn(secondary!.name)?.name).toBe(config.name);

    await stack.page.reload();
    const dialog = tid('resume-dialog');
    await dialog.waitFor({ timeout: 15_000 });
    await expect(dialog.getAttribute('data-kind')).resolves.toBe('pair');
    const text = await dialog.innerText();
    expect(text).toContain('Finish the interrupted pairing?');
    expect(text).toContain(`${config.name} (Level ${config.level} · `);
    // Both servers, the primary first, each with what it had done.
    const rows = await tid('resume-host').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(`${primary!.name} (primary`);
    expect(rows[0]).toMatch(/sync links tested.*pair created/);
    expect(rows[1]).toContain(`${secondary!.name} (secondary`);
    expect(rows[1]).toContain('joined the pair');
    await expect(tid('resume-what').innerText()).resolves.toMatch(/nothing is left half made/);
    await expect(tid('resume-discard-note').innerText()).resolves.toContain('twinlock unpair');
    await expect(tid('resume-submit').innerText()).resolves.toBe('Resume the pairing');
    await stack.shot('15-pair-resume-offer');

    // Without the password the dialog says what it needs, in a sentence.
    await tid('resume-submit').click();
    await expect(tid('resume-error').innerText()).resolves.toMatch(/password/i);
    await stack.shot('15-pair-resume-password');
    await tid('connect-password-resume').fill(primary!.password);
    await tid('resume-submit').click();

    // Followed on Review until protected, then on to the last screen.
    await stack.page.locator('main[data-step=apply]').waitFor({ timeout: 15_000 });
    await tid('apply-progress').waitFor({ timeout: 15_000 });
    await tid('apply-done').waitFor({ timeout: 120_000 });
    // The dialog closes (naive-ui unmounts it once its leave transition ends).
    await dialog.waitFor({ state: 'detached', timeout: 15_000 });
    const hostRows = await tid('apply-host-row').allInnerTexts();
    expect(hostRows).toHaveLength(2);
    expect(hostRows[0]).toContain(primary!.name);
    // The pair being made, as the journal has it.
    await expect(tid('apply-review').innerText()).resolves.toContain(config.name);
    await stack.shot('15-pair-resume-protected', { whole: true });
    await tid('wizard-next').click();
    await stack.page.locator('main[data-step=done]').waitFor({ timeout: 15_000 });
    await tid('done-live').waitFor({ timeout: 15_000 });
    await expect(tid('done-title').innerText()).resolves.toBe(`${config.name} is protected`);
    // Made by the pairing that was resumed: not shown as a pair found already there; and the walk
    // began in the window that was closed, so no time is claimed for it.
    await expect(tid('done-existing').count()).resolves.toBe(0);
    await expect(tid('done-elapsed').count()).resolves.toBe(0);

    expect(pairOn(primary!.name)).toMatchObject({ name: config.name, state: 'protected' });
    expect(pairOn(secondary!.name)).toMatchObject({ name: config.name, state: 'protected' });
    expect(await stack.engine.api.resumableJobs({})).toEqual([]);
    await stack.shot('15-pair-resume-done', { whole: true });
  });

  it("resumes a pairing the wizard was following on Review when it was closed: the job's screen, not the draft's", async () => {
    const config = await interruptedPairing({ draft: true });
    const [primary, secondary] = stack.lab.hosts;
    await stack.page.reload();
    await tid('resume-dialog').waitFor({ timeout: 15_000 });
    await tid('connect-password-resume').fill(primary!.password);
    await tid('resume-submit').click();
    await stack.page.locator('main[data-step=apply]').waitFor({ timeout: 15_000 });
    await tid('apply-done').waitFor({ timeout: 120_000 });
    // Still on Review, with both servers the wizard is connected to, primary first.
    await stack.page.waitForTimeout(500);
    await expect(stack.page.locator('main').getAttribute('data-step')).resolves.toBe('apply');
    const rows = await tid('apply-host-row').allInnerTexts();
    expect(rows[0]).toContain(primary!.name);
    expect(rows[1]).toContain(secondary!.name);
    await tid('wizard-next').click();
    await tid('done-live').waitFor({ timeout: 15_000 });
    await expect(tid('done-title').innerText()).resolves.toBe(`${config.name} is protected`);
    await expect(tid('done-live').innerText()).resolves.toContain(secondary!.name);
    await expect(tid('done-existing').count()).resolves.toBe(0);
    await stack.shot('15-pair-resume-draft-done');
  });

  it('removes from both servers a pairing that cannot be finished, and says so on Review', async () => {
    const config = await interruptedPairing();
    const [primary, secondary] = stack.lab.hosts;
    // While Twinlock was closed, a sync link went down: the pair is no longer healthy.
    stack.lab.host(secondary!.name).faults.syncLinkDown = true;
    expect(pairOn(primary!.name)?.state).toBe('degraded');

    await stack.page.reload();
    await tid('resume-dialog').waitFor({ timeout: 15_000 });
    await tid('connect-password-resume').fill(primary!.password);
    await tid('resume-submit').click();

    await stack.page.locator('main[data-step=apply]').waitFor({ timeout: 15_000 });
    const error = tid('apply-error');
    await error.waitFor({ timeout: 60_000 });
    const said = await error.innerText();
    expect(said).toContain(`could not be finished (${primary!.name} reports it degraded)`);
    expect(said).toContain(`${primary!.name} and ${secondary!.name} are not paired`);
    // Nothing is left half made.
    expect(pairOn(primary!.name)).toBeNull();
    expect(pairOn(secondary!.name)).toBeNull();
    expect(await stack.engine.api.resumableJobs({})).toEqual([]);
    await expect(tid('apply-done').count()).resolves.toBe(0);
    // The next step is the wizard's: pairing again starts on the Pair screen; there is no plan here to apply.
    expect(said).toMatch(/go Back to the Pair screen/);
    await expect(tid('apply-start').count()).resolves.toBe(0);
    await expect(tid('apply-plan-elsewhere').count()).resolves.toBe(0);
    await expect(tid('wizard-hint').innerText()).resolves.toBe('Go Back to pair the servers again.');
    await stack.shot('15-pair-resume-rolled-back', { whole: true });
    await tid('wizard-back').click();
    await stack.page.locator('main[data-step=pair]').waitFor({ timeout: 15_000 });
    await expect(tid('pair-name').inputValue()).resolves.not.toBe('');
    expect(config.name).not.toBe('');
  });
});
