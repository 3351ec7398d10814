/** test-agent-package.ps1: Get-FileHash and Get-AuthenticodeSignature of an uploaded package. */
import { createHash } from 'node:crypto';
import { decodeHeader, signatureStatus } from '../package-format';
import { str } from './types';
import type { ScriptHandler } from './types';

const STATUS_MESSAGES = {
  Valid: () => 'Signature verified.',
  NotSigned: (path: string) =>
    `The file ${path} is not digitally signed. You cannot run this script on the current system. For more information about running scripts and setting execution policy, see about_Execution_Policies at https://go.microsoft.com/fwlink/?LinkID=135170.`,
  HashMismatch: (path: string) =>
    `The contents of file ${path} might have been changed by an unauthorized user or process, because the hash of the file does not match the hash stored in the digital signature. The script cannot run on the specified system. For more information, run Get-Help about_Signing.`,
};

export const testAgentPackage: ScriptHandler = ({ host, params }) => {
  const path = str(params, 'path');
  // The pinned thumbprint Twinlock passes; -eq on strings is case-insensitive in PowerShell.
  const trusted = str(params, 'trustedThumbprint').toUpperCase();
  if (!path || !host.fileExists(path)) {
    return {
      path,
      exists: false,
      size: 0,
      sha256: null,
      signatureStatus: null,
      statusMessage: null,
      signer: null,
      signerTrusted: false,
    };
  }
  const bytes = host.readFile(path);
  const status = signatureStatus(bytes);
  const signer = status === 'NotSigned' ? null : (decodeHeader(bytes)?.header.signer ?? null);
  return {
    path,
    exists: true,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    signatureStatus: status,
    statusMessage: STATUS_MESSAGES[status](path),
    signer: signer ? { subject: signer.subject, thumbprint: signer.thumbprint } : null,
    signerTrusted:
      signer !== null && trusted !== '' && signer.thumbprint.toUpperCase() === trusted && status === 'Valid',
  };
};
