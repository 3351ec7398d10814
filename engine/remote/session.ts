/**
 * A connected Windows server: runs the project's PowerShell scripts and uploads files over one
 * SSH connection. See ssh-connect.ts for connecting, powershell-runner.ts for the framing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { TwinlockError } from '../api/errors';
import { buildStdin, encodeCommand, parseScriptOutput, stripBom } from './powershell-runner';
import type { ScriptName, ScriptParams } from './scripts';
import { sftpMkdirp, sftpUpload } from './sftp-upload';
import { connectSsh, type ConnectOptions, type SshConnection } from './ssh-connect';
import type { RemoteHost, RunOptions, UploadOptions } from './types';

/** Scripts that do not say otherwise must finish within a minute. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 60_000;
/** Windows OpenSSH allows 10 sessions (channels) per connection by default (MaxSessions). */
const MAX_CHANNELS = 8;

export interface OpenSessionOptions extends ConnectOptions {
  /** Folder holding bootstrap.ps1 and scripts/<name>.ps1. */
  resourcesDir: string;
}

/** Opens a session: connects, checks or pins the host key, authenticates. */
export async function openSession(
  options: OpenSessionOptions,
): Promise<{ host: RemoteHost; newlyPinned: boolean }> {
  const resources = scriptSource(options.resourcesDir);
  // Reading the bootstrap first means a broken installation fails before any network traffic.
  await resources.bootstrapCommand();
  const conn = await connectSsh(options);
  return { host: new SshRemoteHost(conn, options, resources), newlyPinned: conn.newlyPinned };
}

/** A script as it ships: its exact text (what runs on the server), the version in its header and its SHA-256. */
export interface ScriptInfo {
  name: ScriptName;
  version: string;
  sha256: string;
  text: string;
}

/** Reads a script from the catalogue (`<resourcesDir>/scripts/<name>.ps1`), as a session would send it. */
export async function readScript(resourcesDir: string, name: ScriptName): Promise<ScriptInfo> {
  const text = await scriptSource(resourcesDir).script(name);
  const version = /^# Version: (\d+)/m.exec(text)?.[1];
  if (!version) {
    throw new TwinlockError({
      code: 'internal',
      message: `Twinlock's remote script "${name}" has no version in its header.`,
      hint: 'The installation is damaged: reinstall Twinlock.',
      detail: { script: name },
    });
  }
  return { name, version, sha256: createHash('sha256').update(text, 'utf8').digest('hex'), text };
}

interface ScriptSource {
  bootstrapCommand(): Promise<string>;
  script(name: ScriptName): Promise<string>;
}

const sources = new Map<string, ScriptSource>();

/** Script texts are read once per resources folder: they ship with the application. */
function scriptSource(resourcesDir: string): ScriptSource {
  let source = sources.get(resourcesDir);
  if (source) return source;
  const cache = new Map<string, Promise<string>>();
  const load = (file: string, what: string): Promise<string> => {
    let text = cache.get(file);
    if (!text) {
      text = readFile(join(resourcesDir, file), 'utf8').then(stripBom, (err: unknown) => {
        cache.delete(file);
        throw new TwinlockError(
          {
            code: 'internal',
            message: `Twinlock's ${what} is missing from ${resourcesDir}.`,
            hint: 'The installation is incomplete: reinstall Twinlock.',
            detail: { file: join(resourcesDir, file) },
          },
          { cause: err },
        );
      });
      cache.set(file, text);
    }
    return text;
  };
  source = {
    bootstrapCommand: () => load('bootstrap.ps1', 'PowerShell bootstrap').then(encodeCommand),
    script: (name) => load(join('scripts', `${name}.ps1`), `remote script "${name}"`),
  };
  sources.set(resourcesDir, source);
  return source;
}

class SshRemoteHost implements RemoteHost {
  readonly label: string;
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly fingerprint: string;

