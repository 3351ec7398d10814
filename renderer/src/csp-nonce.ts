/**
 * The page's Content-Security-Policy allows only <style> elements that carry the nonce of this
 * load (no 'unsafe-inline'). Naive UI mounts its component styles through css-render, which
 * creates <style> elements with `document.createElement('style')` and has no nonce option, so
 * every style element this page's own scripts create is given the nonce before it is inserted.
 * Markup injected as HTML (a <style> or a style="" attribute) never passes through here and
 * stays blocked.
 */

/** The nonce the shell put on `<meta property="csp-nonce">` for this load, or null. */
export function pageNonce(doc: Document = document): string | null {
  const meta = doc.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  // Chromium hides nonce attributes from getAttribute once the page has loaded; the property keeps it.
  const nonce = meta?.nonce || meta?.getAttribute('nonce') || '';
  return nonce === '' ? null : nonce;
}

/** Gives every <style> element created through `doc` the page's nonce. Call before the app mounts. */
export function applyStyleNonce(doc: Document = document): void {
  const nonce = pageNonce(doc);
  if (nonce === null) return;
  const create = doc.createElement.bind(doc) as (
    tagName: string,
    options?: ElementCreationOptions,
  ) => HTMLElement;
  doc.createElement = ((tagName: string, options?: ElementCreationOptions) => {
    const el = create(tagName, options);
    if (el instanceof HTMLStyleElement) el.nonce = nonce;
    return el;
  }) as Document['createElement'];
}
