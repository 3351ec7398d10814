/** Host-key fingerprints exactly as OpenSSH prints them (`ssh-keygen -lf`, the first-connect prompt). */
import { createHash } from 'node:crypto';
import { endpointId } from '../api/rules';

/** `SHA256:` + unpadded base64 of the SHA-256 of the raw host key blob. */
export function fingerprintOf(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first string), e.g. `ssh-ed25519`. */
export function keyTypeOf(keyBlob: Uint8Array): string {
  if (keyBlob.length < 4) return 'unknown';
  const view = new DataView(keyBlob.buffer, keyBlob.byteOffset, keyBlob.byteLength);
  const len = view.getUint32(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return 'unknown';
  const name = Buffer.from(keyBlob.subarray(4, 4 + len)).toString('latin1');
  return /^[\x21-\x7e]+$/.test(name) ? name : 'unknown';
}

/** The key under which a host's key is pinned: the server's endpoint id (see {@link endpointId}). */
export function hostIdOf(address: string, port: number): string {
  return endpointId({ address, port });
}

/** The file under `C:\ProgramData\ssh` that holds a Windows OpenSSH server's public key of this type. */
function hostKeyFile(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return 'ssh_host_ecdsa_key.pub';
  if (keyType === 'ssh-rsa' || keyType.startsWith('rsa-')) return 'ssh_host_rsa_key.pub';
  return 'ssh_host_ed25519_key.pub';
}

/**
 * One line for Windows PowerShell (5.1 or later) on the server that prints its host key's
 * fingerprint in the form Twinlock shows: it needs no ssh-keygen and no path to OpenSSH's tools.
 */
export function hostKeyCheckCommand(keyType: string): string {
  return (
    `$k = (Get-Content -Raw "$env:ProgramData\\ssh\\${hostKeyFile(keyType)}").Split(' ')[1]; ` +
    `'SHA256:' + [Convert]::ToBase64String([Security.Cryptography.SHA256]::Create().ComputeHash([Convert]::FromBase64String($k))).TrimEnd('=')`
  );
}
