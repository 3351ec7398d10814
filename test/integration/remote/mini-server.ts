/**
 * A minimal Windows-like SSH server for the remote layer's tests: password (or keyboard-interactive)
 * auth, an exec handler that understands the bootstrap framing, and an SFTP handler writing to a
 * temp folder. The full simulated host lives in lab/; this one only exposes what the tests observe.
 */
import { mkdirSync, closeSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server, utils, type Connection, type ServerChannel, type SFTPWrapper } from 'ssh2';
import { newHostKey } from '../../../lab/host-key';

const { STATUS_CODE, OPEN_MODE } = utils.sftp;

export interface MiniServerOptions {
  hostKey?: string;
  username?: string;
  password?: string;
  /** Offer only keyboard-interactive, as some Windows servers do. */
  keyboardOnly?: boolean;
  /** Folder standing for the server's drives: `/C:/x` is `<root>/C/x`. */
  root: string;
  /** The exact bootstrap text the exec command must carry. */
  bootstrap: string;
  /** Answers scripts by header name; throw to produce a failure envelope. */
  scripts?: Record<string, (params: unknown, script: string) => unknown | Promise<unknown>>;
  /** Drop the connection once this many bytes have been written by SFTP (once). */
  cutUploadAfterBytes?: number;
  /** Turn Nagle off on the server's sockets too (default false: Node's default, Nagle on). */
  serverNoDelay?: boolean;
}

export interface MiniServer {
  port: number;
  /** The folder standing for the drives. */
  root: string;
  hostKey: string;
  /** Largest SFTP WRITE payload seen. */
  maxWrite: number;
  writes: number;
  execs: Array<{ command: string; params: unknown; script: string }>;
  connections: Connection[];
  close(): Promise<void>;
}

const BOOTSTRAP_CMD = /^powershell\.exe -NoProfile -NonInteractive -EncodedCommand ([A-Za-z0-9+/=]+)$/;

