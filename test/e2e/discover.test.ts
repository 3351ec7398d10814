/**
 * The Discover screen scans a range of loopback addresses on which the lab's two servers and its
 * decoys listen: a typo is named inline with an example, the results stream into the table with
 * their kind, services and round trip, every host that is not ready says why, and the two
 * servers can be picked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;
// A base of its own inside 127.0.0.0/24, so that a lab started by another test run elsewhere in
// the range does not take the same addresses.
const base = 140 + 2 * Math.floor(Math.random() * 30);

beforeAll(async () => {
  stack = await startStack({ addressBase: `127.0.0.${base}`, port: 22, decoys: true, latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);
const row = (address: string, port: number) =>
  stack.page.locator(`[data-testid=discover-host-row][data-host="${address}:${port}"]`);

describe('Discover: scanning a range', () => {
  it('counts the hosts as the targets are typed', async () => {
    await tid('discover-targets').waitFor();
    await tid('discover-targets').fill('127.0.0.0/24, !127.0.0.1');
    const count = tid('discover-targets-count');
    await count.waitFor({ timeout: 10_000 });
    await expect(count.innerText()).resolves.toBe('253 hosts to probe on 5 ports');
    await stack.shot('01-discover-count');
  });

  it('names a bad target inline as it is typed, with an example', async () => {
    await tid('discover-targets').fill('127.0.0.0/24, 10.0.0.300');
    // No Scan click: the engine reads the targets a moment after typing stops.
    const problem = tid('discover-targets-error');
    await problem.waitFor({ timeout: 10_000 });
    await expect(problem.getAttribute('data-token')).resolves.toBe('10.0.0.300');
    const text = await problem.innerText();
    expect(text).toContain('10.0.0.300');
    expect(text).toMatch(/e\.g\.|for example|10\.0\.0\./);
    await stack.shot('01-discover-bad-target');
    // Correcting the targets clears the problem.
    await tid('discover-targets').fill('127.0.0.0/24');
    await problem.waitFor({ state: 'detached' });
    await expect(tid('discover-targets-count').innerText()).resolves.toBe('254 hosts to probe on 5 ports');
  });

  it('refuses a range over 65,536 addresses and points at the option that allows it', async () => {
    await tid('discover-targets').fill('10.0.0.0/8');
    await tid('discover-scan').click();
    await tid('discover-targets-error').waitFor({ timeout: 10_000 });
    await expect(tid('discover-targets-error').innerText()).resolves.toMatch(/16,777,21\d addresses/);
    await tid('discover-allow-large-hint').click();
    await tid('discover-allow-large').waitFor();
    await stack.shot('01-discover-too-large');
    await tid('discover-options').click();
    await tid('discover-targets').fill('127.0.0.0/24');
    await tid('discover-targets-error').waitFor({ state: 'detached' });
  });

  it('scans 127.0.0.0/24, finds both lab servers and classifies the decoys', async () => {
    await tid('discover-scan').click();
    const progress = stack.page.locator('[data-testid=discover-progress][data-state=done]');
    await progress.waitFor({ timeout: 60_000 });
    // A /24 holds 254 hosts: the network and broadcast addresses are not probed.
    await expect(progress.getAttribute('data-total')).resolves.toBe('254');
    await expect(progress.getAttribute('data-probed')).resolves.toBe('254');

    for (const host of stack.lab.hosts) {
      const r = row(host.address, host.port);
      await expect(r.getAttribute('data-kind')).resolves.toBe('windows-ssh');
      const text = await r.innerText();
      expect(text).toContain(host.name);
      expect(text).toContain('SSH 22');
      expect(text).toMatch(/\d+ ms|<1 ms/);
    }
    const decoys = stack.lab.decoys;
    expect(decoys.length).toBe(3);
    const expected = {
      'windows-no-ssh': 'windows-no-ssh',
      'linux-ssh': 'ssh-not-windows',
      silent: 'unknown',
    } as const;
    for (const decoy of decoys) {
      const r = row(decoy.address, 22);
      await expect(r.getAttribute('data-kind')).resolves.toBe(expected[decoy.role]);
      // Not ready: one sentence saying why, and not pickable.
      const reason = (await r.getByTestId('discover-host-reason').innerText()).trim();
      expect(reason.length).toBeGreaterThan(20);
      await r.click();
      await expect(r.getAttribute('data-selected')).resolves.toBe('false');
    }
    await stack.shot('01-discover-scan', { whole: true });
  });

  it('shows the exact steps to enable OpenSSH on the Windows server without SSH', async () => {
    const decoy = stack.lab.decoys.find((d) => d.role === 'windows-no-ssh')!;
    const r = row(decoy.address, 22);
    await r.getByTestId('discover-fix-toggle').click();
    const steps = tid('discover-fix-steps');
    await steps.waitFor();
    const text = await steps.innerText();
    expect(text).toContain('Add-WindowsCapability -Online -Name OpenSSH.Server~~~~0.0.1.0');
    expect(text).toContain('Start-Service sshd');
    await tid('discover-fix-copy').waitFor();
    await stack.shot('01-discover-openssh-steps', { whole: true });
  });

  it('cancels a long scan at once and keeps what it found', async () => {
    await tid('discover-targets').fill('127.0.0.0/16');
    await tid('discover-scan').click();
    await stack.page
      .locator('[data-testid=discover-progress][data-state=running]')
      .waitFor({ timeout: 10_000 });
    await tid('discover-cancel').click();
    const cancelled = stack.page.locator('[data-testid=discover-progress][data-state=cancelled]');
    await cancelled.waitFor({ timeout: 10_000 });
    const probed = Number(await cancelled.getAttribute('data-probed'));
    expect(probed).toBeLessThan(65_534);
    await expect(cancelled.innerText()).resolves.toMatch(/^Cancelled/);
    await tid('discover-scan').waitFor();
    // The lab's servers stay listed (from the lab, or found before the cancel).
    for (const host of stack.lab.hosts) await row(host.address, host.port).waitFor();
    await stack.shot('01-discover-cancelled');
  });

  it('refuses an SSH port out of range beside the field, keeping what was typed and adding nothing', async () => {
    const rowsBefore = await tid('discover-host-row').count();
    await tid('discover-add-address').fill('srv-by-hand');
    await tid('discover-add-port').fill('70000');
    await tid('discover-add-submit').click();
    await expect(tid('discover-add-error').innerText()).resolves.toContain('“70000” is not an SSH port');
    await expect(tid('discover-add-port').inputValue()).resolves.toBe('70000');
    await expect(tid('discover-add-address').inputValue()).resolves.toBe('srv-by-hand');
    expect(await tid('discover-host-row').count()).toBe(rowsBefore);
    await stack.shot('01-discover-bad-port');
    await tid('discover-add-address').fill('');
    await tid('discover-add-port').fill('22');
  });

  it('answers a name typed in full-width characters with its plain form, beside the field', async () => {
    const rowsBefore = await tid('discover-host-row').count();
    await tid('discover-add-address').fill('ＳＲＶ－Ａ０１');
    await tid('discover-add-submit').click();
    await expect(tid('discover-add-error').innerText()).resolves.toContain(
      'is typed in full-width characters. Type it in plain letters and digits: SRV-A01',
    );
    await expect(tid('discover-add-address').inputValue()).resolves.toBe('ＳＲＶ－Ａ０１');
    expect(await tid('discover-host-row').count()).toBe(rowsBefore);
    await tid('discover-add-address').fill('');
  });

  it('does not offer Scan while the targets are wrong', async () => {
    await tid('discover-targets').fill('10.0.0.0/33');
    await tid('discover-targets-error').waitFor();
    await expect(tid('discover-scan').isDisabled()).resolves.toBe(true);
    await tid('discover-targets').fill('127.0.0.1');
    await tid('discover-targets-count').waitFor();
    await expect(tid('discover-scan').isDisabled()).resolves.toBe(false);
  });

  it('picks the two lab servers and goes on to Connect', async () => {
    for (const host of stack.lab.hosts) await row(host.address, host.port).click();
    expect(await stack.page.locator('[data-testid=discover-host-row][data-selected=true]').count()).toBe(2);
    await expect(tid('discover-picked').innerText()).resolves.toContain(stack.lab.hosts[0]!.name);
    await tid('wizard-next').click();
    await tid('connect-username').waitFor();
  });
});
