/**
 * How Windows PowerShell 5.1 prints objects with `ConvertTo-Json -Compress`, so that the lab's
 * answers carry the same quirks a real server's do: pipeline output of one item is that item, of
 * none is null; DateTime is `"\/Date(ms)\/"`; enums are numbers; and the JavaScriptSerializer
 * underneath escapes `<`, `>`, `&` and `'` as `\u00XX`.
 */

/** A DateTime as 5.1 serialises it. */
export class PsDate {
  constructor(readonly ms: number) {}
}

/** A DateTime from a JavaScript date or epoch milliseconds. */
export function psDate(value: Date | number): PsDate {
  return new PsDate(typeof value === 'number' ? value : value.getTime());
}

/**
 * What a variable holds after `$x = <pipeline>`: null for no items, the item itself for one,
 * an array for several. Properties built from `@(...)` stay arrays: pass those through as-is.
 */
export function pipelineOutput<T>(items: readonly T[]): T | T[] | null {
  if (items.length === 0) return null;
  if (items.length === 1) return items[0] as T;
  return [...items];
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  "'": '\\u0027',
};

const HTML_SENSITIVE = /[<>&']/g;

function quote(text: string): string {
  // JSON.stringify escapes exactly what the serializer does below U+0020, plus quote and backslash;
  // only the HTML-sensitive four remain. Lone surrogates take the slow path to stay byte-identical.
  if (!/[\ud800-\udfff]/.test(text))
    return JSON.stringify(text).replace(HTML_SENSITIVE, (ch) => ESCAPES[ch]!);
  let out = '"';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const escaped = ESCAPES[ch];
    if (escaped) out += escaped;
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Compact JSON as `ConvertTo-Json -Compress` in Windows PowerShell 5.1 prints it. */
export function toPsJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PsDate) return `"\\/Date(${Math.trunc(value.ms)})\\/"`;
  if (value instanceof Date) return toPsJson(psDate(value));
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(toPsJson).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      return `{${entries.map(([k, v]) => `${quote(k)}:${toPsJson(v)}`).join(',')}}`;
    }
    case 'function':
    case 'symbol':
    case 'undefined':
    default:
      return 'null';
  }
}

/** What the bootstrap prints when the script returned `data`. */
export function bootstrapSuccess(data: unknown): string {
  return `${toPsJson({ ok: true, data })}\r\n`;
}

/** What the bootstrap prints when the script threw. */
export function bootstrapFailure(message: string, category: string, id: string): string {
  return `${toPsJson({ ok: false, error: { message, category, id } })}\r\n`;
}

/** PowerShell's message for a command name it cannot resolve. */
export function termNotRecognized(term: string): string {
  return (
    `The term '${term}' is not recognized as the name of a cmdlet, function, script file, or operable program. ` +
    'Check the spelling of the name, or if a path was included, verify that the path is correct and try again.'
  );
}

/** The error record powershell.exe writes to stderr for an unknown command outside any try/catch. */
export function termNotRecognizedRecord(term: string, line: string): string {
  const underline = '~'.repeat(Math.max(1, term.length));
  return [
    `${term} : ${termNotRecognized(term)}`,
    'At line:1 char:1',
    `+ ${line}`,
    `+ ${underline}`,
    `    + CategoryInfo          : ObjectNotFound: (${term}:String) [], CommandNotFoundException`,
    '    + FullyQualifiedErrorId : CommandNotFoundException',
    ' ',
    '',
  ].join('\r\n');
}

/** An error a lab script handler raises; the bootstrap reports it as `ok:false`. */
export class PsError extends Error {
  constructor(
    message: string,
    readonly category = 'NotSpecified',
    readonly errorId = 'RuntimeException',
  ) {
    super(message);
    this.name = 'PsError';
  }
}

/** What `throw "text"` in a script raises: category OperationStopped, the text itself as the error id. */
export function scriptThrow(message: string): PsError {
  return new PsError(message, 'OperationStopped', message);
}
