/**
 * Twinlock is closed in the middle of an upload; at the next start the wizard offers to finish
 * the interrupted installation, asks for the password to reconnect, and completes it on the
 * Install screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../engine/engine';
import { startStack } from './harness';
import type { Stack } from './harness';
import { trustPackagePublisher } from '../integration/engine/trust-publisher';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ timeScale: 120, latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

/** Another Twinlock process on the same data folder, closed while its upload runs. */
async function interruptedInstall(): Promise<void> {
  const other = createEngine({ dataDir: stack.dataDir, lab: { hosts: stack.lab.hosts } });
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
  // Progress is published at most every 100 ms, and a small package can be uploaded within the
  // first such interval: any running snapshot with a host under way will do, upload or a later step.
  const underWay = new Promise<void>((resolve, reject) => {
    other.subscribe((e) => {
      if (e.type !== 'job' || e.job.kind !== 'install') return;
      if (e.job.state !== 'running')
        reject(new Error(`The installation ended (${e.job.state}) before it could be interrupted.`));
      else if (
        Object.values(e.job.hosts).some(
          (p) => p.percent > 0 && ((p.bytesDone ?? 0) > 0 || p.step !== 'upload'),
        )
      )
        resolve();
    });
  });
  await other.api.install({ sessions: [ids[0]!, ids[1]!] });
  await underWay;
  await other.close();
}

describe('Install: resuming after Twinlock was closed', () => {
  it('offers the interrupted installation at start and finishes it', async () => {
    await interruptedInstall();
    await stack.page.reload();
    const dialog = tid('resume-dialog');
    await dialog.waitFor({ timeout: 15_000 });
    expect(await tid('resume-host').count()).toBe(2);
    await expect(dialog.innerText()).resolves.toContain(stack.lab.hosts[0]!.name);
    await stack.shot('04-install-resume-offer');

    // Without the password the dialog says what it needs, in a sentence.
    await tid('resume-submit').click();
    await expect(tid('resume-error').innerText()).resolves.toMatch(/password/i);
    await tid('connect-password-resume').fill(stack.lab.hosts[0]!.password);
    await tid('resume-submit').click();

    await tid('install-done').waitFor({ timeout: 90_000 });
    await expect(stack.page.locator('main').getAttribute('data-step')).resolves.toBe('install');
    for (const host of stack.lab.hosts) {
      expect(
        stack.lab
          .host(host.name)
          .installedProducts()
          .map((p) => p.version),
      ).toContain('3.2.1');
    }
    expect(await stack.engine.api.resumableJobs({})).toEqual([]);
    await stack.shot('04-install-resumed', { whole: true });
  });
});
