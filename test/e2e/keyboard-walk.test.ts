/**
 * The whole walk by keyboard alone, from the first screen to "protected" on the lab: Tab,
 * Shift+Tab, the arrow keys, Enter and Space, never a click. Every control the focus stops at
 * shows a ring it does not show once the focus has left it; a radio group is one Tab stop; a
 * dialog takes the focus as it opens and gives it back to the page as it closes. The number of
 * keys pressed is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './harness';
import type { Stack } from './harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ latencyMs: 5 });
});

afterAll(async () => {
  await stack?.close();
});

const tid = (id: string) => stack.page.getByTestId(id);

/** One control the focus stopped at, and how it is drawn with and without the focus. */
interface Stop {
  what: string;
  radioGroup: string | null;
  focused: string;
  /** How it is drawn once the focus left it; null when it was gone by then (the screen changed). */
  unfocused: string | null;
}

const stops: Stop[] = [];
let keys = 0;

/** The ring of the focused element (or of the wrapper that draws it), marked to be read again later. */
async function readStop(): Promise<Stop> {
  return stack.page.evaluate((n) => {
    // Runs in the page.
    const doc = (globalThis as any).document;
    const win = globalThis as any;
    const el = doc.activeElement;
    const drawn = el.closest('.n-radio-button, .n-radio') ?? el;
    drawn.setAttribute('data-kb-stop', String(n));
    const s = win.getComputedStyle(drawn);
    const label =
      el.getAttribute('aria-label') ??
      el.getAttribute('data-testid') ??
      el.closest('[data-testid]')?.getAttribute('data-testid') ??
      el.textContent?.trim().slice(0, 40) ??
      '';
    return {
      what: `${el.tagName.toLowerCase()}${el.type ? `[${el.type}]` : ''} ${label}`,
      radioGroup: el.type === 'radio' ? el.name : null,
      focused: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} | ${s.boxShadow}`,
      unfocused: null,
    };
  }, stops.length);
}

/** How the last stop is drawn now that the focus has moved on. */
async function readLeft(): Promise<void> {
  const last = stops.at(-1);
  if (last === undefined || last.unfocused !== null) return;
  last.unfocused = await stack.page.evaluate((n) => {
    // Runs in the page.
    const el = (globalThis as any).document.querySelector(`[data-kb-stop="${n}"]`);
    if (!el || el.contains((globalThis as any).document.activeElement)) return null;
    const s = (globalThis as any).getComputedStyle(el);
    return `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} | ${s.boxShadow}`;
  }, stops.length - 1);
}

async function press(key: string): Promise<void> {
  await stack.page.keyboard.press(key);
  keys++;
}

/** True when the focus is in (or on) the element `selector` names. */
function focusIn(selector: string): Promise<boolean> {
  return stack.page.evaluate((sel) => {
    // Runs in the page.
    const el = (globalThis as any).document.activeElement;
    return el !== null && el.closest(sel) !== null;
  }, selector);
}

/** Presses Tab (or Shift+Tab) until the focus is in `selector`, checking every stop on the way. */
async function tabTo(selector: string, back = false, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await press(back ? 'Shift+Tab' : 'Tab');
    await readLeft();
    const what = await stack.page.evaluate(
      () => (globalThis as any).document.activeElement?.tagName?.toLowerCase() ?? 'body',
    );
    if (what === 'body') continue;
    const stop = await readStop();
    stops.push(stop);
    if (await focusIn(selector)) return;
  }
  throw new Error(`Tab never reached ${selector}; stops: ${stops.map((s) => s.what).join(', ')}`);
}

/** The focus is back on the screen (on the control that opened a dialog, or the screen itself). */
async function focusBackOnScreen(): Promise<void> {
  await stack.page.waitForFunction(
    () => (globalThis as any).document.activeElement?.closest('main') != null,
    undefined,
    { timeout: 5_000 },
  );
}

/** Every radio group met in one screen's pass is one stop, however many choices it has. */
function expectRadioGroupsOneStop(from: number): void {
  const groups = stops.slice(from).flatMap((s, i, all) => {
    if (s.radioGroup === null) return [];
    // Consecutive stops in one group would be one stop per radio.
    return i > 0 && all[i - 1]!.radioGroup === s.radioGroup ? [`${s.radioGroup} twice in a row`] : [];
  });
  expect(groups).toEqual([]);
}

describe('the whole walk by keyboard', () => {
  it('reaches protected with no click, a visible ring on every stop and radio groups as one stop', async () => {
    const started = Date.now();
    // Discover: the two lab servers' boxes, then Next.
    await tid('discover-host-row').nth(1).waitFor({ timeout: 30_000 });
    await tabTo('[data-testid=discover-host-row] .n-checkbox');
    await press('Space');
    await tabTo('[data-testid=discover-host-row] ~ [data-testid=discover-host-row] .n-checkbox');
    await press('Space');
    await expect(
      stack.page.locator('[data-testid=discover-host-row][data-selected=true]').count(),
    ).resolves.toBe(2);
    await tabTo('[data-testid=wizard-next]');
    await press('Enter');
    await tid('connect-username').waitFor();

    // Connect: the lab's account is filled in; Connect, then each server's key in its dialog.
    let from = stops.length;
    await tabTo('[data-testid=connect-submit]');
    expectRadioGroupsOneStop(from);
    await press('Enter');
    for (let i = 0; i < 2; i++) {
      await tid('fingerprint-trust').waitFor({ timeout: 15_000 });
      // The focus is in the dialog, on the safe answer.
      await stack.page.waitForFunction(() =>
        (globalThis as any).document.activeElement?.closest('[data-testid=fingerprint-dialog]'),
      );
      await expect(focusIn('[data-testid=fingerprint-reject]')).resolves.toBe(true);
      const shown = (await tid('fingerprint-value').innerText()).trim();
      await tabTo('[data-testid=fingerprint-trust]');
      if (i === 0) {
        // The dialog keeps the focus: Tab past its last button comes round inside it, Shift+Tab goes back.
        await press('Tab');
        await expect(focusIn('[data-testid=fingerprint-dialog]')).resolves.toBe(true);
        await tabTo('[data-testid=fingerprint-trust]', true);
      }
      await press('Enter');
      await stack.page.waitForFunction((previous) => {
        // Runs in the page.
        const el = (globalThis as any).document.querySelector('[data-testid=fingerprint-value]');
        return !el || el.textContent?.trim() !== previous;
      }, shown);
    }
    await stack.page.waitForSelector('[data-testid=connect-host-card][data-state=done] >> nth=1', {
      timeout: 15_000,
    });
    // The dialog gave the focus back to the page: not lost on the body, not left in a closed dialog.
    await stack.page.waitForFunction(
      () => (globalThis as any).document.querySelector('[data-testid=fingerprint-dialog]') === null,
    );
    await focusBackOnScreen();
    await tabTo('[data-testid=wizard-next]');
    await press('Enter');

    // Verify: the level picker is one stop; Next once the verdict is in.
    await tid('verify-verdict').waitFor({ timeout: 30_000 });
    from = stops.length;
    await tabTo('[data-testid=wizard-next]');
    expectRadioGroupsOneStop(from);
    expect(stops.slice(from).some((s) => s.radioGroup !== null)).toBe(true);
    await press('Enter');

    // Install: start, trust the publisher in its dialog, Next once both are installed.
    // The button spins while the package is read, and takes no key until it is.
    await stack.page.locator('[data-testid=install-start]:not(.n-button--loading)').waitFor();
    await tabTo('[data-testid=install-start]');
    await press('Enter');
    await tid('publisher-trust').waitFor({ timeout: 15_000 });
    await stack.page.waitForFunction(() =>
      (globalThis as any).document.activeElement?.closest('[data-testid=publisher-reject]'),
    );
    await tabTo('[data-testid=publisher-trust]');
    await press('Enter');
    await stack.page.waitForFunction(
      () => (globalThis as any).document.querySelector('[data-testid=publisher-dialog]') === null,
    );
    await focusBackOnScreen();
    await tid('install-done').waitFor({ timeout: 90_000 });
    await tabTo('[data-testid=wizard-next]');
    await press('Enter');

    // Pair: the witness is a radio group (one stop, Space chooses the file share), then its check.
    await tid('pair-name').waitFor({ timeout: 30_000 });
    from = stops.length;
    await tabTo('[data-testid=pair-witness-share]');
    await press('Space');
    await stack.page.locator('[data-testid=pair-witness-share].n-radio-button--checked').waitFor();
    await tabTo('[data-testid=pair-witness-check]');
    await press('Enter');
    await stack.page.locator('[data-testid=pair-witness-result][data-ok=true]').waitFor({ timeout: 30_000 });
    await stack.page.locator('[data-testid=pair-link-measure]').first().waitFor({ timeout: 60_000 });
    await tabTo('[data-testid=wizard-next]');
    expectRadioGroupsOneStop(from);
    await stack.shot('05-pair-keyboard');
    await press('Enter');

    // Review: apply the plan shown (Shift+Tab from the footer reaches the button above it).
    await tid('plan-step').first().waitFor({ timeout: 30_000 });
    await tabTo('[data-testid=apply-start]');
    await press('Enter');
    await tid('apply-done').waitFor({ timeout: 120_000 });
    await tabTo('[data-testid=wizard-next]');
    await press('Enter');
    await tid('done-live').waitFor();
    const seconds = (Date.now() - started) / 1000;

    // Each stop shows a ring, and the ring is the focus's: gone once the focus moved on.
    const ringless = stops.filter((s) => !/^solid (2|3|4)px/.test(s.focused) && !/px \d+px/.test(s.focused));
    expect(ringless.map((s) => `${s.what}: ${s.focused}`)).toEqual([]);
    const unchanged = stops.filter((s) => s.unfocused !== null && s.unfocused === s.focused);
    expect(unchanged.map((s) => `${s.what}: ${s.focused}`)).toEqual([]);
    const compared = stops.filter((s) => s.unfocused !== null).length;
    expect(compared).toBeGreaterThan(stops.length / 2);

    console.log(
      `Keyboard walk to protected: ${keys} keys pressed (${stops.length} focus stops, ${compared} compared with their unfocused look), ${seconds.toFixed(1)} s`,
    );
    await stack.shot('07-done-keyboard');
  });
});
