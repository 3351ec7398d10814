/**
 * Props that put a `data-testid` on the native <input> inside a naive-ui field (its root is a
 * wrapper <div>, which end-to-end tests cannot type into).
 */
import type { InputHTMLAttributes } from 'vue';

/** `:input-props="inputTestId('connect-username', { autocomplete: 'username' })"`. */
export function inputTestId(id: string, extra: Record<string, string> = {}): InputHTMLAttributes {
  return { 'data-testid': id, ...extra } as InputHTMLAttributes;
}
