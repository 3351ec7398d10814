/**
 * The hostile-value corpus through a fix's parameters: staged update packages named with each
 * value Windows allows in a file name reach wusa.exe, through fix-install-hotfix's native command
 * line, exactly as the inventory reported them. The engine drives the lab over real SSH.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSession, JobSnapshotOf, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { CORPUS } from './fixtures/hostile-corpus';

const UPDATES = 'C:\\ProgramData\\Twinlock\\updates';

/** A value Windows accepts inside a file name: none of \ / : * ? " < > |, no control character, not too long. */
function fileNameSafe(value: string): boolean {
  return (
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
    !/[\\/:*?"<>|\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(
      value,
    ) && value.length <= 180
  );
}

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let sessions: [HostSession, HostSession];

beforeAll(async () => {
  lab = await startLab({ profile: 'missing-hotfix', timeScale: 600, latencyMs: 1 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-hostile-fix-'));
  engine = createEngine({
    dataDir,
    lab: { hosts: lab.hosts },
    timings: { fix: { pollMs: 50, rebootTimeoutMs: 20_000, restartDelaySeconds: 1 } },
  });
  sessions = (await Promise.all(
    lab.hosts.map((h) =>
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  )) as [HostSession, HostSession];
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('hostile values in a fix’s parameters', () => {
  it('stages an update under every file-name-safe value and each path reaches wusa.exe verbatim', async () => {
    const b = lab.host('TL-NODE-B');
    const names = CORPUS.filter(([, v]) => fileNameSafe(v)).map(
      ([, v]) => `windows10.0-kb5041948-x64 ${v}.msu`,
    );
    expect(names.length).toBeGreaterThanOrEqual(20);
    const paths = names.map((n) => `${UPDATES}\\${n}`);
    for (const p of paths) b.writeFile(p, Buffer.from('MSCF\0\0\0\0hostile'));

    await engine.api.verify({ sessions: [sessions[0].sessionId, sessions[1].sessionId], level: 3 });
    const inventory = await engine.api.inventory({ sessionId: sessions[1].sessionId });
    // The inventory reports every staged file exactly as named.
    expect(inventory.updateFiles.map((f) => f.path)).toEqual(expect.arrayContaining(paths));
    const preview = await engine.api.previewFix({
      sessionId: sessions[1].sessionId,
      fixId: 'install-hotfix',
    });
    expect(preview.scriptName).toBe('fix-install-hotfix');
    expect(preview.params.paths).toEqual(expect.arrayContaining(paths));

    const ref = await engine.api.applyFix({ sessionId: sessions[1].sessionId, fixId: 'install-hotfix' });
    const job = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'fix'>;
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    // What wusa.exe received as its package argument, for each run: every path, whole.
    expect(b.wusaPackages).toEqual(expect.arrayContaining(paths));
    expect(b.wusaPackages.filter((p) => !paths.includes(p) && !p.endsWith('kb5041948-x64.msu'))).toEqual([]);
    expect(job.result?.report?.verdict).toBe('Ready for Level 3');
  }, 60_000);
});
