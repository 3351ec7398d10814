import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import type { TwinlockError } from '../../../engine/api/errors';
import {
  checkPrivateKey,
  mapConnectError,
  type ConnectErrorContext,
} from '../../../engine/remote/ssh-connect';
import { newHostKey } from '../../../lab/host-key';

const PASSWORD = 'Hunter2-Secret';
const base: ConnectErrorContext = {
  address: '10.0.0.21',
  port: 22,
  hostId: '10.0.0.21:22',
  knownHostsPath: '/home/a/.local/share/twinlock/known_hosts.json',
  secrets: [PASSWORD],
  verdict: { kind: 'pending' },
};
const FP_OLD = 'SHA256:m85mezwJ0uDwg1tSGnGhB6TiAcgi9lUP8aycDaoENTg';
const FP_NEW = 'SHA256:AAAAezwJ0uDwg1tSGnGhB6TiAcgi9lUP8aycDaoENTg';

function sockErr(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.21:22`), { code, level: 'client-socket' });
}

describe('mapConnectError', () => {
  it.each(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'])(
    'maps %s to unreachable naming host and port',
    (code) => {
      const err = mapConnectError(sockErr(code), base);
      expect(err.code).toBe('unreachable');
      expect(err.message).toContain('10.0.0.21 on port 22');
      expect(err.hint).toBeTruthy();
    },
  );

  it('says "refused" for a closed port and "could not be found" for a bad name', () => {
    expect(mapConnectError(sockErr('ECONNREFUSED'), base).message).toContain('refused');
    expect(mapConnectError(sockErr('ENOTFOUND'), base).message).toContain('could not be found');
  });

  it('maps the handshake timeout to timeout', () => {
    const err = mapConnectError(
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      base,
    );
    expect(err.code).toBe('timeout');
  });

  it('maps an authentication failure to auth-failed with a hint', () => {
    const err = mapConnectError(
      Object.assign(new Error('All configured authentication methods failed'), {
        level: 'client-authentication',
      }),
      base,
    );
    expect(err.code).toBe('auth-failed');
    expect(err.hint).toContain('DOMAIN\\user');
  });

  it('explains a changed key as a possible attack, with both fingerprints and how to re-pin', () => {
    const err = mapConnectError(new Error('Host denied (verification failed)'), {
      ...base,
      verdict: {
        kind: 'changed',
        fingerprint: FP_NEW,
        keyType: 'ssh-ed25519',
        pinned: { fingerprint: FP_OLD, keyType: 'ssh-ed25519', firstSeen: '2025-01-02T03:04:05.000Z' },
      },
    });
    expect(err.code).toBe('host-key-changed');
    expect(err.detail).toMatchObject({ expected: FP_OLD, actual: FP_NEW });
    expect(err.message).toMatch(/intercept/);
    expect(err.hint).toMatch(/reinstalled/);
    expect(err.hint).toContain('twinlock hosts forget');
  });

  it('asks the admin to compare an unknown key', () => {
    const err = mapConnectError(new Error('Host denied (verification failed)'), {
      ...base,
      verdict: { kind: 'unknown', fingerprint: FP_NEW, keyType: 'ssh-ed25519' },
    });
    expect(err.code).toBe('unknown-host-key');
    expect(err.detail).toMatchObject({ fingerprint: FP_NEW, keyType: 'ssh-ed25519' });
    // The one line to run on the server names the key file of the type presented.
    expect(err.detail?.checkCommand).toContain('ssh_host_ed25519_key.pub');
    expect(err.hint).toContain(String(err.detail?.checkCommand));
    expect(err.message).toContain('compare');
    expect(err.message).toContain(FP_NEW);
  });

  it('never lets the password through, even when a library echoes it', () => {
    const err = mapConnectError(new Error(`weird failure with ${PASSWORD} inside`), base);
    expect(JSON.stringify(err.toData())).not.toContain(PASSWORD);
  });
});

describe('private keys', () => {
  const keys = newHostKey();

  it('names the key, the Windows file that authorizes it and its rights, when the server refuses it', () => {
    const err = mapConnectError(
      Object.assign(new Error('All configured authentication methods failed'), {
        level: 'client-authentication',
      }),
      {
        ...base,
        withKey: true,
        username: 'Administrator',
      },
    );
    expect(err.code).toBe('auth-failed');
    expect(err.message).toBe('10.0.0.21 port 22 refused the key for Administrator.');
    expect(err.hint).toContain('C:\\ProgramData\\ssh\\administrators_authorized_keys');
    expect(err.hint).toContain('icacls');
  });

  it('reads a good key, and names the field when the file or passphrase is wrong', async () => {
    await expect(checkPrivateKey(keys.private, undefined)).resolves.toBeUndefined();
    const field = async (f: () => Promise<void>) => {
      try {
        await f();
      } catch (err) {
        return (err as TwinlockError).detail?.field;
      }
      return null;
    };
    expect(await field(() => checkPrivateKey(keys.public, undefined))).toBe('privateKey');
    expect(await field(() => checkPrivateKey('-----BEGIN NOTHING-----\nxx\n', undefined))).toBe('privateKey');
  });

  it('asks for the passphrase of a protected key, and says when it is wrong', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'right horse' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    await expect(checkPrivateKey(privateKey, 'right horse')).resolves.toBeUndefined();
    await expect(checkPrivateKey(privateKey, undefined)).rejects.toThrow(/protected by a passphrase/);
    await expect(checkPrivateKey(privateKey, 'wrong')).rejects.toThrow(/passphrase does not open/);
  });
});
