/**
 * A bundle's replay with per-pair values (a fleet file's row) against the lab: `preflightBundle`
 * takes the pair's VMs and each sync link's addresses instead of the bundle's, refuses a count of
 * link addresses that does not fit the links (naming `linkAddresses` and how many are needed) and
 * VMs the primary lacks (naming `vms`); `drift` on servers in no pair says the pair is to be made,
 * and takes the bundle as text as well as by path.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairConfig, TwinlockEngine } from '../../../engine/api';
import { exportBundle } from '../../../engine/bundle/export';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { shippedManifest } from '../cli/twinlock';

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let ids: [string, string];
let bundle: string;

const config: PairConfig = {
  name: 'PAIR-11',
  level: 3,
  primary: 'old-a',
  secondary: 'old-b',
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '10.20.1.21',
      remoteAddress: '10.20.1.22',
    },
    {
      localNic: 'SLOT 3 Port 2',
      remoteNic: 'SLOT 3 Port 2',
      localAddress: '10.20.2.21',
      remoteAddress: '10.20.2.22',
    },
  ],
  witness: { kind: 'file-share', address: '\\\\TL-WITNESS\\twinlock-witness' },
  vms: ['SQL01', 'APP01'],
};

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 60, latencyMs: 1 });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-replay-values-'));
  engine = createEngine({ dataDir, lab: { hosts: lab.hosts, witness: lab.suggestedWitness } });
  const sessions = await Promise.all(
    lab.hosts.map((h) =>
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  );
  ids = [sessions[0]!.sessionId, sessions[1]!.sessionId];
  const old = {
    address: '10.0.0.1',
    port: 22,
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    computerName: 'OLD-NODE',
  };
  bundle = join(dataDir, 'pair-11.twinlock.json');
  await exportBundle(
    {
      config,
      primary: old,
      secondary: { ...old, computerName: 'OLD-NODE-2' },
      agent: { version: shippedManifest.version, sha256: shippedManifest.sha256 },
    },
    dataDir,
    bundle,
  );
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('preflightBundle with per-pair values', () => {
  it('takes the VMs and the link addresses given, link by link in the bundle’s order', async () => {
    const plan = await engine.api.preflightBundle({
      path: bundle,
      sessions: ids,
      vms: ['APP01'],
      linkAddresses: [
        { localAddress: '10.30.1.1', remoteAddress: '10.30.1.2', prefixLength: 30 },
        { localAddress: '10.30.2.1', remoteAddress: '10.30.2.2' },
      ],
    });
    expect(plan.config.vms).toEqual(['APP01']);
    expect(plan.config.links).toEqual([
      {
        localNic: 'SLOT 3 Port 1',
        remoteNic: 'SLOT 3 Port 1',
        localAddress: '10.30.1.1',
        remoteAddress: '10.30.1.2',
        prefixLength: 30,
      },
      {
        localNic: 'SLOT 3 Port 2',
        remoteNic: 'SLOT 3 Port 2',
        localAddress: '10.30.2.1',
        remoteAddress: '10.30.2.2',
      },
    ]);
  });

  it('refuses a count of link addresses that does not fit, and a VM the primary lacks, naming each field', async () => {
    const err = (await engine.api
      .preflightBundle({
        path: bundle,
        sessions: ids,
        vms: ['GHOST'],
        linkAddresses: [{ localAddress: '10.30.1.1', remoteAddress: '10.30.1.2' }],
      })
      .catch((e: unknown) => e)) as {
      code: string;
      detail: { issues: { field: string; message: string }[] };
    };
    expect(err.code).toBe('invalid-input');
    const fields = err.detail.issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['linkAddresses', 'vms.0']));
    expect(err.detail.issues.find((i) => i.field === 'linkAddresses')!.message).toContain('give exactly 2');
  });
});

describe('drift on servers in no pair', () => {
  it('says the pair is to be made (and the agent installed), by path or by text', async () => {
    const byPath = await engine.api.drift({ bundle: { path: bundle }, sessions: ids, verify: false });
    expect(byPath.matches).toBe(false);
    expect(byPath.servers).toEqual(lab.hosts.map((h) => h.name));
    expect(byPath.differences.map((d) => [d.field, d.actual])).toEqual([
      ['pair', 'in no pair'],
      ['agent', 'not installed'],
      ['agent', 'not installed'],
    ]);
    expect(byPath.differences[0]!.change).toContain('Create pair PAIR-11 at Level 3');
    const byText = await engine.api.drift({
      bundle: { text: await readFile(bundle, 'utf8') },
      sessions: ids,
      verify: false,
    });
    expect(byText.differences).toEqual(byPath.differences);
  });
});
