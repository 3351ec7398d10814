import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import { installAgent } from '../../../engine/agent/install';
import { uploadMessage } from '../../../engine/agent/upload-step';
import { loadPackage } from '../../../engine/agent/manifest';
import { agentServer } from './agent-server';
import { fakeContext, fakeHost } from './fakes';
import { makePackage, PRODUCT_CODE, SUBJECT, THUMBPRINT } from './package-fixture';

const fast = { busyRetryDelaysMs: [1, 1, 1], healthTimeoutMs: 50, healthIntervalMs: 1 };
/** The publisher the workstation pinned: the one the fixture's packages are signed by. */
const pinned = {
  publisher: { thumbprint: THUMBPRINT, subject: SUBJECT, addedAt: '2026-01-01T00:00:00.000Z' },
};

/** A fake server with the agent's behaviour; uploads land as a correct, validly signed copy unless told otherwise. */
async function setup(
  opts: {
    installed?: string | null;
    exitCodes?: number[];
    version?: string;
    tamper?: 'hash' | 'signer' | 'unsigned';
  } = {},
) {
  const { dir } = await makePackage(opts.version ?? '3.2.1');
  const pkg = await loadPackage(dir);
  const server = agentServer({
    packageSha256: pkg.manifest.sha256,
    installed: opts.installed ?? null,
    exitCodes: opts.exitCodes ?? [],
  });
  const host = fakeHost('HV-A', server.handlers);
  const upload = host.upload.bind(host);
  host.upload = async (local, remote, o) => {
    await upload(local, remote, o);
    if (opts.tamper === 'hash') server.received('0'.repeat(64));
    else if (opts.tamper === 'signer') server.received(undefined, 'F'.repeat(40), 'Valid', 'CN=Someone Else');
    else if (opts.tamper === 'unsigned') server.received(undefined, '', 'NotSigned', '');
    else server.received();
  };
  const ctx = fakeContext<'install'>();
  const targets = [{ sessionId: 's1', label: 'HV-A', host }];
  return { pkg, server, host, ctx, targets };
}

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

