/**
 * Mends the one piece of Naive UI's markup that no prop can change: a card's header is rendered
 * as `role="heading"` twice over (the header row, and its title inside it) with no `aria-level`,
 * so screen readers announce a heading of no level that also holds the card's buttons. Here the
 * row loses the role and the title becomes a level-2 heading (level 3 inside another card).
 * Vue patches only the attributes it rendered differently, so a fix made once stays until the
 * element is recreated, and the observer mends the new one.
 */
const HEADER = '.n-card-header';
const TITLE = '.n-card-header__main';

function mend(root: ParentNode): void {
  for (const header of root.querySelectorAll<HTMLElement>(`${HEADER}[role="heading"]`))
    header.removeAttribute('role');
  for (const title of root.querySelectorAll<HTMLElement>(`${TITLE}[role="heading"]:not([aria-level])`)) {
    const nested = title.closest('.n-card')?.parentElement?.closest('.n-card:not(.n-modal)') !== null;
    title.setAttribute('aria-level', nested ? '3' : '2');
  }
}

/** Mends what is on the page now and whatever is added later. */
export function mendCardHeadings(doc: Document): void {
  mend(doc);
  // One pass per batch of changes: the selectors match only what still needs mending.
  new MutationObserver(() => mend(doc)).observe(doc.body, { childList: true, subtree: true });
}
