/**
 * A server's SSH endpoint: an ssh2 Server behind our own TCP listener on 127.0.0.1, so that the
 * port can really refuse connections (a server that is off or rebooting) and the host key can
 * change under a client. It speaks like Windows OpenSSH: its identification string, password and
 * keyboard-interactive logons, exec through cmd.exe, and the SFTP subsystem.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey } from 'ssh2';
import { handleExec } from './exec';
import { newHostKey } from './host-key';
import { attachSftp } from './sftp';
import type { HostEndpoint, LabAccount, LabHost } from './host';
import type { LabWorld } from './world';

const { Server, utils } = ssh2;

/** What Windows Server 2022's OpenSSH announces; the engine's discovery recognises it. */
export const WINDOWS_OPENSSH_IDENT = 'OpenSSH_for_Windows_8.1';
const AUTH_METHODS: AuthContext['method'][] = ['publickey', 'password', 'keyboard-interactive'];

/** `SHA256:` and the unpadded base64 SHA-256 of the public key blob, as OpenSSH prints it. */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export class SshEndpoint implements HostEndpoint {
  port = 0;
  fingerprint = '';
  private ssh!: InstanceType<typeof Server>;
  private listener: NetServer | null = null;
  private readonly sockets = new Set<Socket>();
  /** Sockets by the client's `address:port`, so an injected fault can cut one connection abruptly. */
  private readonly byPeer = new Map<string, Socket>();

  constructor(
    private readonly host: LabHost,
    private readonly world: LabWorld,
    /** The loopback address to listen on (the lab's shared one by default). */
    readonly address: string = world.address,
    /** The port to listen on; 0 picks a free one. */
    private readonly wantedPort = 0,
  ) {
    this.rotateHostKey();
  }

  /** Starts listening on the wanted port (an ephemeral one by default) of its address. */
  async listen(): Promise<void> {
    await this.openListener(this.wantedPort);
    this.host.attach(this, this.world);
  }

  rotateHostKey(): string {
    const keys = newHostKey();
    this.fingerprint = fingerprintOf(keys.public);
    this.ssh = new Server({ hostKeys: [keys.private], ident: WINDOWS_OPENSSH_IDENT }, (client, info) =>
      this.onClient(client, this.byPeer.get(`${info.ip}:${info.port}`)),
    );
    this.ssh.on('error', () => undefined);
    return this.fingerprint;
  }

  setRefusing(refusing: boolean): Promise<void> {
    if (refusing) {
      this.listener?.close();
      this.listener = null;
    } else if (!this.listener) {
      return this.openListener(this.port).catch(() => undefined);
    }
    return Promise.resolve();
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    const listener = this.listener;
    this.listener = null;
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  private openListener(port: number): Promise<void> {
    const listener = createServer((socket) => this.onSocket(socket));
    this.listener = listener;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, this.address, () => {
        listener.off('error', reject);
        listener.on('error', () => undefined);
        const address = listener.address();
        if (address && typeof address === 'object') this.port = address.port;
        resolve();
      });
    });
  }

  private onSocket(socket: Socket): void {
    // Without it every exec round trip waits ~40 ms on Nagle and delayed ACKs.
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    this.byPeer.set(peer, socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.byPeer.delete(peer);
    });
    socket.on('error', () => undefined);
    if (this.host.isDown() || this.host.faults.refuseConnections) {
      socket.destroy();
      return;
    }
    const inject = (): void => {
      if (!socket.destroyed) this.ssh.injectSocket(socket);
    };
    const delay = this.host.faults.connectDelayMs;
    if (delay > 0) void this.world.clock.network(delay).then(inject);
    else inject();
  }

  private onClient(client: Connection, socket: Socket | undefined): void {
    let account: LabAccount | undefined;
    let logon: 'password' | 'key' = 'password';
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      const candidate = this.host.account(ctx.username);
      const check = (password: string): boolean =>
        !this.host.faults.badPasswordAlways && candidate !== undefined && candidate.password === password;
      // sshd_config PasswordAuthentication no: sshd offers and accepts keys only.
      const keysOnly = !this.host.profile.ssh.passwordAuthentication;
      const methods: AuthContext['method'][] = keysOnly ? ['publickey'] : AUTH_METHODS;
      // Windows delays a failed logon a little; a client must not mistake that for a hang.
      const decide = (ok: boolean): void => {
        if (ok) {
          account = candidate;
          logon = ctx.method === 'publickey' ? 'key' : 'password';
          ctx.accept();
        } else {
          setTimeout(() => ctx.reject(methods), 150);
        }
      };
      // A method sshd does not offer fails at once, naming the one it does ("Permission denied (publickey)").
      if (keysOnly && ctx.method !== 'publickey') ctx.reject(methods);
      else if (ctx.method === 'password') decide(check(ctx.password));
      else if (ctx.method === 'publickey') {
        // As sshd: a key listed for the account may log on; a query without a signature is
        // answered "yes, sign with it", a signature must verify.
        const listed = candidate
          ? this.host.authorizedKeys(candidate).map((line) => utils.parseKey(line))
          : [];
        const key = listed.find(
          (k): k is ParsedKey =>
            !(k instanceof Error) && k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data),
        );
        if (!key || this.host.faults.badPasswordAlways) decide(false);
        else if (!ctx.signature) ctx.accept();
        else decide(key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      } else if (ctx.method === 'keyboard-interactive')
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => decide(check(answers[0] ?? '')));
      else ctx.reject(methods);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (accept) => accept?.());
        session.on('env', (accept) => accept?.());
        session.on('shell', (_accept, reject) => reject?.());
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          void handleExec({
            stream,
            command: info.command,
            host: this.host,
            world: this.world,
            account: account!,
            logon,
          });
        });
        session.on('subsystem', (_accept, reject) => reject?.());
        session.on('sftp', (accept) => {
          const sftp = accept();
          attachSftp(sftp, this.host, () => (socket ? socket.destroy() : client.end()));
        });
      });
    });
  }
}
