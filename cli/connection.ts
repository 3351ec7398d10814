/**
 * The connection options every verb that reaches a host shares, and turning them into sessions.
 * Passwords come from TWINLOCK_PASSWORD or --password-stdin, never from a flag (flags end up in
 * shell history and process lists); a private key from --identity, its passphrase from
 * TWINLOCK_KEY_PASSPHRASE.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { HostSession, TwinlockApi } from '../engine/api';
import { TwinlockError } from '../engine/api/errors';
import { parseHostArg } from './host-arg';
import { checkFingerprint, checkedText, wholeNumber } from './options';

export interface ConnectionOptions {
  user?: string;
  trustNew?: boolean;
  fingerprint?: string[];
  timeout?: string;
  passwordStdin?: boolean;
  identity?: string;
}

/** A password, or a private key and its passphrase. */
export interface Credentials {
  password?: string;
  privateKey?: string;
  passphrase?: string;
}

/** The connect timeout's bounds, in milliseconds: those of the contract's ConnectRequest. */
export const CONNECT_TIMEOUT_MS = { min: 500, max: 120_000 } as const;

export function addConnectionOptions(command: Command): Command {
  return command
    .option('--user <name>', 'administrator account on the servers (default: Administrator)')
    .option('--trust-new', 'pin the host key of a server seen for the first time')
    .option(
      '--fingerprint <SHA256:...>',
      'accept this host-key fingerprint for a new server (repeat for each server)',
      (value: string, previous: string[] = []) => [...previous, checkFingerprint(value)],
    )
    .option(
      '--timeout <ms>',
      'connect timeout in milliseconds',
      checkedText(wholeNumber('--timeout', { ...CONNECT_TIMEOUT_MS, unit: 'milliseconds' }, '15000')),
      '15000',
    )
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option(
      '--identity <file>',
      'log on with this private key instead of a password (passphrase from TWINLOCK_KEY_PASSPHRASE)',
    );
}

/** The private key of --identity with its passphrase, else the password. */
export async function readCredentials(options: ConnectionOptions): Promise<Credentials> {
  if (options.identity === undefined) return { password: await readPassword(options) };
  let privateKey: string;
  try {
    privateKey = await readFile(options.identity, 'utf8');
  } catch (err) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--identity: ${options.identity} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}.`,
      hint: 'Give the path of the private key file, for example --identity ~/.ssh/id_ed25519.',
      detail: { field: 'identity' },
    });
  }
  const passphrase = process.env.TWINLOCK_KEY_PASSPHRASE;
  return { privateKey, ...(passphrase ? { passphrase } : {}) };
}

/** The servers' password: --password-stdin, else TWINLOCK_PASSWORD. */
export async function readPassword(options: ConnectionOptions): Promise<string> {
  if (options.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (line) return line;
  }
  const fromEnv = process.env.TWINLOCK_PASSWORD;
  if (fromEnv) return fromEnv;
  throw new TwinlockError({
    code: 'invalid-input',
    message: 'No password was given for the servers.',
    hint: 'Set TWINLOCK_PASSWORD in the environment, or pipe it in with --password-stdin.',
  });
}

/** Connects to each host with the shared options; the password is read once. */
export async function connectAll(
  api: TwinlockApi,
  hosts: string[],
  options: ConnectionOptions,
): Promise<HostSession[]> {
  // --fingerprint and --timeout were checked as the command line was read (cli/options.ts).
  const credentials = await readCredentials(options);
  const timeoutMs = Number(options.timeout ?? 15000);
  const targets = hosts.map((h) => parseHostArg(h));
  // Every attempt settles before the first failure is reported, so no connection is left half-open.
  const settled = await Promise.allSettled(
    targets.map(async (target) => {
      const base = {
        ...target,
        username: options.user ?? 'Administrator',
        ...credentials,
        timeoutMs,
      };
      try {
        return await api.connect(base);
      } catch (err) {
        const detail = (err as TwinlockError).detail;
        const presented = typeof detail?.fingerprint === 'string' ? detail.fingerprint : undefined;
        if ((err as TwinlockError).code === 'unknown-host-key' && presented) {
          if (options.trustNew || options.fingerprint?.includes(presented)) {
            return api.connect({ ...base, acceptFingerprint: presented });
          }
          throw new TwinlockError({
            code: 'unknown-host-key',
            message: `${target.address}:${target.port} has never been seen before; its host key is ${presented}.`,
            hint:
              'Compare it with the server’s own: on the server, run this line in PowerShell and check that it prints the same' +
              (typeof detail?.checkCommand === 'string' ? ` (${detail.checkCommand})` : '') +
              `, then run again with --fingerprint ${presented} or --trust-new.`,
            detail: { fingerprint: presented, host: `${target.address}:${target.port}` },
          });
        }
        throw err;
      }
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<HostSession>).value);
}