describe('installAgent', () => {
  it('installs fresh: uploads with progress, verifies, runs msiexec, checks health', async () => {
    const { pkg, server, host, ctx, targets } = await setup();
    const [outcome] = await installAgent(ctx, targets, pkg, fast, pinned);
    expect(outcome).toEqual({
      sessionId: 's1',
      computerName: 'HV-A',
      component: 'agent',
      action: 'installed',
      version: '3.2.1',
      exitCode: 0,
      rebootRequired: false,
    });
    expect(server.state.installed).toBe('3.2.1');
    expect(host.calls).toContainEqual({
      kind: 'upload',
      localPath: pkg.msiPath,
      remotePath: '/C:/ProgramData/Twinlock/packages/TwinlockAgent-3.2.1-x64.msi',
    });
    expect(host.calls).toContainEqual({ kind: 'mkdirp', remotePath: '/C:/ProgramData/Twinlock/packages' });
    const install = host.scripts('install-agent')[0] as {
      path: string;
      logPath: string;
      arguments: string[];
    };
    expect(install.path).toBe('C:\\ProgramData\\Twinlock\\packages\\TwinlockAgent-3.2.1-x64.msi');
    expect(install.logPath.startsWith('C:\\ProgramData\\Twinlock\\logs\\')).toBe(true);
    expect(install.arguments).toEqual(['ALLUSERS=1']);
    const uploadPatch = ctx.hostPatches.find(
      (p) => p.patch.step === 'upload' && p.patch.bytesDone === 12_300_000,
    );
    expect(uploadPatch?.patch).toMatchObject({
      message: 'Uploading 12.3 of 30.1 MB at 45 MB/s',
      bytesTotal: 30_100_000,
      rateBps: 45_000_000,
    });
    expect(ctx.hosts.s1).toMatchObject({ state: 'done', percent: 100, label: 'HV-A' });
    expect(ctx.progressLog.at(-1)?.percent).toBe(100);
  });

  it('skips a server that already runs the same version', async () => {
    const { pkg, host, ctx, targets } = await setup({ installed: '3.2.1' });
    const [outcome] = await installAgent(ctx, targets, pkg, fast, pinned);
    expect(outcome).toMatchObject({ action: 'already-installed', exitCode: 0 });
    expect(host.calls.filter((c) => c.kind === 'upload')).toEqual([]);
    expect(host.scripts('install-agent')).toEqual([]);
    expect(ctx.hosts.s1).toMatchObject({ state: 'skipped' });
  });

  it('upgrades an older version', async () => {
    const { pkg, server, ctx, targets } = await setup({ installed: '3.1.0' });
    const [outcome] = await installAgent(ctx, targets, pkg, fast, pinned);
    expect(outcome).toMatchObject({ action: 'upgraded', version: '3.2.1' });
    expect(server.state.installed).toBe('3.2.1');
    expect(ctx.hosts.s1?.message).toContain('upgraded from 3.1.0');
  });

  it('refuses to downgrade', async () => {
    const { pkg, host, ctx, targets } = await setup({ installed: '4.0.0' });
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('4.0.0');
    expect(err.hint).toBeTruthy();
    expect(host.calls.filter((c) => c.kind === 'upload')).toEqual([]);
  });

  it('waits and retries while another installation runs (1618), then succeeds', async () => {
    const { pkg, server, host, ctx, targets } = await setup({ exitCodes: [1618, 1618] });
    const [outcome] = await installAgent(ctx, targets, pkg, fast, pinned);
    expect(outcome).toMatchObject({ action: 'installed', exitCode: 0 });
    expect(host.scripts('install-agent')).toHaveLength(3);
    expect(server.state.installed).toBe('3.2.1');
    expect(ctx.hostPatches.some((p) => p.patch.message?.includes('Another installation is running'))).toBe(
      true,
    );
  });

  it('gives up after the declared number of 1618 retries and rolls back', async () => {
    const { pkg, host, ctx, targets } = await setup({ exitCodes: [1618, 1618, 1618, 1618] });
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('1618');
    expect(host.scripts('install-agent')).toHaveLength(4);
    expect(host.scripts('uninstall-agent')).toHaveLength(1);
  });

  it('fails on 1603 with the log tail and rolls the install back', async () => {
    const { pkg, server, host, ctx, targets } = await setup({ exitCodes: [1603] });
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('1603');
    expect(err.message).toContain('rolled the installation back');
    expect(err.detail?.logTail).toEqual(server.state.logTail);
    expect(err.detail?.rolledBack).toBe(true);
    expect(ctx.hosts.s1).toMatchObject({ state: 'failed', logTail: server.state.logTail });
    expect(host.scripts('uninstall-agent')).toEqual([expect.objectContaining({ productCode: PRODUCT_CODE })]);
    expect(server.state.installed).toBeNull();
  });

  it('reports a restart when msiexec says 3010', async () => {
    const { pkg, ctx, targets } = await setup({ exitCodes: [3010] });
    const [outcome] = await installAgent(ctx, targets, pkg, fast, pinned);
    expect(outcome).toMatchObject({ exitCode: 3010, rebootRequired: true });
  });

  it('runs an in-place upgrade when Windows Installer answers 1638', async () => {
    const { pkg, host, ctx, targets } = await setup({ installed: '3.2.0', exitCodes: [1638] });
    const [outcome] = await installAgent(ctx, targets, pkg, fast, pinned);
    expect(outcome).toMatchObject({ action: 'upgraded' });
    const runs = host.scripts('install-agent') as Array<{ arguments: string[] }>;
    expect(runs[1]?.arguments).toEqual(['ALLUSERS=1', 'REINSTALL=ALL', 'REINSTALLMODE=vomus']);
  });

  it('refuses a package whose hash differs on the server, before msiexec', async () => {
    const { pkg, host, ctx, targets } = await setup({ tamper: 'hash' });
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('SHA-256');
    expect(err.hint).toBeTruthy();
    expect(host.scripts('install-agent')).toEqual([]);
    expect(host.scripts('uninstall-agent')).toEqual([]);
  });

  it('refuses a package signed by someone else', async () => {
    const { pkg, host, ctx, targets } = await setup({ tamper: 'signer' });
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('CN=Someone Else');
    expect(host.scripts('install-agent')).toEqual([]);
  });

  it('checks the server’s copy against the pinned publisher, not the one the manifest names', async () => {
    const { pkg, host, ctx, targets } = await setup();
    const other = { publisher: { thumbprint: 'A'.repeat(40), subject: 'CN=Pinned Publisher', addedAt: '' } };
    const err = await failure(installAgent(ctx, targets, pkg, fast, other));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('CN=Pinned Publisher');
    expect(err.detail).toMatchObject({ pinned: 'A'.repeat(40), actual: THUMBPRINT });
    expect(
      host.scripts('test-agent-package').map((p) => (p as { trustedThumbprint: string }).trustedThumbprint),
    ).toContain('A'.repeat(40));
    expect(host.scripts('install-agent')).toEqual([]);
  });

  it('refuses an unsigned package', async () => {
    const { pkg, host, ctx, targets } = await setup({ tamper: 'unsigned' });
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.message).toContain('NotSigned');
    expect(host.scripts('install-agent')).toEqual([]);
  });

  it('fails the health check when the service does not run, and rolls back', async () => {
    const { pkg, server, host, ctx, targets } = await setup();
    server.state.serviceStatus = 'Stopped';
    const err = await failure(installAgent(ctx, targets, pkg, fast, pinned));
    expect(err.code).toBe('install-failed');
    expect(err.message).toContain('service is Stopped, not Running');
    expect(host.scripts('uninstall-agent')).toHaveLength(1);
  });

  it('does not upload again when the server already holds the exact package', async () => {
    const { pkg, server, host, ctx, targets } = await setup();
    server.received();
    await installAgent(ctx, targets, pkg, fast, pinned);
    expect(host.calls.filter((c) => c.kind === 'upload')).toEqual([]);
  });

  it('installs on two servers side by side and reports the failure of one', async () => {
    const good = await setup();
    const bad = await setup({ exitCodes: [1603] });
    const ctx = fakeContext<'install'>();
    const targets = [
      { sessionId: 'a', label: 'HV-A', host: good.host },
      { sessionId: 'b', label: 'HV-B', host: bad.host },
    ];
    const err = await failure(installAgent(ctx, targets, good.pkg, fast, pinned));
    expect(err.message).toContain('HV-B');
    expect(ctx.hosts.a?.state).toBe('done');
    expect(ctx.hosts.b?.state).toBe('failed');
  });

  it('formats upload progress for the admin', () => {
    expect(uploadMessage(12_345_678, 30_100_000, 45_200_000)).toBe('Uploading 12.3 of 30.1 MB at 45 MB/s');
  });
});
