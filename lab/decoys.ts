/**
 * Lab decoys: loopback hosts that are not Twinlock-ready servers, so that discovery has something
 * to tell apart — a Windows server without SSH (SMB, RDP and WinRM only), a Linux server's SSH, and
 * a port that accepts connections but never says a word.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** What a decoy stands for. */
export type LabDecoyRole = 'windows-no-ssh' | 'linux-ssh' | 'silent';

/** How to reach one decoy. */
export interface LabDecoyInfo {
  role: LabDecoyRole;
  address: string;
  /** Ports it listens on. */
  ports: number[];
  /** One line for a person reading the lab's table. */
  description: string;
}

/** What Debian 12's OpenSSH announces. */
export const LINUX_SSH_IDENT = 'SSH-2.0-OpenSSH_9.2p1 Debian-2';

/** SMB, RDP, WinRM: each waits for the client to speak first, so a listener that says nothing is faithful. */
const WINDOWS_PORTS = [445, 3389, 5985];

export interface DecoyOptions {
  /** Addresses for the three decoys, in the order windows-no-ssh, linux-ssh, silent. */
  addresses: [string, string, string];
  /** The SSH port the lab's servers use (0: a free port per decoy, for a lab on one shared address). */
  sshPort: number;
}

export interface Decoys {
  readonly decoys: LabDecoyInfo[];
  close(): Promise<void>;
}

/** Starts the decoys; ports that cannot be bound (445 without privileges) are skipped. */
export async function startDecoys(options: DecoyOptions): Promise<Decoys> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const listen = (address: string, port: number, greet: (socket: Socket) => void): Promise<number | null> =>
    new Promise((resolve) => {
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
        // Nothing is ever read: drop what the client sends instead of buffering it.
        socket.on('data', () => undefined);
        greet(socket);
      });
      server.once('error', () => resolve(null));
      server.listen(port, address, () => {
        servers.push(server);
        const bound = server.address();
        resolve(bound && typeof bound === 'object' ? bound.port : null);
      });
    });
  const quiet = (): void => undefined;
  const [winAddress, linuxAddress, silentAddress] = options.addresses;
  const winPorts = options.sshPort === 0 ? [0, 0, 0] : WINDOWS_PORTS;
  const bound = await Promise.all(winPorts.map((p) => listen(winAddress, p, quiet)));
  const linuxPort = await listen(linuxAddress, options.sshPort, (s) => s.write(`${LINUX_SSH_IDENT}\r\n`));
  const silentPort = await listen(silentAddress, options.sshPort, quiet);
  const decoys: LabDecoyInfo[] = [
    {
      role: 'windows-no-ssh',
      address: winAddress,
      ports: bound.filter((p): p is number => p !== null),
      description: 'A Windows server without SSH: SMB, RDP and WinRM only.',
    },
  ];
  if (linuxPort !== null)
    decoys.push({
      role: 'linux-ssh',
      address: linuxAddress,
      ports: [linuxPort],
      description: `A Linux server (${LINUX_SSH_IDENT}).`,
    });
  if (silentPort !== null)
    decoys.push({
      role: 'silent',
      address: silentAddress,
      ports: [silentPort],
      description: 'A port that accepts connections but never speaks.',
    });
  return {
    decoys,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}
