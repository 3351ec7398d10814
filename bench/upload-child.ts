/**
 * One upload with the project's uploader (engine/remote/sftp-upload.ts) in a process of its own,
 * so that its peak RSS is the uploader's alone. Input: BENCH_UPLOAD = { host, port, username,
 * privateKeyPath?, password?, localPath, remotePath, chunkSize?, concurrency? }. Prints one JSON line.
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
}

const input = JSON.parse(process.env.BENCH_UPLOAD ?? '{}') as Input;
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
    readyTimeout: 15_000,
  });
});
const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
const started = process.hrtime.bigint();
await sftpUpload(sftp, input.localPath, input.remotePath, {
  resume: false,
  ...(input.chunkSize ? { chunkSize: input.chunkSize } : {}),
  ...(input.concurrency ? { concurrency: input.concurrency } : {}),
});
const ms = Number(process.hrtime.bigint() - started) / 1e6;
client.end();
process.stdout.write(`${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS })}\n`);
