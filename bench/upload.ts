/**
 * Upload benchmark: a 256 MiB file sent by the project's uploader and by OpenSSH's own `sftp`
 * client (batch mode), both to the same throwaway OpenSSH `sshd` this bench starts on 127.0.0.1
 * (a free port, its own host key, config and authorized key in a temporary folder, key logons
 * only), then by the uploader to a lab server. Prints both throughputs, their ratio (target ≥ 0.9)
 * and the uploader's peak RSS (target < 150 MB).
 *
 * Options: --size-mib N (default 256), --rounds N (default 2, best round kept),
 * --chunk BYTES and --inflight N (uploader tuning, default the engine's own).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab } from '../lab/index';
import { UPLOAD_CHUNK, UPLOAD_CONCURRENCY } from '../engine/remote/sftp-upload';
import type { Bench } from './index';

const here = dirname(fileURLToPath(import.meta.url));
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
    for (let done = 0; done < bytes; done += block.length) writeSync(fd, block, 0, Math.min(block.length, bytes - done));
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
  ms: number;
  maxRssKb: number;
}

function uploaderRun(input: Record<string, unknown>): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'upload-child.ts')], {
      env: { ...process.env, BENCH_UPLOAD: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the uploader failed (${code}): ${err || out}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildFigures);
    });
  });
}

function opensshRun(args: { port: number; key: string; user: string; localPath: string; remotePath: string; dir: string }): Promise<number> {
  const batch = join(args.dir, 'batch.txt');
  writeFileSync(batch, `put ${args.localPath} ${args.remotePath}\n`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(
      SFTP,
      [
        '-q',
        '-b',
        batch,
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
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sftp failed (${code}): ${err}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

const mbps = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

export const uploadBench: Bench = {
  description: 'the uploader vs OpenSSH sftp to a throwaway sshd on 127.0.0.1, and to a lab server',
  async run(args) {
    const missing = [SSHD, SFTP, KEYGEN].filter((p) => !existsSync(p));
    if (missing.length > 0) {
      say(`OpenSSH is missing (${missing.join(', ')}). Install it first: apt-get install -y openssh-server openssh-client`);
      return 2;
    }
    const sizeMiB = option(args, '--size-mib', 256);
    const rounds = option(args, '--rounds', 2);
    const chunkSize = option(args, '--chunk', UPLOAD_CHUNK);
    const concurrency = option(args, '--inflight', UPLOAD_CONCURRENCY);
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
      sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
      sshd.stderr?.on('data', (d: Buffer) => (sshdLog += d.toString()));
      await waitForPort(port, sshd, () => sshdLog);

      const local = join(dir, 'payload.bin');
      makeFile(local, bytes);
      say(`Uploading ${sizeMiB} MiB to OpenSSH sshd on 127.0.0.1:${port} (best of ${rounds}); uploader: ${chunkSize} B chunks, ${concurrency} in flight.`);
      let bestOpenssh = Infinity;
      let bestOurs = Infinity;
      let peakRssKb = 0;
      for (let round = 1; round <= rounds; round++) {
        const remoteA = join(dir, `openssh-${round}.bin`);
        const ms = await opensshRun({ port, key: join(dir, 'client_key'), user, localPath: local, remotePath: remoteA, dir });
        if (statSync(remoteA).size !== bytes) throw new Error('OpenSSH sftp wrote a file of the wrong size');
        rmSync(remoteA);
        const remoteB = join(dir, `ours-${round}.bin`);
        const ours = await uploaderRun({ host: '127.0.0.1', port, username: user, privateKeyPath: join(dir, 'client_key'), localPath: local, remotePath: remoteB, chunkSize, concurrency });
        if (statSync(remoteB).size !== bytes) throw new Error('the uploader wrote a file of the wrong size');
        rmSync(remoteB);
        say(`  round ${round}: OpenSSH sftp ${mbps(bytes, ms).toFixed(0)} MiB/s, uploader ${mbps(bytes, ours.ms).toFixed(0)} MiB/s (peak RSS ${(ours.maxRssKb / 1024).toFixed(0)} MiB)`);
        bestOpenssh = Math.min(bestOpenssh, ms);
        bestOurs = Math.min(bestOurs, ours.ms);
        peakRssKb = Math.max(peakRssKb, ours.maxRssKb);
      }

      lab = await startLab({ hosts: 1, latencyMs: 0 });
      const h = lab.hosts[0]!;
      lab.host(h.name).writeFile('C:\\ProgramData\\Twinlock\\packages\\.keep', '');
      const labRun = await uploaderRun({ host: h.address, port: h.port, username: h.username, password: h.password, localPath: local, remotePath: '/C:/ProgramData/Twinlock/packages/payload.bin', chunkSize, concurrency });

      const ratio = mbps(bytes, bestOurs) / mbps(bytes, bestOpenssh);
      const rssMb = (peakRssKb * 1024) / 1_000_000;
      say('');
      say(`OpenSSH sftp:         ${mbps(bytes, bestOpenssh).toFixed(1)} MiB/s`);
      say(`Twinlock uploader:    ${mbps(bytes, bestOurs).toFixed(1)} MiB/s`);
      say(`Ratio:                ${ratio.toFixed(2)} (target ≥ 0.90) ${ratio >= 0.9 ? 'OK' : 'MISSED'}`);
      say(`Uploader peak RSS:    ${rssMb.toFixed(0)} MB (target < 150 MB) ${rssMb < 150 ? 'OK' : 'MISSED'}`);
      say(`Lab server:           ${mbps(bytes, labRun.ms).toFixed(1)} MiB/s (the simulated Windows server, same uploader)`);
      return ratio >= 0.9 && rssMb < 150 ? 0 : 1;
    } finally {
      await lab?.close();
      stop();
    }
  },
};
