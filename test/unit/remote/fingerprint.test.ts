import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, hostIdOf, hostKeyCheckCommand, keyTypeOf } from '../../../engine/remote/fingerprint';

// A public key and the fingerprint `ssh-keygen -lf` prints for it.
const PUB = 'AAAAC3NzaC1lZDI1NTE5AAAAIAXX7UD5WkbETJCF9lFWgnFSFqMmV3eF61JpJYCDEzO4';
const OPENSSH_FP = 'SHA256:m85mezwJ0uDwg1tSGnGhB6TiAcgi9lUP8aycDaoENTg';

describe('fingerprintOf', () => {
  it('matches OpenSSH byte for byte', () => {
    expect(fingerprintOf(Buffer.from(PUB, 'base64'))).toBe(OPENSSH_FP);
  });

  it('has no base64 padding and 43 characters after the prefix', () => {
    for (let n = 0; n < 20; n++) {
      expect(fingerprintOf(Buffer.alloc(n, n))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
  });
});

describe('keyTypeOf', () => {
  it('reads the algorithm name from the blob', () => {
    expect(keyTypeOf(Buffer.from(PUB, 'base64'))).toBe('ssh-ed25519');
  });
  it('says unknown for garbage', () => {
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('unknown');
    expect(keyTypeOf(Buffer.from([0xff, 0, 0, 0, 1]))).toBe('unknown');
  });
});

describe('hostIdOf', () => {
  it('joins address and port, lower-casing names', () => {
    expect(hostIdOf('SRV-A.Contoso.local', 22)).toBe('srv-a.contoso.local:22');
    expect(hostIdOf('127.0.0.1', 2222)).toBe('127.0.0.1:2222');
  });
  it('brackets IPv6 literals', () => {
    expect(hostIdOf('::1', 22)).toBe('[::1]:22');
    expect(hostIdOf('[fe80::1]', 22)).toBe('[fe80::1]:22');
  });
});

describe('hostKeyCheckCommand', () => {
  it('reads the server key file of the type presented', () => {
    expect(hostKeyCheckCommand('ssh-ed25519')).toContain('\\ssh\\ssh_host_ed25519_key.pub');
    expect(hostKeyCheckCommand('ecdsa-sha2-nistp256')).toContain('\\ssh\\ssh_host_ecdsa_key.pub');
    expect(hostKeyCheckCommand('rsa-sha2-512')).toContain('\\ssh\\ssh_host_rsa_key.pub');
    expect(hostKeyCheckCommand('ssh-rsa')).toContain('\\ssh\\ssh_host_rsa_key.pub');
  });

  it('computes what fingerprintOf computes, step for step (base64 of the key blob, SHA-256, no padding)', () => {
    // The line's arithmetic, done in Node on the same .pub text: the blob is the second field.
    const blob = Buffer.from(`ssh-ed25519 ${PUB} root@srv`.split(' ')[1]!, 'base64');
    expect(`SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`).toBe(
      OPENSSH_FP,
    );
    expect(hostKeyCheckCommand('ssh-ed25519')).toMatch(
      /Split\(' '\)\[1\].*SHA256.*FromBase64String\(\$k\).*TrimEnd\('='\)/,
    );
  });
});
