/**
 * `twinlock lab start`: simulated Windows servers on this machine, in the foreground. The lab
 * loads when the verb runs, so that every other verb starts without it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TwinlockError, toErrorData } from '../../engine/api/errors';
import { PORT_MAX, PORT_MIN, isPort } from '../../engine/api/rules';
import type { Lab } from '../../lab/index';
import { createOutput, table } from '../output';
import type { Output } from '../output';
import { untilInterrupted } from '../run';

/** How far above `base` an address may go and stay inside 127.0.0.0/8 (127.255.255.254 the last). */
function loopbackRoom(base: string): number {
  const [, b1 = 0, b2 = 0, b3 = 0] = base.split('.').map(Number);
  return 0xfffffe - ((b1 * 256 + b2) * 256 + b3);
}

/** `twinlock lab start`'s flags, as commander hands them over. */
interface LabFlags {
  hosts?: string;
  pairs?: string;
  fleetOut?: string;
  profile?: string;
  profileFile?: string;
  addressBase?: string;
  port?: string;
  decoys?: boolean;
  authorizedKey?: string;
  json?: boolean;
}

/** The lab's options from the command line, every value and combination checked before it starts. */
function labOptions(options: LabFlags, profiles: string[], maxPairs: number) {
  if (options.pairs !== undefined && options.hosts !== undefined) {
    throw new TwinlockError({
      code: 'invalid-input',
      message:
        '--pairs and --hosts do not go together: --hosts runs servers of one profile that all see each other, --pairs a fleet of separate pairs.',
      hint: 'Leave out --hosts: --pairs 20 runs 40 servers, two per pair.',
      detail: { field: 'pairs' },
    });
  }
  if (options.fleetOut !== undefined && options.pairs === undefined) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: '--fleet-out writes the fleet file of the lab’s pairs: it needs --pairs.',
      hint: 'For example --pairs 20 --fleet-out fleet.yaml.',
      detail: { field: 'fleet-out' },
    });
  }
  const pairs = options.pairs === undefined ? undefined : Number(options.pairs);
  if (pairs !== undefined && (!/^\d+$/.test(options.pairs!) || pairs < 1 || pairs > maxPairs)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--pairs must be a whole number from 1 to ${maxPairs} (got “${options.pairs}”).`,
      hint: 'For example --pairs 20.',
      detail: { field: 'pairs' },
    });
  }
  const hosts = pairs !== undefined ? 2 * pairs : options.hosts === undefined ? 2 : Number(options.hosts);
  if (pairs === undefined && (!Number.isInteger(hosts) || hosts < 1 || hosts > 16)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--hosts must be a whole number from 1 to 16 (got “${options.hosts}”).`,
      hint: 'For example --hosts 2.',
    });
  }
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && !isPort(port)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--port must be a number from ${PORT_MIN} to ${PORT_MAX} (got “${options.port}”).`,
      hint: 'For example --address-base 127.0.0.11 --port 2222 (port 22 needs administrator rights).',
    });
  }
  const base = options.addressBase;
  if (
    base !== undefined &&
    (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(base) || base.split('.').some((p) => Number(p) > 255))
  ) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--address-base must be a loopback address in 127.0.0.0/8 (got “${base}”).`,
      hint: 'For example --address-base 127.0.0.11: the servers then listen on 127.0.0.11, 127.0.0.12, …',
    });
  }
  if (base !== undefined && process.platform === 'darwin') {
    throw new TwinlockError({
      code: 'invalid-input',
      message: 'macOS answers only on 127.0.0.1, so --address-base cannot give each server its own address.',
      hint: 'Leave out --address-base (and --port): each server then gets a free port on 127.0.0.1.',
      detail: { field: 'address-base' },
    });
  }
  // The servers take base, base+1, …; decoys sit ten addresses up (or after the servers).
  const highest = options.decoys ? Math.max(10, hosts) + 2 : hosts - 1;
  if (base !== undefined && loopbackRoom(base) < highest) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--address-base ${base} leaves no room for ${options.decoys ? `${hosts} servers and the decoys` : `${hosts} servers`}: the lab's addresses must stay inside 127.0.0.0/8.`,
      hint: 'Start lower, for example --address-base 127.0.0.11.',
      detail: { field: 'address-base' },
    });
  }
  if (port !== undefined && base === undefined && hosts > 1) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--port ${port} would give ${hosts} servers on 127.0.0.1 the same port.`,
      hint: `Give each server its own address with --address-base 127.0.0.11 --port ${port}, or leave out --port.`,
      detail: { field: 'port' },
    });
  }
  if (options.profile !== undefined && !profiles.includes(options.profile)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--profile “${options.profile}” is not a lab profile: it takes one of ${profiles.join(', ')}.`,
      hint: 'For example --profile matched-pair, or give your own file with --profile-file.',
      detail: { field: 'profile' },
    });
  }
  if (options.profileFile !== undefined && !existsSync(options.profileFile)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--profile-file: ${options.profileFile} does not exist.`,
      hint: 'Give the path of a lab profile JSON file (lab/profiles/ has examples).',
      detail: { field: 'profile-file' },
    });
  }
  return {
    ...(pairs !== undefined ? { pairs } : { hosts }),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.profileFile ? { profileFile: options.profileFile } : {}),
    ...(options.addressBase !== undefined ? { addressBase: options.addressBase } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(options.decoys ? { decoys: true } : {}),
    ...(options.authorizedKey ? { authorizedKeys: [readPublicKey(options.authorizedKey)] } : {}),
  };
}

/** One OpenSSH public key line from a .pub file, for the lab's administrators_authorized_keys. */
function readPublicKey(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--authorized-key: ${file} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}.`,
      hint: 'Give the public key file, for example --authorized-key ~/.ssh/id_ed25519.pub.',
    });
  }
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(text)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--authorized-key: ${file} is not an OpenSSH public key (one line starting ssh-ed25519, ssh-rsa or ecdsa-sha2-…).`,
      hint: 'Give the .pub file that ssh-keygen wrote next to the private key.',
    });
  }
  return text;
}

/** Writes the fleet file of a lab of pairs and prints the pairs, the account and where the file is. */
async function printFleet(lab: Lab, fleetOut: string | undefined, out: Output): Promise<void> {
  const { writeFleetFile } = await import('../../lab/index');
  const fleet = lab.fleet;
  const username = lab.hosts[0]!.username;
  const password = lab.hosts[0]!.password;
  let fleetFile: string;
  try {
    fleetFile = writeFleetFile(fleetOut ?? join(lab.dataDir, 'lab-fleet.yaml'), {
      pairs: fleet,
      user: username,
    });
  } catch (err) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--fleet-out: ${fleetOut} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      hint: 'Give a file in a folder you can write, for example --fleet-out ./lab-fleet.yaml.',
      detail: { field: 'fleet-out' },
    });
  }
  const hosts = lab.hosts.map(({ name, address, port, username: user, password: pass, fingerprint }) => ({
    name,
    address,
    port,
    username: user,
    password: pass,
    fingerprint,
  }));
  const decoys = lab.decoys;
  const at = (s: { address: string; port: number }) => `${s.address}:${s.port}`;
  out.result(
    { pairs: fleet, username, password, fleetFile, hosts, ...(decoys.length > 0 ? { decoys } : {}) },
    () =>
      [
        table(
          ['Pair', 'Primary', 'Address', 'Secondary', 'Address', 'VMs'],
          fleet.map((p) => [
            p.name,
            p.primary.computerName,
            at(p.primary),
            p.secondary.computerName,
            at(p.secondary),
            p.vms.join(', ') || 'none',
          ]),
        ),
        ...(decoys.length > 0
          ? [
              '',
              table(
                ['Decoy', 'Address', 'Ports', 'Stands for'],
                decoys.map((d) => [d.role, d.address, d.ports.join(', '), d.description]),
              ),
            ]
          : []),
        '',
        `Every server: user ${username}, password ${password}`,
        `Fleet file (host keys pinned, no password in it): ${fleetFile}`,
        '',
        'The lab runs until you press Ctrl+C.',
      ].join('\n'),
  );
}

export function registerLabVerbs(program: Command): void {
  const lab = program
    .command('lab')
    .description('the built-in lab: simulated Windows servers on this machine');
  lab
    .command('start')
    .description('run lab servers in the foreground until interrupted')
    .option('--hosts <n>', 'how many servers (default 2)')
    .option(
      '--pairs <n>',
      'a fleet of n separate pairs (1 to 50), each two servers of the profile; not with --hosts',
    )
    .option(
      '--fleet-out <file>',
      'with --pairs: where to write the fleet file (default lab-fleet.yaml in the lab’s data folder)',
    )
    .option('--profile <name>', 'a profile from lab/profiles (default matched-pair)')
    .option('--profile-file <file>', 'a profile JSON file')
    .option(
      '--address-base <ip>',
      'give each server its own loopback address from this one up (e.g. 127.0.0.11)',
    )
    .option(
      '--port <port>',
      'SSH port of every server (default: a free port each; needs --address-base for several)',
    )
    .option('--decoys', 'also run decoys: a Windows server without SSH, a Linux SSH server, a silent port')
    .option(
      '--authorized-key <file.pub>',
      'let the administrator log on with this public key (administrators_authorized_keys)',
    )
    .option('--json', 'print the hosts (and the pairs) as one JSON line first')
    .action(async (options: LabFlags) => {
      const out = createOutput(options.json === true);
      let running: Lab | undefined;
      try {
        const { MAX_LAB_PAIRS, profileNames, startLab } = await import('../../lab/index');
        const started = await startLab(labOptions(options, profileNames(), MAX_LAB_PAIRS));
        running = started;
        if (options.pairs !== undefined) {
          await printFleet(started, options.fleetOut, out);
          await untilInterrupted();
          return;
        }
        const hosts = running.hosts.map(({ name, address, port, username, password, fingerprint }) => ({
          name,
          address,
          port,
          username,
          password,
          fingerprint,
        }));
        const decoys = running.decoys;
        out.result(decoys.length > 0 ? { hosts, decoys } : { hosts }, () =>
          [
            table(
              ['Server', 'Address', 'User', 'Password', 'Host key'],
              hosts.map((h) => [h.name, `${h.address}:${h.port}`, h.username, h.password, h.fingerprint]),
            ),
            ...(decoys.length > 0
              ? [
                  '',
                  table(
                    ['Decoy', 'Address', 'Ports', 'Stands for'],
                    decoys.map((d) => [d.role, d.address, d.ports.join(', '), d.description]),
                  ),
                ]
              : []),
            '',
            'The lab runs until you press Ctrl+C.',
          ].join('\n'),
        );
        await untilInterrupted();
      } catch (err) {
        out.error(toErrorData(err, 'starting the lab'));
        process.exitCode = 1;
      } finally {
        await running?.close();
      }
    });
}
