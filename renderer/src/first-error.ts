/**
 * The field in error the admin is sent to: the first control on the screen marked
 * `aria-invalid="true"` (each field's message is beside it, tied by `aria-describedby`).
 */
const INVALID = 'main [aria-invalid="true"]';

/** The first field in error on the screen, if any. */
export function firstInvalidField(doc: Document = document): HTMLElement | null {
  return doc.querySelector<HTMLElement>(INVALID);
}

/**
 * Scrolls the first field in error to the middle of the screen, and with `focus` puts the focus
 * in it; false when no field is in error.
 */
export function showFirstError(options: { focus?: boolean } = {}): boolean {
  const field = firstInvalidField();
  if (field === null) return false;
  field.scrollIntoView({ block: 'center' });
  if (options.focus === true) field.focus({ preventScroll: true });
  return true;
}