  private connected = true;
  private closing = false;
  private readonly onLost = new Set<() => void>();
  private sftp: Promise<SFTPWrapper> | null = null;
  private channels = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly conn: SshConnection,
    options: OpenSessionOptions,
    private readonly resources: ScriptSource,
  ) {
    this.address = options.address;
    this.port = options.port;
    this.username = options.username;
    this.fingerprint = conn.fingerprint;
    this.label = options.address.includes(':')
      ? `[${options.address}]:${options.port}`
      : `${options.address}:${options.port}`;
    const lost = () => {
      if (!this.connected) return;
      this.connected = false;
      this.sftp = null;
      for (const fn of [...this.onLost]) fn();
    };
    conn.client.on('close', lost);
    conn.client.on('end', lost);
    // After 'ready', errors (keepalive timeout, socket reset) precede 'close'; without a
    // listener Node would crash the process on them.
    conn.client.on('error', lost);
    if (conn.isClosed()) this.connected = false;
  }

  isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.conn.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.conn.ssh.dispose();
    });
    this.connected = false;
  }

  async runScript<N extends ScriptName>(
    name: N,
    params: ScriptParams[N],
    options: RunOptions = {},
  ): Promise<unknown> {
    const [command, script] = await Promise.all([
      this.resources.bootstrapCommand(),
      this.resources.script(name),
    ]);
    await this.acquireChannel();
    let output: { stdout: string; stderr: string; exitCode: number | null };
    try {
      output = await this.exec(name, command, buildStdin(params, script), options);
    } finally {
      this.releaseChannel();
    }
    return parseScriptOutput(name, output);
  }

  async mkdirp(remotePath: string): Promise<void> {
    try {
      await sftpMkdirp(await this.getSftp(), remotePath);
    } catch (err) {
      throw this.transferError(err, `create the folder ${remotePath}`);
    }
  }

  async upload(localPath: string, remotePath: string, options: UploadOptions = {}): Promise<void> {
    const controller = new AbortController();
    const { signal } = options;
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) controller.abort();
    let timedOut = false;
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, options.timeoutMs)
        : undefined;
    const lost = () => controller.abort();
    this.onLost.add(lost);
    try {
      const sftp = await this.getSftp();
      const uploadOptions: Parameters<typeof sftpUpload>[3] = { signal: controller.signal };
      if (options.onProgress) uploadOptions.onProgress = options.onProgress;
      if (options.resume !== undefined) uploadOptions.resume = options.resume;
      await sftpUpload(sftp, localPath, remotePath, uploadOptions);
    } catch (err) {
      if (timedOut) {
        throw new TwinlockError({
          code: 'timeout',
          message: `Uploading to ${this.label} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s.`,
          hint: 'Check the network between this computer and the server; the next attempt resumes where this one stopped.',
          detail: { remotePath },
        });
      }
      throw this.transferError(err, `upload ${remotePath}`);
    } finally {
      clearTimeout(timer);
      this.onLost.delete(lost);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private transferError(err: unknown, doing: string): TwinlockError {
    if (!this.connected) return this.connectionLost(doing);
    if (err instanceof TwinlockError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new TwinlockError(
      {
        code: 'install-failed',
        message: `Twinlock could not ${doing} on ${this.label}: ${message}.`,
        hint: 'Check that the account may write there and that the disk has free space; the next attempt resumes.',
        detail: { host: this.label },
      },
      { cause: err },
    );
  }

  private connectionLost(doing: string): TwinlockError {
    return new TwinlockError({
      code: 'connection-lost',
      message: this.closing
        ? `The session to ${this.label} was closed, so Twinlock could not ${doing}.`
        : `The connection to ${this.label} dropped while Twinlock was trying to ${doing}.`,
      hint: 'Check that the server is up and reachable, then connect again; the step can be repeated safely.',
      detail: { host: this.label },
    });
  }

  private getSftp(): Promise<SFTPWrapper> {
    if (!this.connected) return Promise.reject(this.connectionLost('open a file transfer'));
    if (!this.sftp) {
      const pending = (async () => {
        await this.acquireChannel();
        try {
          const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
            this.conn.client.sftp((err, s) => (err ? reject(err) : resolve(s)));
          });
          // The SFTP session holds its channel for as long as it lives.
          sftp.on('close', () => {
            if (this.sftp === pending) this.sftp = null;
            this.releaseChannel();
          });
          return sftp;
        } catch (err) {
          this.releaseChannel();
          throw err;
        }
      })();
      pending.catch(() => {
        if (this.sftp === pending) this.sftp = null;
      });
      this.sftp = pending;
    }
    return this.sftp;
  }

  /** Bounds the channels open at once so parallel work does not hit the server's MaxSessions. */
  private async acquireChannel(): Promise<void> {
    while (this.channels >= MAX_CHANNELS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.channels++;
  }

  private releaseChannel(): void {
    this.channels--;
    this.waiting.shift()?.();
  }

  private exec(
    name: string,
    command: string,
    stdin: string,
    options: RunOptions,
  ): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const { signal } = options;
    const doing = `run "${name}"`;
    return new Promise((resolve, reject) => {
      if (!this.connected) return reject(this.connectionLost(doing));
      if (signal?.aborted) return reject(cancelledError(name));
      let channel: ClientChannel | null = null;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exitCode: number | null = null;

      const finish = (err: TwinlockError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.onLost.delete(onLost);
        if (err) {
          channel?.close();
          reject(err);
        } else {
          resolve({
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
            exitCode,
          });
        }
      };
      const onAbort = () => finish(cancelledError(name));
      const onLost = () => finish(this.connectionLost(doing));
      const timer = setTimeout(
        () =>
          finish(
            new TwinlockError({
              code: 'timeout',
              message: `"${name}" did not finish on ${this.label} within ${Math.round(timeoutMs / 1000)} s.`,
              hint: 'The server may be busy or waiting on something (a pending installation, a hung service); try again in a few minutes.',
              detail: { script: name, host: this.label, timeoutMs },
            }),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.onLost.add(onLost);

      this.conn.client.exec(command, (err, ch) => {
        if (err) {
          finish(
            this.connected
              ? new TwinlockError({
                  code: 'script-failed',
                  message: `${this.label} refused to start "${name}": ${err.message}.`,
                  hint: 'The server may limit SSH sessions (MaxSessions in sshd_config); try again.',
                  detail: { script: name, host: this.label },
                })
              : this.connectionLost(doing),
          );
          return;
        }
        if (settled) {
          ch.close();
          return;
        }
        channel = ch;
        ch.on('data', (chunk: Buffer) => stdout.push(chunk));
        ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        ch.on('exit', (code: number | null) => {
          exitCode = typeof code === 'number' ? code : null;
        });
        ch.on('close', () => {
          // A dropped connection closes channels too; output that is already complete still counts.
          if (!this.connected && exitCode === null) finish(this.connectionLost(doing));
          else finish(null);
        });
        ch.on('error', () => undefined);
        ch.end(stdin);
      });
    });
  }
}

function cancelledError(name: string): TwinlockError {
  return new TwinlockError({
    code: 'cancelled',
    message: `"${name}" was cancelled.`,
    detail: { script: name },
  });
}
