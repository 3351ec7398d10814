/**
 * Upload benchmark: a 256 MiB file sent by the project's uploader and by OpenSSH's own `sftp`
 * client, both to the same throwaway OpenSSH `sshd` this bench starts on 127.0.0.1 (a free port,
 * its own host key, config and authorized key in a temporary folder, key logons only), with the
 * same cipher and key exchange offered by both; then by the uploader to a lab server.
 *
 * The race is run two ways, and both ratios printed:
 *   - from process start: `sftp -b batch` against the uploader's own process (bundled by esbuild,
 *     as the shipped code runs, not compiled by tsx), each timed from spawn to exit, connection
 *     and authentication included;
 *   - over an open connection: the uploader's transfer timed inside its process after the SFTP
 *     channel opened, and OpenSSH's `put` timed inside one sftp session fed on stdin, from the
 *     moment it answered a first `pwd` to the answer of the `pwd` after the `put`.
 * Targets: ratio ≥ 0.90 over an open connection; the uploader's peak RSS < 150 MB.
 *
 * Options: --size-mib N (default 256), --rounds N (default 2, best round kept),
 * --chunk BYTES and --inflight N (uploader tuning, default the engine's own),
 * --cipher NAME (default aes128-gcm@openssh.com), --kex NAME (default curve25519-sha256).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { build } from 'esbuild';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab } from '../lab/index';
import { UPLOAD_CHUNK, UPLOAD_CONCURRENCY } from '../engine/remote/sftp-upload';
import type { Bench } from './index';

const here = dirname(fileURLToPath(import.meta.url));
/** The child bundled like the shipped code, inside node_modules so that its packages resolve. */
const bundleDir = join(here, '..', 'node_modules', '.cache', 'twinlock-bench-upload');
const bundledChild = join(bundleDir, 'upload-child.mjs');
const SSHD = '/usr/sbin/sshd';
const SFTP = '/usr/bin/sftp';
const KEYGEN = '/usr/bin/ssh-keygen';
const MiB = 1024 * 1024;

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

function text(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  const value = i >= 0 ? args[i + 1] : fallback;
  if (!value || !/^[a-z0-9@.+-]+$/.test(value)) throw new Error(`${name} needs an algorithm name`);
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function makeFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    // Random content: nothing on the way can compress it.
    const block = randomBytes(4 * MiB);
    for (let done = 0; done < bytes; done += block.length)
      writeSync(fd, block, 0, Math.min(block.length, bytes - done));
  } finally {
    closeSync(fd);
  }
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

async function waitForPort(port: number, sshd: ReturnType<typeof spawn>, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited (${sshd.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ChildFigures {
  /** The transfer over the open connection, timed inside the process. */
  ms: number;
  /** Connection, key exchange, authentication and SFTP channel. */
  connectMs: number;
  /** From spawn to exit, timed by this process. */
  processMs: number;
  maxRssKb: number;
}

async function bundleChild(): Promise<void> {
  rmSync(bundleDir, { recursive: true, force: true });
  await build({
    entryPoints: [join(here, 'upload-child.ts')],
    outfile: bundledChild,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

function uploaderRun(input: Record<string, unknown>): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bundledChild], {
      env: { ...process.env, BENCH_UPLOAD: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      const processMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`the uploader failed (${code}): ${err || out}`));
      else
        resolve({
          ...(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Omit<ChildFigures, 'processMs'>),
          processMs,
        });
    });
  });
}

interface OpensshArgs {
  port: number;
  key: string;
  user: string;
  localPath: string;
  remotePath: string;
  dir: string;
  cipher: string;
  kex: string;
}

