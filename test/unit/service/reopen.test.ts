/** Resuming a journalled job reopens its servers' connections, or says which logon it needs. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPaths } from '../../../engine/app-paths';
import { KnownHosts } from '../../../engine/remote/known-hosts';
import { createSessionStore } from '../../../engine/service/sessions';

const hosts = [
  {
    address: '127.0.0.251',
    port: 1,
    username: 'Administrator',
    computerName: 'HV-A',
    fingerprint: `SHA256:${'A'.repeat(43)}`,
  },
];

describe('reopening a resumed job’s connections', () => {
  it.each(['the installation', 'the pairing'])(
    'asks for the password of the server to reconnect when resuming %s without a logon',
    async (resuming) => {
      const store = createSessionStore({
        knownHosts: KnownHosts.inDataDir(await mkdtemp(join(tmpdir(), 'twinlock-reopen-'))),
        resourcesDir: appPaths().resources,
        log: () => undefined,
        closing: () => false,
      });
      await expect(store.reopen(hosts, {}, { jobId: 'j1', resuming })).rejects.toMatchObject({
        code: 'invalid-input',
        message: `password: the connection to HV-A has to be opened again to resume ${resuming}.`,
        hint: 'Enter the password of Administrator on HV-A, or choose the private key it logs on with.',
        detail: { field: 'password', jobId: 'j1' },
      });
    },
  );
});
