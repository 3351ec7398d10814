/**
 * Exec requests, answered as Windows OpenSSH would: the command line goes to cmd.exe, so only
 * `powershell.exe … -EncodedCommand <bootstrap>` runs anything. The bootstrap's contract
 * (docs/architecture.md, “Remote execution”; resources/bootstrap.ps1): stdin line 1 is base64
 * JSON parameters, the rest is the script; the answer is one JSON line `{"ok":…}`.
 */
import type { ServerChannel } from 'ssh2';
import { HANDLERS } from './handlers/index';
import type { LabAccount, LabHost } from './host';
import {
  PsError,
  bootstrapFailure,
  bootstrapSuccess,
  termNotRecognized,
  termNotRecognizedRecord,
} from './powershell-shapes';
import type { LabWorld } from './world';

export interface ExecRequest {
  stream: ServerChannel;
  command: string;
  host: LabHost;
  world: LabWorld;
  account: LabAccount;
  /** How the session logged on: a key-based logon has no network credentials (no second hop). */
  logon?: 'password' | 'key';
}

interface PowerShellCommand {
  encoded?: string;
  command?: string;
}

const POWERSHELL = /^"?(?:[A-Za-z]:\\(?:[^"]*\\)?)?powershell(?:\.exe)?"?(?:\s+(.*))?$/i;

/** The arguments of a powershell.exe command line, or null when it is another program. */
export function parsePowerShell(commandLine: string): PowerShellCommand | null {
  const m = POWERSHELL.exec(commandLine.trim());
  if (!m) return null;
  const args = (m[1] ?? '').split(/\s+/).filter(Boolean);
  const out: PowerShellCommand = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!.toLowerCase();
    if (/^[-/](e|ec|enc|encodedcommand)$/.test(arg)) out.encoded = args[++i] ?? '';
    else if (/^[-/](c|command)$/.test(arg)) {
      out.command = args.slice(i + 1).join(' ');
      break;
    } else if (/^[-/](executionpolicy|ep|inputformat|outputformat|windowstyle)$/.test(arg)) i++;
    else if (!arg.startsWith('-') && !arg.startsWith('/')) {
      out.command = args.slice(i).join(' ');
      break;
    }
  }
  return out;
}

/** The first word of the first line that is not blank, a comment or `param(…)`. */
function firstTerm(text: string): { term: string; line: string } {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#') && !/^param\s*\(/i.test(l)) ?? '';
  const term = /^[^\s(;=|{]+/.exec(line)?.[0] ?? line;
  return { term, line };
}

function readToEnd(stream: ServerChannel): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

function finish(stream: ServerChannel, code: number, stdout: string, stderr = ''): void {
  // The client may have gone away while the script ran; there is nobody left to answer.
  if (stream.destroyed || !stream.writable) return;
  try {
    if (stdout) stream.write(stdout);
    if (stderr) stream.stderr.write(stderr);
    stream.exit(code);
    stream.end();
  } catch {
    /* the channel closed meanwhile */
  }
}

export async function handleExec(req: ExecRequest): Promise<void> {
  const { stream, world } = req;
  await world.clock.network(world.latencyMs);
  const ps = parsePowerShell(req.command);
  if (!ps) {
    const word = req.command.trim().split(/\s+/)[0] ?? '';
    finish(
      stream,
      1,
      '',
      `'${word}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`,
    );
    return;
  }
  let script = ps.command ?? '';
  if (ps.encoded !== undefined) {
    script = Buffer.from(ps.encoded, 'base64').toString('utf16le');
  }
  if (ps.encoded === undefined || !world.catalogue.isBootstrap(script)) {
    const { term, line } = firstTerm(script);
    finish(stream, 1, '', termNotRecognizedRecord(term || 'powershell', line));
    return;
  }

  const input = (await readToEnd(stream)).toString('utf8');
  const newline = input.indexOf('\n');
  const first = (newline < 0 ? input : input.slice(0, newline)).replace(/\r$/, '');
  const body = newline < 0 ? '' : input.slice(newline + 1);
  let params: Record<string, unknown>;
  try {
    const decoded = JSON.parse(Buffer.from(first, 'base64').toString('utf8')) as unknown;
    params = typeof decoded === 'object' && decoded !== null ? (decoded as Record<string, unknown>) : {};
  } catch {
    // Raised before the bootstrap's try/catch: powershell.exe prints the record and exits 1.
    finish(
      stream,
      1,
      '',
      'Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. "\r\n',
    );
    return;
  }

  const name = world.catalogue.identify(body);
  const handler = name ? HANDLERS[name] : undefined;
  if (!handler) {
    const { term } = firstTerm(body);
    finish(
      stream,
      1,
      bootstrapFailure(termNotRecognized(term), 'ObjectNotFound', 'CommandNotFoundException'),
    );
    return;
  }
  try {
    const data = await handler({
      host: req.host,
      world,
      params,
      account: req.account,
      logon: req.logon ?? 'password',
    });
    finish(stream, 0, bootstrapSuccess(data));
  } catch (err) {
    if (err instanceof PsError) finish(stream, 1, bootstrapFailure(err.message, err.category, err.errorId));
    else
      finish(
        stream,
        1,
        bootstrapFailure(
          err instanceof Error ? err.message : String(err),
          'NotSpecified',
          'RuntimeException',
        ),
      );
  }
}