export async function startMiniServer(options: MiniServerOptions): Promise<MiniServer> {
  const hostKey = options.hostKey ?? newHostKey().private;
  mkdirSync(join(options.root, 'C'), { recursive: true });
  const username = options.username ?? 'Administrator';
  const password = options.password ?? 'Passw0rd!';
  let cutAfter = options.cutUploadAfterBytes;
  let written = 0;

  const state: MiniServer = {
    port: 0,
    root: options.root,
    hostKey,
    maxWrite: 0,
    writes: 0,
    execs: [],
    connections: [],
    close: async () => {
      for (const c of state.connections) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = new Server({ hostKeys: [hostKey], ident: 'OpenSSH_for_Windows_8.1' }, (client) => {
    state.connections.push(client);
    // ssh2's Connection has setNoDelay at runtime; its typings omit it.
    if (options.serverNoDelay) (client as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.username !== username) return ctx.reject();
      if (ctx.method === 'password' && !options.keyboardOnly) {
        return ctx.password === password ? ctx.accept() : ctx.reject();
      }
      if (ctx.method === 'keyboard-interactive') {
        return ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) =>
          answers[0] === password ? ctx.accept() : ctx.reject(),
        );
      }
      ctx.reject(options.keyboardOnly ? ['keyboard-interactive'] : ['password', 'keyboard-interactive']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          handleExec(channel, info.command).catch(() => channel.destroy());
        });
        session.on('sftp', (accept) => handleSftp(accept(), client));
      });
    });
  });

  async function handleExec(channel: ServerChannel, command: string): Promise<void> {
    const m = BOOTSTRAP_CMD.exec(command);
    const finish = (out: string, code: number) => {
      channel.write(out);
      channel.exit(code);
      channel.end();
    };
    if (!m || Buffer.from(m[1] ?? '', 'base64').toString('utf16le') !== options.bootstrap) {
      channel.stderr.write(
        `'${command.split(' ')[0]}' is not recognized as an internal or external command,\r\n`,
      );
      channel.exit(1);
      channel.end();
      return;
    }
    const chunks: Buffer[] = [];
    channel.on('data', (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve) => channel.once('end', () => resolve()));
    const stdin = Buffer.concat(chunks).toString('utf8');
    const nl = stdin.indexOf('\n');
    let params: unknown;
    try {
      params = JSON.parse(Buffer.from(stdin.slice(0, nl), 'base64').toString('utf8'));
    } catch {
      // The client went away before sending its input (a cancelled or timed-out run).
      channel.end();
      return;
    }
    const script = stdin.slice(nl + 1);
    state.execs.push({ command, params, script });
    const name = /^# Twinlock remote script: (\S+)/m.exec(script)?.[1] ?? '';
    const handler = options.scripts?.[name];
    if (!handler) {
      const msg = `The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program.`;
      return finish(
        `${JSON.stringify({ ok: false, error: { message: msg, category: 'ObjectNotFound', id: 'CommandNotFoundException' } })}\r\n`,
        1,
      );
    }
    try {
      const data = await handler(params, script);
      // PowerShell 5.1 under a UTF-8 console encoding prints a BOM first and ends with CRLF.
      finish(`\uFEFF${JSON.stringify({ ok: true, data })}\r\n`, 0);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      finish(
        `${JSON.stringify({ ok: false, error: { message, category: 'NotSpecified', id: 'RuntimeException' } })}\r\n`,
        1,
      );
    }
  }

  function localPath(sftpPath: string): string {
    const m = /^\/([A-Za-z]):(\/.*)?$/.exec(sftpPath);
    if (!m) return join(options.root, '__invalid__');
    return join(options.root, (m[1] ?? 'C').toUpperCase(), m[2] ?? '/');
  }

  function attrsOf(path: string) {
    const st = statSync(path);
    return {
      mode: st.mode,
      uid: 0,
      gid: 0,
      size: st.size,
      atime: Math.floor(st.atimeMs / 1000),
      mtime: Math.floor(st.mtimeMs / 1000),
    };
  }

  function handleSftp(sftp: SFTPWrapper, client: Connection): void {
    const handles = new Map<number, number>();
    let nextHandle = 1;
    const fdOf = (h: Buffer) => handles.get(h.readUInt32BE(0));
    sftp.on('OPEN', (reqid: number, filename: string, flags: number) => {
      try {
        const path = localPath(filename);
        let mode = 'r';
        if (flags & OPEN_MODE.WRITE)
          mode = flags & OPEN_MODE.TRUNC ? 'w' : flags & OPEN_MODE.CREAT ? 'a+' : 'r+';
        if (mode === 'a+') {
          // 'a+' would force appends; open read-write, creating the file when absent.
          closeSync(openSync(path, 'a'));
          mode = 'r+';
        }
        const fd = openSync(path, mode);
        const id = nextHandle++;
        handles.set(id, fd);
        const h = Buffer.alloc(4);
        h.writeUInt32BE(id, 0);
        sftp.handle(reqid, h);
      } catch (err) {
        sftp.status(
          reqid,
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : STATUS_CODE.FAILURE,
        );
      }
    });
    sftp.on('WRITE', (reqid: number, handle: Buffer, offset: number, data: Buffer) => {
      const fd = fdOf(handle);
      if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      state.writes++;
      state.maxWrite = Math.max(state.maxWrite, data.length);
      if (data.length > 100 * 1024) return sftp.status(reqid, STATUS_CODE.FAILURE, 'write too large');
      if (cutAfter !== undefined && written + data.length > cutAfter) {
        cutAfter = undefined;
        client.end();
        return;
      }
      writeSync(fd, data, 0, data.length, offset);
      written += data.length;
      sftp.status(reqid, STATUS_CODE.OK);
    });
    sftp.on('FSTAT', (reqid: number, handle: Buffer) => {
      const fd = fdOf(handle);
      if (fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      const st = fstatSync(fd);
      sftp.attrs(reqid, { mode: st.mode, uid: 0, gid: 0, size: st.size, atime: 0, mtime: 0 });
    });
    sftp.on('CLOSE', (reqid: number, handle: Buffer) => {
      const id = handle.readUInt32BE(0);
      const fd = handles.get(id);
      if (fd !== undefined) closeSync(fd);
      handles.delete(id);
      sftp.status(reqid, STATUS_CODE.OK);
    });
    const stat = (reqid: number, path: string) => {
      try {
        sftp.attrs(reqid, attrsOf(localPath(path)));
      } catch {
        sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
      }
    };
    sftp.on('STAT', stat);
    sftp.on('LSTAT', stat);
    sftp.on('MKDIR', (reqid: number, path: string) => {
      try {
        mkdirSync(localPath(path));
        sftp.status(reqid, STATUS_CODE.OK);
      } catch {
        sftp.status(reqid, STATUS_CODE.FAILURE);
      }
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  return state;
}
