/**
 * How a remote script is framed for Windows PowerShell 5.1 behind Windows OpenSSH, and how its
 * answer is read back. Pure functions: no I/O, so every quirk is unit-tested.
 *
 * The command line carries only the fixed bootstrap (cmd.exe caps a command at 8,191 characters);
 * the parameters and the script travel on stdin. See resources/bootstrap.ps1.
 */
import { TwinlockError } from '../api/errors';

/** cmd.exe's maximum command-line length: Windows OpenSSH runs every exec through cmd.exe. */
export const CMD_MAX_LENGTH = 8191;

/**
 * The exec command line: `powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64>`,
 * where the base64 is of the UTF-16LE bootstrap text, as PowerShell requires.
 */
export function encodeCommand(bootstrap: string): string {
  const encoded = Buffer.from(bootstrap, 'utf16le').toString('base64');
  const command = `powershell.exe -NoProfile -NonInteractive -EncodedCommand ${encoded}`;
  if (command.length >= CMD_MAX_LENGTH) {
    throw new TwinlockError({
      code: 'internal',
      message: `The PowerShell bootstrap is too long for cmd.exe (${command.length} of at most ${CMD_MAX_LENGTH - 1} characters).`,
      hint: 'This is a packaging fault: reinstall Twinlock.',
    });
  }
  return command;
}

/** Line 1 of stdin: base64 of the UTF-8 JSON params (the bootstrap decodes it into `$P`). */
export function encodeParams(params: unknown): string {
  return Buffer.from(JSON.stringify(params ?? {}), 'utf8').toString('base64');
}

/** All of stdin: the params line, then the script text. */
export function buildStdin(params: unknown, scriptText: string): string {
  return `${encodeParams(params)}\n${scriptText}`;
}

/** Removes a leading UTF-8 byte-order mark, which PowerShell emits under some code pages. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const CLIXML_MARKER = '#< CLIXML';

/**
 * Turns PowerShell's stderr into plain text. When its output is redirected, PowerShell writes
 * error and progress records as serialised CLI XML (`#< CLIXML` then `<Objs>…</Objs>`); only the
 * error strings (`<S S="Error">`) matter to an admin, progress records are noise.
 */
export function decodeStderr(stderr: string): string {
  const text = stripBom(stderr);
  if (!text.includes(CLIXML_MARKER)) return text.trim();
  const out: string[] = [];
  for (const [index, part] of text.split(CLIXML_MARKER).entries()) {
    if (index === 0) {
      if (part.trim()) out.push(part.trim());
      continue;
    }
    const end = part.lastIndexOf('</Objs>');
    const xml = end >= 0 ? part.slice(0, end + '</Objs>'.length) : part;
    const rest = end >= 0 ? part.slice(end + '</Objs>'.length) : '';
    const errors: string[] = [];
    for (const m of xml.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)) errors.push(unescapeClixml(m[1] ?? ''));
    if (errors.length > 0) out.push(errors.join('').trim());
    if (rest.trim()) out.push(rest.trim());
  }
  return out.filter((s) => s.length > 0).join('\n');
}

/** CLI XML escapes control characters as `_xHHHH_` on top of the usual XML entities. */
function unescapeClixml(s: string): string {
  return s
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9A-Fa-f]+);/g, (_, e: string) => {
      switch (e) {
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
        case 'amp':
          return '&';
        default:
          return String.fromCodePoint(
            e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10),
          );
      }
    })
    .replace(/\r\n/g, '\n');
}

/** The first lines of some output, for an error message (never the whole of a long log). */
export function firstLines(text: string, lines = 6, maxChars = 800): string {
  const picked = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(0, lines)
    .join('\n');
  return picked.length > maxChars ? `${picked.slice(0, maxChars)}…` : picked;
}

interface Envelope {
  ok: boolean;
  data?: unknown;
  error?: { message?: unknown; category?: unknown; id?: unknown };
}

function asEnvelope(value: unknown): Envelope | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  return typeof v.ok === 'boolean' ? (v as unknown as Envelope) : null;
}

/**
 * Finds the bootstrap's envelope in stdout. Normally stdout is exactly one JSON line; a script
 * that uses Write-Host adds lines before it, so the last line that is an envelope wins.
 */
function findEnvelope(stdout: string): Envelope | null {
  const text = stripBom(stdout).trim();
  if (!text) return null;
  try {
    const whole = asEnvelope(JSON.parse(text));
    if (whole) return whole;
  } catch {
    // fall through to line-by-line
  }
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = stripBom(lines[i] ?? '').trim();
    if (!line.startsWith('{')) continue;
    try {
      const env = asEnvelope(JSON.parse(line));
      if (env) return env;
    } catch {
      // not this line
    }
  }
  return null;
}

/** What a finished exec produced. */
export interface ScriptOutput {
  stdout: string;
  stderr: string;
  /** Exit code, null when the channel closed without one. */
  exitCode: number | null;
}

/**
 * Reads the envelope a script printed and returns its `data`, or throws TwinlockError
 * `script-failed` carrying PowerShell's own message (or the first lines of whatever came back).
 */
export function parseScriptOutput(script: string, output: ScriptOutput): unknown {
  const envelope = findEnvelope(output.stdout);
  if (envelope?.ok === true) return envelope.data ?? null;
  if (envelope && envelope.ok === false) {
    const e = envelope.error ?? {};
    const message =
      typeof e.message === 'string' && e.message.trim()
        ? e.message.trim()
        : `The script ${script} failed without a message.`;
    const detail: Record<string, unknown> = { script };
    if (typeof e.category === 'string' && e.category) detail.category = e.category;
    if (typeof e.id === 'string' && e.id) detail.errorId = e.id;
    if (output.exitCode !== null) detail.exitCode = output.exitCode;
    throw new TwinlockError({
      code: 'script-failed',
      message,
      hint: `Windows PowerShell reported this while Twinlock ran "${script}" on the server; fix the cause on the server and try again.`,
      detail,
    });
  }
  const stderr = decodeStderr(output.stderr);
  const stdout = stripBom(output.stdout).trim();
  const shown = firstLines(stderr || stdout);
  const detail: Record<string, unknown> = { script, exitCode: output.exitCode };
  if (stdout) detail.stdout = firstLines(stdout);
  if (stderr) detail.stderr = firstLines(stderr);
  throw new TwinlockError({
    code: 'script-failed',
    message: shown
      ? `The server did not answer "${script}" as expected: ${shown}`
      : `The server returned nothing for "${script}" (exit code ${output.exitCode ?? 'none'}).`,
    hint: 'Check that Windows PowerShell 5.1 is installed and that the OpenSSH default shell is cmd.exe or powershell.exe.',
    detail,
  });
}
