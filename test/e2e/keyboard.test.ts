/**
 * The wizard by keyboard: every control Tab stops at shows a visible focus ring, a radio group is
 * one Tab stop (its choices are reached with the arrow keys), and Discover → Connect works with
 * the keyboard alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './harness';
import type { Stack } from './harness';
import { focusStop as focusStopOf, tabThrough as tabThroughOf } from './focus';
import type { FocusStop } from './focus';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const focusStop = (): Promise<FocusStop> => focusStopOf(stack.page);
const tabThrough = (max = 40): Promise<FocusStop[]> => tabThroughOf(stack.page, max);

describe('the wizard by keyboard', () => {
  it('picks both lab servers and goes on to Connect with the keyboard alone', async () => {
    const boxes = stack.page.locator('[data-testid=discover-host-row] .n-checkbox');
    await boxes.first().waitFor();
    for (let i = 0; i < 2; i++) {
      await boxes.nth(i).focus();
      expect((await focusStop()).visible).toBe(true);
      await stack.page.keyboard.press('Space');
    }
    await expect(
      stack.page.locator('[data-testid=discover-host-row][data-selected=true]').count(),
    ).resolves.toBe(2);
    await stack.page.getByTestId('wizard-next').focus();
    expect((await focusStop()).visible).toBe(true);
    await stack.page.keyboard.press('Enter');
    await stack.page.getByTestId('connect-username').waitFor();
  });

  it('shows a focus ring on every control of Connect, and each radio group is one Tab stop', async () => {
    await stack.page.getByTestId('connect-username').focus();
    const stops = await tabThrough();
    expect(stops.length).toBeGreaterThan(3);
    const unringed = stops.filter((s) => !s.visible).map((s) => s.what);
    expect(unringed).toEqual([]);
    const radios = stops.filter((s) => s.radioGroup !== null);
    expect(radios.length).toBeGreaterThan(0);
    // Password and Private key are one stop: the group's name ties them together.
    expect(new Set(radios.map((r) => r.radioGroup)).size).toBe(radios.length);
    await stack.shot('02-connect-keyboard');
  });

  it('moves within the logon choice with the arrow keys', async () => {
    await stack.page.locator('[data-testid=connect-method-password] input').focus();
    await stack.page.keyboard.press('ArrowRight');
    await stack.page.getByTestId('connect-key-choose').waitFor();
    await stack.page.keyboard.press('ArrowLeft');
    await stack.page.getByTestId('connect-password').waitFor();
  });
});
