/** SSH sessions to Windows servers: pinned host keys, PowerShell scripts, SFTP uploads. */
export { openSession, readScript, DEFAULT_SCRIPT_TIMEOUT_MS } from './session';
export type { OpenSessionOptions, ScriptInfo } from './session';
export { KnownHosts, KNOWN_HOSTS_FILE } from './known-hosts';
export type { HostKeyCheck, KnownHost } from './known-hosts';
export { fingerprintOf, hostIdOf } from './fingerprint';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './ssh-connect';
export type { RemoteHost, RunOptions, UploadOptions, UploadProgress } from './types';
export { REMOTE_PATHS, SCRIPT_NAMES } from './scripts';
export type { ScriptName, ScriptParams } from './scripts';
