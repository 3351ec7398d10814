/**
 * The SFTP subsystem over a server's C: drive, with Windows OpenSSH's paths (`/C:/…`) and its
 * limit: a WRITE request over 100 KB fails, so clients must send smaller chunks. Offset writes
 * and appends work, so an interrupted upload can resume where it stopped.
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import { driveSegments, sftpPath } from './files';
import type { LabHost } from './host';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/** Windows OpenSSH's sftp-server fails writes larger than this. */
export const MAX_WRITE_BYTES = 100 * 1024;

interface OpenFile {
  kind: 'file';
  fd: number;
  path: string;
  /** True once a WRITE landed, so that a corrupting fault touches uploads only. */
  written?: boolean;
}
interface OpenDir {
  kind: 'dir';
  path: string;
  done: boolean;
}

function attrsOf(st: Stats): Attributes {
  return {
    mode: st.mode,
    uid: 0,
    gid: 0,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

function longname(name: string, st: Stats): string {
  const kind = st.isDirectory() ? 'd' : '-';
  const date = st.mtime.toUTCString().slice(5, 22);
  return `${kind}rwxrwxrwx   1 Administrators Administrators ${String(st.size).padStart(12)} ${date} ${name}`;
}

function fsFlags(flags: number): number | string {
  const read = (flags & OPEN_MODE.READ) !== 0;
  const write = (flags & OPEN_MODE.WRITE) !== 0;
  const append = (flags & OPEN_MODE.APPEND) !== 0;
  const create = (flags & OPEN_MODE.CREAT) !== 0;
  const trunc = (flags & OPEN_MODE.TRUNC) !== 0;
  const excl = (flags & OPEN_MODE.EXCL) !== 0;
  if (append) return excl ? 'ax' : read ? 'a+' : 'a';
  if (write && create && trunc) return excl ? (read ? 'wx+' : 'wx') : read ? 'w+' : 'w';
  if (write && create) {
    // Create if missing without truncating: the mode a resuming upload opens with.
    return excl ? 'wx' : 'a+';
  }
  if (write) return 'r+';
  return 'r';
}

/** Flips one byte in the middle of a file (opened afresh: the upload's handle may be write-only). */
function corrupt(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const at = Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    writeSync(fd, byte, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

export function attachSftp(sftp: SFTPWrapper, host: LabHost, cutConnection: () => void): void {
  const handles = new Map<number, OpenFile | OpenDir>();
  let nextHandle = 1;

  const local = (path: string): string | null => {
    const segments = driveSegments(path);
    return segments === null ? null : host.drive.resolve(sftpPath(segments));
  };
  const newHandle = (entry: OpenFile | OpenDir): Buffer => {
    const id = nextHandle++;
    handles.set(id, entry);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  const lookup = (handle: Buffer): OpenFile | OpenDir | undefined =>
    handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined;
  const fail = (reqid: number, err: unknown): void => {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, 'No such file');
    else if (code === 'EACCES' || code === 'EPERM')
      sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
    else sftp.status(reqid, STATUS_CODE.FAILURE, 'Failure');
  };
  const withPath = (reqid: number, path: string, fn: (p: string) => void): void => {
    const p = local(path);
    if (p === null) {
      sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
      return;
    }
    try {
      fn(p);
    } catch (err) {
      fail(reqid, err);
    }
  };

  sftp.on('REALPATH', (reqid, path) => {
    const segments = driveSegments(path);
    if (segments === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, 'No such file');
    const name = path === '/' ? '/' : sftpPath(segments);
    sftp.name(reqid, [{ filename: name, longname: name, attrs: {} as Attributes }]);
  });

  sftp.on('OPEN', (reqid, filename, flags) => {
    withPath(reqid, filename, (p) => {
      const fd = openSync(p, fsFlags(flags));
      sftp.handle(reqid, newHandle({ kind: 'file', fd, path: p }));
    });
  });

  sftp.on('WRITE', (reqid, handle, offset, data) => {
    const entry = lookup(handle);
    if (!entry || entry.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Invalid handle');
    if (data.length > MAX_WRITE_BYTES || host.faults.diskFull)
      return sftp.status(reqid, STATUS_CODE.FAILURE, 'Failure');
    const cutAfter = host.faults.cutUploadAfterBytes;
    if (cutAfter !== null && data.length >= cutAfter) {
      if (cutAfter > 0) {
        writeSync(entry.fd, data, 0, cutAfter, offset);
        host.sftpBytesWritten += cutAfter;
        host.emit('sftp-write', cutAfter);
      }
      host.faults.cutUploadAfterBytes = null;
      cutConnection();
      return;
    }
    if (cutAfter !== null) host.faults.cutUploadAfterBytes = cutAfter - data.length;
    try {
      writeSync(entry.fd, data, 0, data.length, offset);
      host.sftpBytesWritten += data.length;
      host.emit('sftp-write', data.length);
      entry.written = true;
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (err) {
      fail(reqid, err);
    }
  });

  sftp.on('READ', (reqid, handle, offset, length) => {
    const entry = lookup(handle);
    if (!entry || entry.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Invalid handle');
    const buf = Buffer.alloc(Math.min(length, 256 * 1024));
    const n = readSync(entry.fd, buf, 0, buf.length, offset);
    if (n === 0) sftp.status(reqid, STATUS_CODE.EOF);
    else sftp.data(reqid, buf.subarray(0, n));
  });

  sftp.on('FSTAT', (reqid, handle) => {
    const entry = lookup(handle);
    if (!entry) return sftp.status(reqid, STATUS_CODE.FAILURE, 'Invalid handle');
    sftp.attrs(reqid, attrsOf(entry.kind === 'file' ? fstatSync(entry.fd) : statSync(entry.path)));
  });

  sftp.on('FSETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
  sftp.on('SETSTAT', (reqid, path) =>
    withPath(reqid, path, (p) => (statSync(p), sftp.status(reqid, STATUS_CODE.OK))),
  );

  sftp.on('CLOSE', (reqid, handle) => {
    const entry = lookup(handle);
    if (!entry) return sftp.status(reqid, STATUS_CODE.FAILURE, 'Invalid handle');
    handles.delete(handle.readUInt32BE(0));
    if (entry.kind === 'file') {
      closeSync(entry.fd);
      if (entry.written && host.faults.corruptUploads) corrupt(entry.path);
    }
    sftp.status(reqid, STATUS_CODE.OK);
  });

  const stat = (reqid: number, path: string): void =>
    withPath(reqid, path, (p) => sftp.attrs(reqid, attrsOf(statSync(p))));
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);

  sftp.on('OPENDIR', (reqid, path) => {
    withPath(reqid, path, (p) => {
      if (!statSync(p).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      sftp.handle(reqid, newHandle({ kind: 'dir', path: p, done: false }));
    });
  });

  sftp.on('READDIR', (reqid, handle) => {
    const entry = lookup(handle);
    if (!entry || entry.kind !== 'dir') return sftp.status(reqid, STATUS_CODE.FAILURE, 'Invalid handle');
    if (entry.done) return sftp.status(reqid, STATUS_CODE.EOF);
    entry.done = true;
    const names: FileEntry[] = ['.', '..', ...readdirSync(entry.path)].map((name) => {
      const st = statSync(join(entry.path, name === '..' && entry.path === host.drive.root ? '.' : name));
      return { filename: name, longname: longname(name, st), attrs: attrsOf(st) };
    });
    sftp.name(reqid, names);
  });

  sftp.on('MKDIR', (reqid, path) =>
    withPath(reqid, path, (p) => (mkdirSync(p), sftp.status(reqid, STATUS_CODE.OK))),
  );
  sftp.on('RMDIR', (reqid, path) =>
    withPath(reqid, path, (p) => (rmdirSync(p), sftp.status(reqid, STATUS_CODE.OK))),
  );
  sftp.on('REMOVE', (reqid, path) =>
    withPath(reqid, path, (p) => (unlinkSync(p), sftp.status(reqid, STATUS_CODE.OK))),
  );
  sftp.on('RENAME', (reqid, from, to) => {
    const target = local(to);
    if (target === null) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'Permission denied');
    withPath(reqid, from, (p) => (renameSync(p, target), sftp.status(reqid, STATUS_CODE.OK)));
  });
  sftp.on('READLINK', (reqid) => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, 'Operation unsupported'));
  sftp.on('SYMLINK', (reqid) => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, 'Operation unsupported'));

  sftp.on('close', () => {
    for (const entry of handles.values()) if (entry.kind === 'file') closeSync(entry.fd);
    handles.clear();
  });
}
