import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import { KnownHosts } from '../../../engine/remote/known-hosts';
import { REMOTE_PATHS } from '../../../engine/remote/scripts';
import { openSession } from '../../../engine/remote/session';
import type { RemoteHost } from '../../../engine/remote/types';
import { startLab, type Lab } from '../../../lab/index';

const resourcesDir = join(__dirname, '../../../resources');
let lab: Lab;
let work: string;
let knownHosts: KnownHosts;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tl-remote-lab-'));
  lab = await startLab({ dataDir: join(work, 'lab'), latencyMs: 0 });
  knownHosts = KnownHosts.inDataDir(join(work, 'data'));
});

afterAll(async () => {
  await lab?.close();
  await rm(work, { recursive: true, force: true });
});

async function connect(index = 0): Promise<{ host: RemoteHost; newlyPinned: boolean }> {
  const info = lab.hosts[index]!;
  return openSession({
    address: info.address,
    port: info.port,
    username: info.username,
    password: info.password,
    acceptFingerprint: info.fingerprint,
    knownHosts,
    resourcesDir,
  });
}

describe('a session against the lab', () => {
  it('pins the lab host’s key, runs the real get-identity script, and uploads a package', async () => {
    const info = lab.hosts[0]!;
    const { host, newlyPinned } = await connect();
    try {
      expect(newlyPinned).toBe(true);
      expect(host.fingerprint).toBe(info.fingerprint);
      const identity = (await host.runScript('get-identity', {})) as { computerName?: string };
      expect(identity.computerName).toBe(info.name);

      await host.mkdirp(REMOTE_PATHS.packagesSftpDir);
      const data = randomBytes(1024 * 1024 + 17);
      const local = join(work, 'pkg.bin');
      await writeFile(local, data);
      await host.upload(local, `${REMOTE_PATHS.packagesSftpDir}/pkg.bin`);
      const remote = await readFile(
        join(work, 'lab', info.name, 'C', 'ProgramData', 'Twinlock', 'packages', 'pkg.bin'),
      );
      expect(createHash('sha256').update(remote).digest('hex')).toBe(
        createHash('sha256').update(data).digest('hex'),
      );
    } finally {
      await host.close();
    }
  });

  it('refuses the lab host once its key rotates', async () => {
    const { host } = await connect(1);
    await host.close();
    lab.host(lab.hosts[1]!.name).faults.rotateHostKey();
    const err = await connect(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinlockError);
    expect((err as TwinlockError).code).toBe('host-key-changed');
    expect((err as TwinlockError).detail?.actual).toBe(lab.hosts[1]!.fingerprint);
  });
});
