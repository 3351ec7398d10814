/** Keyboard helpers shared by the e2e tests: where the focus is, and a walk of the Tab stops. */
import type { Page } from 'playwright-core';

/** What has the focus now, and whether it (or the wrapper that draws it) shows a ring. */
export interface FocusStop {
  what: string;
  radioGroup: string | null;
  visible: boolean;
}

export async function focusStop(page: Page): Promise<FocusStop> {
  return page.evaluate(() => {
    // Runs in the page.
    const doc = (globalThis as any).document;
    const win = globalThis as any;
    const el = doc.activeElement;
    const drawn = el.closest('.n-radio-button, .n-radio') ?? el;
    const style = win.getComputedStyle(drawn);
    const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const label =
      el.getAttribute('aria-label') ??
      el.getAttribute('data-testid') ??
      el.textContent?.trim().slice(0, 40) ??
      '';
    return {
      // A radio without a label of its own is named by its group, so two groups never look alike.
      what: `${el.tagName.toLowerCase()}${el.type ? `[${el.type}]` : ''} ${label}${el.type === 'radio' ? ` (${el.name})` : ''}`,
      radioGroup: el.type === 'radio' ? el.name : null,
      visible: ring,
    };
  });
}

/** Presses Tab until the focus leaves the page's controls or comes back round; returns each stop. */
export async function tabThrough(page: Page, max = 40): Promise<FocusStop[]> {
  const stops: FocusStop[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await focusStop(page);
    if (stop.what.startsWith('body')) break;
    if (stops.length > 0 && stop.what === stops[0]!.what) break;
    stops.push(stop);
  }
  return stops;
}
