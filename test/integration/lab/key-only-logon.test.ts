/**
 * The key-only-logon profile over real SSH: its sshd (PasswordAuthentication no) offers keys only
 * and refuses a password as Windows OpenSSH does ("Permission denied (publickey)"); a key listed
 * in administrators_authorized_keys logs on, and the session it opens has no network credentials:
 * Test-Cluster, reaching the other server as the admin, is denied access, and so is the
 * directory's LDAP search, while the checks on the server itself answer.
 */
import { Client } from 'ssh2';
import type { AuthenticationType } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newHostKey } from '../../../lab/host-key';
import { startLab } from '../../../lab/index';
import type { Lab, LabHostInfo } from '../../../lab/index';
import { runScript } from './ssh-helpers';

const key = newHostKey();
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ profile: 'key-only-logon', authorizedKeys: [key.public], latencyMs: 1 });
});

afterAll(async () => {
  await lab?.close();
});

/** Logs on with `how`; resolves the client, or rejects with the methods the server said may continue. */
function logOn(info: LabHostInfo, how: { password: string } | { privateKey: string }): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let offered: string[] = [];
    let tried = false;
    client
      .on('ready', () => resolve(client))
      .on('error', (err) => reject(Object.assign(err, { offered })))
      .connect({
        host: info.address,
        port: info.port,
        username: info.username,
        readyTimeout: 10_000,
        hostVerifier: () => true,
        authHandler: (methodsLeft, _partial, next) => {
          if (methodsLeft) offered = [...methodsLeft];
          if (tried) return next(false as unknown as AuthenticationType);
          tried = true;
          if ('password' in how)
            return next({ type: 'password', username: info.username, password: how.password });
          return next({ type: 'publickey', username: info.username, key: how.privateKey });
        },
      });
  });
}

describe('key-only-logon', () => {
  it('refuses the right password, offering public keys only', async () => {
    const h = lab.hosts[0]!;
    const err = (await logOn(h, { password: h.password }).then(
      (c) => {
        c.end();
        return null;
      },
      (e: Error & { offered: string[] }) => e,
    ))!;
    expect(err).not.toBeNull();
    expect(err.message).toMatch(/authentication methods failed/);
    expect(err.offered).toEqual(['publickey']);
  });

  it('logs on with the key; Test-Cluster and the directory are denied, the local checks answer', async () => {
    const [a, b] = lab.hosts as [LabHostInfo, LabHostInfo];
    for (const h of [a, b]) lab.host(h.name).profile.roles.failoverClustering = true;
    const client = await logOn(a, { privateKey: key.private });
    try {
      const prereqs = await runScript(client, 'test-cluster-prereqs', {
        clusterName: 'PAIR01-CL',
        clusterAddress: '192.168.50.50',
        vms: ['SQL01'],
      });
      expect(prereqs.code).toBe(0);
      expect(prereqs.json.data).toMatchObject({
        computerName: a.name,
        // The directory refuses a token with no network credentials, as it refuses a second hop.
        directory: { clusterObject: 'not-checked', error: 'An operations error occurred.' },
        address: { inUse: false },
      });
      const denied = await runScript(client, 'test-cluster', { nodes: [a.name, b.name], include: [] });
      expect(denied.code).toBe(1);
      expect(denied.json).toEqual({
        ok: false,
        error: {
          message: `You do not have administrative privileges on the server '${b.name}'.`,
          category: 'PermissionDenied',
          id: 'Test-Cluster,Microsoft.FailoverClusters.PowerShell.TestClusterCommand',
        },
      });
      const alone = await runScript(client, 'test-cluster', { nodes: [a.name], include: [] });
      expect(alone.code).toBe(0);
      expect(alone.json.data.nodes).toEqual([a.name]);
    } finally {
      client.end();
    }
  });
});
