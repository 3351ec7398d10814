/**
 * A plain ssh2 client driving the lab exactly as docs/architecture.md describes remote execution,
 * with no engine code in between: the encoded bootstrap on the command line, parameters and
 * script on stdin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import type { LabHostInfo } from '../../../lab/index';

const RESOURCES = join(import.meta.dirname, '../../../resources');
export const BOOTSTRAP = readFileSync(join(RESOURCES, 'bootstrap.ps1'), 'utf8');

export function scriptText(name: string): string {
  return readFileSync(join(RESOURCES, 'scripts', `${name}.ps1`), 'utf8');
}

export function encodedCommand(text: string): string {
  return `powershell.exe -NoProfile -NonInteractive -EncodedCommand ${Buffer.from(text, 'utf16le').toString('base64')}`;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Connects with a password; rejects on auth failure. Records the host key fingerprint seen. */
export function connect(
  info: LabHostInfo,
  password = info.password,
): Promise<{ client: Client; hostKey: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey: Buffer = Buffer.alloc(0);
    client
      .on('ready', () => resolve({ client, hostKey }))
      .on('error', reject)
      .connect({
        host: info.address,
        port: info.port,
        username: info.username,
        password,
        readyTimeout: 10_000,
        hostVerifier: (key: Buffer) => {
          hostKey = key;
          return true;
        },
      });
  });
}

export function exec(client: Client, command: string, stdin?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve({ code, stdout, stderr }));
      if (stdin !== undefined) stream.end(stdin);
      else stream.end();
    });
  });
}

/** Runs a script through the bootstrap; `body` replaces the script text (to test refusal). */
export async function runScript(
  client: Client,
  name: string,
  params: object = {},
  body = scriptText(name),
): Promise<ExecResult & { json: any }> {
  const stdin = `${Buffer.from(JSON.stringify(params), 'utf8').toString('base64')}\n${body}`;
  const result = await exec(client, encodedCommand(BOOTSTRAP), stdin);
  let json: any = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = null;
  }
  return { ...result, json };
}

export function sftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** Creates each missing folder of an SFTP path, as an engine's mkdirp would. */
export async function mkdirp(s: SFTPWrapper, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  for (let i = 2; i <= parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    try {
      await call<unknown>((cb) => s.stat(dir, cb));
    } catch {
      await call<void>((cb) => s.mkdir(dir, (err) => cb(err, undefined)));
    }
  }
}

/**
 * Uploads a buffer in `chunk`-byte WRITE requests starting at `from`. Rejects when the connection
 * drops: ssh2 leaves requests in flight unanswered then, so the channel's close is watched too.
 */
export function upload(
  s: SFTPWrapper,
  remote: string,
  data: Buffer,
  chunk = 100 * 1024,
  from = 0,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('connection lost'));
    s.once('close', onClose);
    uploadChunks(s, remote, data, chunk, from)
      .then(resolve, reject)
      .finally(() => s.off('close', onClose));
  });
}

async function uploadChunks(
  s: SFTPWrapper,
  remote: string,
  data: Buffer,
  chunk: number,
  from: number,
): Promise<void> {
  const handle = await call<Buffer>((cb) => s.open(remote, from > 0 ? 'r+' : 'w', cb));
  try {
    for (let off = from; off < data.length; off += chunk) {
      const len = Math.min(chunk, data.length - off);
      await call<void>((cb) => s.write(handle, data, off, len, off, (err) => cb(err, undefined)));
    }
  } finally {
    await call<void>((cb) => s.close(handle, (err) => cb(err, undefined)));
  }
}

export function statSize(s: SFTPWrapper, path: string): Promise<number> {
  return call<{ size: number }>((cb) => s.stat(path, cb as never)).then((st) => st.size);
}
