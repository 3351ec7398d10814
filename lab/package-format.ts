/**
 * The lab's stand-in for an MSI: one header line the lab's msiexec and Authenticode models read
 * (product code, version, signer), then deterministic filler so the file has a real size and hash.
 * A real MSI is an OLE compound file with a signature in its digital-signature stream; the lab
 * needs only what Windows would report about it.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const MAGIC = 'TWINLOCK-LAB-PACKAGE/1 ';

/** What Windows Installer and Get-AuthenticodeSignature learn from a package. */
export interface PackageHeader {
  productName: string;
  version: string;
  productCode: string;
  upgradeCode: string;
  manufacturer: string;
  service: string;
  ports: { sync: number[]; control: number };
  minimumOsBuild: number;
  /** Null for an unsigned package. */
  signer: { subject: string; thumbprint: string } | null;
  /** SHA-256 of everything after the header line: a tampered file no longer matches its signature. */
  contentSha256: string;
}

/** A registry-style GUID (`{XXXXXXXX-…}`) derived from a seed, so rebuilt packages are identical. */
export function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex').toUpperCase();
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-A${h.slice(17, 20)}-${h.slice(20, 32)}}`;
}

/** A certificate thumbprint (SHA-1 hex, upper case as Windows prints it) derived from a subject. */
export function thumbprintFor(subject: string): string {
  return createHash('sha1').update(`twinlock-lab-cert:${subject}`).digest('hex').toUpperCase();
}

/** Deterministic filler bytes: a SHA-256 hash chain seeded by `seed`. */
export function filler(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** The header line's bytes. */
export function encodeHeader(header: PackageHeader): Buffer {
  return Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8');
}

/** The header of a package held in memory, or null when it is not a (lab) package. */
export function decodeHeader(bytes: Buffer): { header: PackageHeader; contentOffset: number } | null {
  const end = bytes.indexOf(0x0a);
  if (end < 0 || !bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return null;
  try {
    const header = JSON.parse(bytes.subarray(MAGIC.length, end).toString('utf8')) as PackageHeader;
    if (typeof header.productCode !== 'string' || typeof header.version !== 'string') return null;
    return { header, contentOffset: end + 1 };
  } catch {
    return null;
  }
}

/** Reads only the first few KB of a package file for its header. */
export function readHeader(file: string): PackageHeader | null {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return decodeHeader(buf.subarray(0, n))?.header ?? null;
  } finally {
    closeSync(fd);
  }
}

/** Get-AuthenticodeSignature's Status for the package bytes. */
export function signatureStatus(bytes: Buffer): 'Valid' | 'NotSigned' | 'HashMismatch' {
  const decoded = decodeHeader(bytes);
  if (!decoded || !decoded.header.signer) return 'NotSigned';
  const digest = createHash('sha256').update(bytes.subarray(decoded.contentOffset)).digest('hex');
  return digest === decoded.header.contentSha256 ? 'Valid' : 'HashMismatch';
}