function sftpArgs(args: OpensshArgs, batch: string): string[] {
  return [
    '-q',
    '-b',
    batch,
    '-c',
    args.cipher,
    '-o',
    `KexAlgorithms=${args.kex}`,
    '-o',
    'HostKeyAlgorithms=ssh-ed25519',
    '-i',
    args.key,
    '-P',
    String(args.port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${join(args.dir, 'known_hosts')}`,
    '-o',
    'BatchMode=yes',
    `${args.user}@127.0.0.1`,
  ];
}

/** `sftp -b batch`: one process from spawn to exit, connection included. */
function opensshRun(args: OpensshArgs): Promise<number> {
  const batch = join(args.dir, 'batch.txt');
  writeFileSync(batch, `put ${args.localPath} ${args.remotePath}\n`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(SFTP, sftpArgs(args, batch), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sftp failed (${code}): ${err}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

/** One `put` inside an sftp session that is already connected: commands fed on stdin, answers awaited. */
function opensshOpenRun(args: OpensshArgs): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(SFTP, sftpArgs(args, '-'), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let started = 0n;
    let result = NaN;
    const answers = () => out.split('Remote working directory:').length - 1;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (answers() === 1 && started === 0n) {
        // Connected and answering: time the put from here.
        started = process.hrtime.bigint();
        child.stdin.write(`put ${args.localPath} ${args.remotePath}\npwd\n`);
      } else if (answers() === 2 && Number.isNaN(result)) {
        result = Number(process.hrtime.bigint() - started) / 1e6;
        child.stdin.end('bye\n');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0 || Number.isNaN(result)) reject(new Error(`sftp failed (${code}): ${err}`));
      else resolve(result);
    });
    child.stdin.write('pwd\n');
  });
}

const mbps = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

export const uploadBench: Bench = {
  description: 'the uploader vs OpenSSH sftp to a throwaway sshd on 127.0.0.1, and to a lab server',
  async run(args) {
    const missing = [SSHD, SFTP, KEYGEN].filter((p) => !existsSync(p));
    if (missing.length > 0) {
      say(
        `OpenSSH is missing (${missing.join(', ')}). Install it first: apt-get install -y openssh-server openssh-client`,
      );
      return 2;
    }
    const sizeMiB = option(args, '--size-mib', 256);
    const rounds = option(args, '--rounds', 2);
    const chunkSize = option(args, '--chunk', UPLOAD_CHUNK);
    const concurrency = option(args, '--inflight', UPLOAD_CONCURRENCY);
    const cipher = text(args, '--cipher', 'aes128-gcm@openssh.com');
    const kex = text(args, '--kex', 'curve25519-sha256');
    const bytes = sizeMiB * MiB;
    const dir = mkdtempSync(join(tmpdir(), 'twinlock-bench-upload-'));
    let sshd: ReturnType<typeof spawn> | null = null;
    let lab: Awaited<ReturnType<typeof startLab>> | null = null;
    const stop = () => {
      sshd?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('SIGINT', () => {
      stop();
      process.exit(130);
    });
    try {
      run(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
      run(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
      writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
      const port = await freePort();
      const user = userInfo().username;
      writeFileSync(
        join(dir, 'sshd_config'),
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${join(dir, 'host_key')}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          'UsePAM no',
          'StrictModes no',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      // sshd refuses to start without its privilege-separation folder.
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      let sshdLog = '';
      sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      sshd.stderr?.on('data', (d: Buffer) => (sshdLog += d.toString()));
      await waitForPort(port, sshd, () => sshdLog);

      const local = join(dir, 'payload.bin');
      makeFile(local, bytes);
      await bundleChild();
      const ssh: Omit<OpensshArgs, 'remotePath'> = {
        port,
        key: join(dir, 'client_key'),
        user,
        localPath: local,
        dir,
        cipher,
        kex,
      };
      say(
        `Uploading ${sizeMiB} MiB to OpenSSH sshd on 127.0.0.1:${port} (best of ${rounds}), both clients offered only ${cipher} and ${kex}; uploader: ${chunkSize} B chunks, ${concurrency} in flight.`,
      );
      const best = {
        opensshProcess: Infinity,
        opensshOpen: Infinity,
        oursProcess: Infinity,
        oursOpen: Infinity,
        oursConnect: Infinity,
      };
      let peakRssKb = 0;
      const check = (path: string, who: string) => {
        if (statSync(path).size !== bytes) throw new Error(`${who} wrote a file of the wrong size`);
        rmSync(path);
      };
      for (let round = 1; round <= rounds; round++) {
        const a = join(dir, `openssh-${round}.bin`);
        const opensshProcess = await opensshRun({ ...ssh, remotePath: a });
        check(a, 'OpenSSH sftp');
        const b = join(dir, `openssh-open-${round}.bin`);
        const opensshOpen = await opensshOpenRun({ ...ssh, remotePath: b });
        check(b, 'OpenSSH sftp');
        const c = join(dir, `ours-${round}.bin`);
        const ours = await uploaderRun({
          host: '127.0.0.1',
          port,
          username: user,
          privateKeyPath: join(dir, 'client_key'),
          localPath: local,
          remotePath: c,
          chunkSize,
          concurrency,
          cipher,
          kex,
        });
        check(c, 'the uploader');
        say(
          `  round ${round}: from process start OpenSSH ${mbps(bytes, opensshProcess).toFixed(0)} MiB/s, uploader ${mbps(bytes, ours.processMs).toFixed(0)} MiB/s; ` +
            `over an open connection OpenSSH ${mbps(bytes, opensshOpen).toFixed(0)} MiB/s, uploader ${mbps(bytes, ours.ms).toFixed(0)} MiB/s (peak RSS ${(ours.maxRssKb / 1024).toFixed(0)} MiB)`,
        );
        best.opensshProcess = Math.min(best.opensshProcess, opensshProcess);
        best.opensshOpen = Math.min(best.opensshOpen, opensshOpen);
        best.oursProcess = Math.min(best.oursProcess, ours.processMs);
        best.oursOpen = Math.min(best.oursOpen, ours.ms);
        best.oursConnect = Math.min(best.oursConnect, ours.connectMs);
        peakRssKb = Math.max(peakRssKb, ours.maxRssKb);
      }

      lab = await startLab({ hosts: 1, latencyMs: 0 });
      const h = lab.hosts[0]!;
      lab.host(h.name).writeFile('C:\\ProgramData\\Twinlock\\packages\\.keep', '');
      const labRun = await uploaderRun({
        host: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        localPath: local,
        remotePath: '/C:/ProgramData/Twinlock/packages/payload.bin',
        chunkSize,
        concurrency,
      });

      // Ratios of throughput, uploader over OpenSSH (1.0: as fast; the time ratio inverted).
      const processRatio = best.opensshProcess / best.oursProcess;
      const openRatio = best.opensshOpen / best.oursOpen;
      const rssMb = (peakRssKb * 1024) / 1_000_000;
      say('');
      say('                        from process start    over an open connection');
      say(
        `OpenSSH sftp:           ${`${mbps(bytes, best.opensshProcess).toFixed(1)} MiB/s (${(best.opensshProcess / 1000).toFixed(2)} s)`.padEnd(22)}${mbps(bytes, best.opensshOpen).toFixed(1)} MiB/s (${(best.opensshOpen / 1000).toFixed(2)} s)`,
      );
      say(
        `Twinlock uploader:      ${`${mbps(bytes, best.oursProcess).toFixed(1)} MiB/s (${(best.oursProcess / 1000).toFixed(2)} s)`.padEnd(22)}${mbps(bytes, best.oursOpen).toFixed(1)} MiB/s (${(best.oursOpen / 1000).toFixed(2)} s); connecting took ${best.oursConnect.toFixed(0)} ms`,
      );
      say(
        `Ratio uploader/OpenSSH: ${processRatio.toFixed(2).padEnd(22)}${openRatio.toFixed(2)} (target ≥ 0.90) ${openRatio >= 0.9 ? 'OK' : 'MISSED'}`,
      );
      say(
        `Uploader peak RSS:      ${rssMb.toFixed(0)} MB (target < 150 MB) ${rssMb < 150 ? 'OK' : 'MISSED'}`,
      );
      say(
        `Lab server:             ${mbps(bytes, labRun.ms).toFixed(1)} MiB/s over an open connection (the simulated Windows server, same uploader)`,
      );
      return openRatio >= 0.9 && rssMb < 150 ? 0 : 1;
    } finally {
      await lab?.close();
      stop();
    }
  },
};
