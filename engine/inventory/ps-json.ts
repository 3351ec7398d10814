/**
 * Readers for values as Windows PowerShell 5.1's ConvertTo-Json prints them: a pipeline of one
 * item arrives as that item and of none as null, an array may come wrapped as `{value, Count}`,
 * DateTime as `/Date(ms)/` (or `{value, DateTime}` when it carried extended properties), enums as
 * numbers, and WMI's 64-bit integers sometimes as strings. Every reader tolerates anything.
 */

type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an inventory section that failed on the server (`{ error: message }`). */
export function isSectionError(value: unknown): value is { error: string } {
  return isObject(value) && typeof value.error === 'string' && Object.keys(value).length === 1;
}

/** Items of a value that may be null, one object, an array, or a `{value, Count}` wrapper. */
export function psArray(value: unknown): Obj[] {
  if (value === null || value === undefined || isSectionError(value)) return [];
  if (Array.isArray(value)) return value.filter(isObject);
  if (isObject(value) && Array.isArray(value.value) && 'Count' in value) return psArray(value.value);
  return isObject(value) ? [value] : [];
}

/** An object section, or an empty object when it is missing or failed. */
export function psObject(value: unknown): Obj {
  if (Array.isArray(value)) return psArray(value)[0] ?? {};
  return isObject(value) && !isSectionError(value) ? value : {};
}

/** A number from a number or a numeric string; `fallback` otherwise. */
export function psNumber(value: unknown, fallback = 0): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return fallback;
}

/** A boolean from true/false, "True"/"False", 1/0. */
export function psBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return /^(true|1|yes)$/i.test(value.trim());
  return false;
}

/**
 * A string exactly as the server reported it, or `fallback` for null and non-scalars. Names that
 * go back to a server (VMs, adapters, addresses, paths) are read with this: never trimmed, so a
 * VM named " x " stays " x ".
 */
export function psString(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}

/**
 * A descriptive WMI text (processor, model, firmware and OS names, which WMI pads with spaces),
 * trimmed for display and comparison. Never used for a name sent back to a server.
 */
export function psText(value: unknown, fallback = ''): string {
  return psString(value, fallback).trim();
}

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/** A DateTime as an ISO 8601 UTC string, or null when the value is no date. */
export function psDate(value: unknown): string | null {
  if (isObject(value)) return psDate(value.value);
  if (typeof value !== 'string') return null;
  const text = value.replace(/\\\//g, '/');
  const ms = MS_DATE.exec(text);
  if (ms) return new Date(Number(ms[1])).toISOString();
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
}
