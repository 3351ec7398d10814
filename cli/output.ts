/** How the CLI prints: human text on a terminal, one JSON document (or NDJSON) with --json. */
import type { TwinlockErrorData } from '../engine/api/errors';

export interface Output {
  json: boolean;
  /** A result: pretty text, or its JSON form. */
  result(value: unknown, human: () => string): void;
  /** A progress line in --json mode (NDJSON on stdout); ignored otherwise. */
  event(value: unknown): void;
  /** Informational text for humans (stderr, so stdout stays clean for pipes). */
  info(text: string): void;
  /** A warning the admin must see, in both modes (stderr; with --json also a `warning` event on stdout). */
  warn(text: string): void;
  error(error: TwinlockErrorData): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
    },
    event(value) {
      if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    info(text) {
      if (!json) process.stderr.write(`${text}\n`);
    },
    warn(text) {
      process.stderr.write(`${text}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ event: 'warning', message: text })}\n`);
    },
    error(error) {
      if (json) {
        process.stdout.write(`${JSON.stringify({ error })}\n`);
        return;
      }
      process.stderr.write(`error: ${error.message}\n`);
      if (error.code === 'unknown-host-key' && typeof error.detail?.fingerprint === 'string') {
        process.stderr.write(`  the server presented: ${error.detail.fingerprint}\n`);
      }
      if (error.code === 'host-key-changed') {
        process.stderr.write(
          `  pinned:    ${String(error.detail?.expected)}\n  presented: ${String(error.detail?.actual)}\n`,
        );
      }
      // A refused configuration lists every problem, each with its field.
      const issues = error.detail?.issues;
      if (Array.isArray(issues) && issues.length > 1) {
        for (const issue of issues as Array<{ field?: unknown; message?: unknown }>)
          process.stderr.write(`  ${String(issue.field)}: ${String(issue.message)}\n`);
      }
      if (error.code === 'bundle-untrusted' && typeof error.detail?.fingerprint === 'string') {
        process.stderr.write(`  signer: ${error.detail.fingerprint}\n`);
      }
      if (error.code === 'publisher-untrusted') {
        process.stderr.write(
          `  publisher:  ${String(error.detail?.subject)}\n  thumbprint: ${String(error.detail?.thumbprint)}\n`,
        );
      }
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    },
  };
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
