/**
 * Option values checked as the command line is read, before any engine starts or any server is
 * reached. Each parser goes to commander as an option's argParser; a value it refuses throws the
 * contract's `invalid-input` error, naming the flag and what it accepts, and the command line
 * (cli/main.ts) prints it like any other error, as JSON with --json, exit code 1.
 */
import { TwinlockError } from '../engine/api/errors';
import { FINGERPRINT, PORT_MAX, PORT_MIN, isPort } from '../engine/api/rules';
import type { ProtectionLevel } from '../engine/api';

export interface JsonOption {
  json?: boolean;
}

/** The value as typed, shortened when long, for the error message. */
function shown(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}

/** `flag “value” is not valid: it takes ACCEPTED.` with an example in the hint. */
export function invalidOption(flag: string, value: string, accepted: string, example: string): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `${flag} “${shown(value)}” is not valid: it takes ${accepted}.`,
    hint: `For example ${flag} ${example}.`,
    detail: { field: flag.replace(/^-+/, '') },
  });
}

const LEVELS = [1, 2, 3] as const satisfies readonly ProtectionLevel[];

/** `--level`: a protection level, 1, 2 or 3. */
export function parseLevel(text: string): ProtectionLevel {
  const level = LEVELS.find((l) => String(l) === text);
  if (level === undefined) throw invalidOption('--level', text, 'a protection level: 1, 2 or 3', '3');
  return level;
}

/** A parser for a whole number from `min` up (to `max` when given). */
export function wholeNumber(
  flag: string,
  range: { min: number; max?: number; unit?: string },
  example: string,
): (text: string) => number {
  const unit = range.unit ? ` of ${range.unit}` : '';
  const accepted =
    range.max === undefined
      ? `a whole number${unit}, at least ${range.min}`
      : `a whole number${unit} from ${range.min} to ${range.max}`;
  return (text) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max))
      throw invalidOption(flag, text, accepted, example);
    return n;
  };
}

/** A TCP port (engine/api/rules.ts), or 0 when `anyFree`: “any free port”. */
export function tcpPort(flag: string, example: string, anyFree = false): (text: string) => number {
  const accepted = `a TCP port from ${PORT_MIN} to ${PORT_MAX}${anyFree ? ', or 0 for any free port' : ''}`;
  return (text) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(isPort(n) || (anyFree && n === 0))) throw invalidOption(flag, text, accepted, example);
    return n;
  };
}

/** Refuses a malformed --fingerprint, saying what the form is. */
export function checkFingerprint(value: string): string {
  if (FINGERPRINT.test(value)) return value;
  throw new TwinlockError({
    code: 'invalid-input',
    message: `--fingerprint ${JSON.stringify(shown(value))} is malformed: a host-key fingerprint is SHA256: followed by 43 base64 characters (letters, digits, + and /, no = padding).`,
    hint:
      'Copy it exactly as the unknown-host-key message or ssh-keygen -lf on the server prints it, for example --fingerprint SHA256:' +
      'A'.repeat(43) +
      ', or use --trust-new.',
    detail: { field: 'fingerprint' },
  });
}

/** The formats `--report` writes, by the file's extension. */
export type ReportFileFormat = 'json' | 'html' | 'pdf';

/** The format a report file name asks for (`.htm` is HTML), or null. */
export function reportFormatOf(file: string): ReportFileFormat | null {
  const ext = /\.(json|html?|pdf)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === undefined) return null;
  return ext === 'htm' ? 'html' : (ext as ReportFileFormat);
}

/** `--report`: a file name ending .json, .html (.htm) or .pdf. */
export function parseReportFile(text: string): string {
  if (reportFormatOf(text) === null)
    throw invalidOption('--report', text, 'a file name ending .json, .html or .pdf', 'report.html');
  return text;
}

/** `parse` as a check that keeps the text as typed: for an option whose default is a string. */
export function checkedText(parse: (text: string) => unknown): (text: string) => string {
  return (text) => {
    parse(text);
    return text;
  };
}
