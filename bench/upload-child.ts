/**
 * One upload with the project's uploader (engine/remote/sftp-upload.ts) in a process of its own,
 * so that its peak RSS is the uploader's alone; bundled by the bench (as the shipped code runs),
 * so that the parent can time it from process start like OpenSSH's sftp. Input: BENCH_UPLOAD =
 * { host, port, username, privateKeyPath?, password?, localPath, remotePath, chunkSize?,
 * concurrency?, cipher?, kex? }. Prints one JSON line: the transfer time over the open
 * connection, the connection time and the peak RSS.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { sftpUpload } from '../engine/remote/sftp-upload';

interface Input {
  host: string;
  port: number;
  username: string;
  privateKeyPath?: string;
  password?: string;
  localPath: string;
  remotePath: string;
  chunkSize?: number;
  concurrency?: number;
  /** The one cipher to offer (the same as OpenSSH's sftp is given). */
  cipher?: string;
  /** The one key exchange to offer. */
  kex?: string;
}

const input = JSON.parse(process.env.BENCH_UPLOAD ?? '{}') as Input;
const connecting = process.hrtime.bigint();
const client = new ssh2.Client();
const sock = connect({ host: input.host, port: input.port });
// As the engine does: Nagle off from the first byte.
sock.setNoDelay(true);
await new Promise<void>((resolve, reject) => {
  client.once('ready', () => resolve());
  client.once('error', reject);
  client.connect({
    sock,
    username: input.username,
    ...(input.privateKeyPath ? { privateKey: readFileSync(input.privateKeyPath) } : {}),
    ...(input.password ? { password: input.password } : {}),
    hostVerifier: () => true,
    ...(input.cipher || input.kex
      ? {
          algorithms: {
            ...(input.cipher ? { cipher: [input.cipher as ssh2.CipherAlgorithm] } : {}),
            ...(input.kex ? { kex: [input.kex as ssh2.KexAlgorithm] } : {}),
            serverHostKey: ['ssh-ed25519' as const],
          },
        }
      : {}),
    readyTimeout: 15_000,
  });
});
const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
  client.sftp((err, s) => (err ? reject(err) : resolve(s))),
);
const started = process.hrtime.bigint();
await sftpUpload(sftp, input.localPath, input.remotePath, {
  resume: false,
  ...(input.chunkSize ? { chunkSize: input.chunkSize } : {}),
  ...(input.concurrency ? { concurrency: input.concurrency } : {}),
});
const ms = Number(process.hrtime.bigint() - started) / 1e6;
client.end();
const connectMs = Number(started - connecting) / 1e6;
process.stdout.write(`${JSON.stringify({ ms, connectMs, maxRssKb: process.resourceUsage().maxRSS })}\n`);
