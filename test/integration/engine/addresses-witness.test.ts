/**
 * Link addresses, the witness and the level against the lab over SSH: unaddressed sync ports get
 * a proposed pair clear of both servers' routes; a typed address that collides is refused naming
 * its field and server; the witness is reached from both servers, and a pairing whose witness one
 * server cannot reach is refused before anything changes; a level verification failed is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PairConfig, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { EngineOptions } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { trustPackagePublisher } from './trust-publisher';

const timings: NonNullable<EngineOptions['timings']> = {
  install: { busyRetryDelaysMs: [20, 20, 20], healthTimeoutMs: 3000, healthIntervalMs: 50 },
  pair: { pollIntervalMs: 30 },
};
const SHARE = '\\\\TL-WITNESS\\twinlock-witness';

interface Stack {
  lab: Lab;
  engine: TwinlockEngine;
  dataDir: string;
  ids: [string, string];
}

async function stack(profile: string, dataDirs: string[]): Promise<Stack> {
  const lab = await startLab({ profile, timeScale: 60, latencyMs: 1 });
  const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-addrwit-'));
  dataDirs.push(dataDir);
  const engine = createEngine({ dataDir, lab: { hosts: lab.hosts, witness: lab.suggestedWitness }, timings });
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
  return { lab, engine, dataDir, ids: [sessions[0]!.sessionId, sessions[1]!.sessionId] };
}

type Refusal = {
  code: string;
  message: string;
  detail?: { issues?: Array<{ field: string; message: string }> };
};
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: Refusal) => err,
  );

const dataDirs: string[] = [];
const stacks: Stack[] = [];
afterAll(async () => {
  for (const s of stacks) {
    await s.engine.close();
    await s.lab.close();
  }
  for (const d of dataDirs) await rm(d, { recursive: true, force: true });
});

describe('direct cables: the address plan', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await stack('direct-cables', dataDirs);
    stacks.push(s);
  });

  it('proposes a /30 per unaddressed link, above the route TL-NODE-A already has in the range', async () => {
    const proposal = await s.engine.api.proposePair({ primary: s.ids[0], secondary: s.ids[1] });
    expect(proposal.config.links).toEqual([
      {
        localNic: 'SLOT 3 Port 1',
        remoteNic: 'SLOT 3 Port 1',
        localAddress: '172.30.0.9',
        remoteAddress: '172.30.0.10',
        prefixLength: 30,
      },
      {
        localNic: 'SLOT 3 Port 2',
        remoteNic: 'SLOT 3 Port 2',
        localAddress: '172.30.0.13',
        remoteAddress: '172.30.0.14',
        prefixLength: 30,
      },
    ]);
    expect(proposal.linkRange).toBe('172.30.0.0/24');
    // The lab's witness is offered, and the proposal says nobody chose it yet.
    expect(proposal.witnessSuggestion).toEqual({ kind: 'file-share', address: SHARE });
    expect(proposal.witnessChosen).toBe(false);
    expect(proposal.levels?.map((l) => l.ready)).toEqual([true, true, true]);
    const other = await s.engine.api.proposePair({
      primary: s.ids[0],
      secondary: s.ids[1],
      linkRange: '10.254.7.0/24',
    });
    expect(other.config.links.map((l) => l.localAddress)).toEqual(['10.254.7.1', '10.254.7.5']);
  });

  it('refuses a bad range naming linkRange', async () => {
    const err = await refusal(
      s.engine.api.proposePair({ primary: s.ids[0], secondary: s.ids[1], linkRange: '8.8.8.0/24' }),
    );
    expect(err?.code).toBe('invalid-input');
    expect(err?.message).toMatch(/^linkRange: 8\.8\.8\.0\/24 is not a private range/);
  });

  it('refuses a typed address that collides with a route, naming the field and the server', async () => {
    const proposal = await s.engine.api.proposePair({ primary: s.ids[0], secondary: s.ids[1] });
    const config: PairConfig = {
      ...proposal.config,
      witness: null,
      links: [
        {
          ...proposal.config.links[0]!,
          localAddress: '172.30.0.3',
          remoteAddress: '172.30.0.4',
          prefixLength: 29,
        },
      ],
    };
    const err = await refusal(
      s.engine.api.pair(config).then(async (r) => {
        const done = await s.engine.api.waitJob({ jobId: r.jobId });
        if (done.error) throw done.error;
        return done;
      }),
    );
    expect(err?.code).toBe('invalid-input');
    const issue = err?.detail?.issues?.find((i) => i.field === 'links.0.localAddress');
    expect(issue?.message).toContain('overlaps route 172.30.0.0/29 via "Embedded NIC 1" on TL-NODE-A');
  });
});

describe('the witness, from both servers', () => {
  let s: Stack;
  const A = () => s.lab.host('TL-NODE-A');
  const B = () => s.lab.host('TL-NODE-B');
  beforeAll(async () => {
    s = await stack('matched-pair', dataDirs);
    stacks.push(s);
    await trustPackagePublisher(s.engine.api);
    const installed = await s.engine.api.waitJob({
      jobId: (await s.engine.api.install({ sessions: s.ids })).jobId,
    });
    expect(installed.error).toBeNull();
  });
  afterEach(() => {
    for (const h of [A(), B()]) {
      h.faults.witnessUnreachable = false;
      h.faults.witnessShareReadOnly = false;
    }
  });

  it('reaches the share (written, read back, deleted) and the host on 7443 from both', async () => {
    const share = await s.engine.api.checkWitness({
      sessions: s.ids,
      witness: { kind: 'file-share', address: SHARE },
    });
    expect(share.ok, JSON.stringify(share)).toBe(true);
    expect(share.from.map((f) => f.computerName)).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    expect(share.from[0]!.message).toMatch(/^Wrote \d+ bytes to .*read them back and deleted the file/);
    const host = await s.engine.api.checkWitness({
      sessions: s.ids,
      witness: { kind: 'host', address: 'TL-WITNESS' },
    });
    expect(host.ok).toBe(true);
    expect(host.from[1]!.message).toContain('TCP 7443 on TL-WITNESS reached');
    const wrongPort = await s.engine.api.checkWitness({
      sessions: s.ids,
      witness: { kind: 'host', address: 'TL-WITNESS', port: 7000 },
    });
    expect(wrongPort.ok).toBe(false);
    expect(wrongPort.from[0]!.message).toContain('nothing listens on TCP 7000');
  });

  it('refuses a pairing whose witness one server cannot reach, before anything changes', async () => {
    const { config } = await s.engine.api.proposePair({ primary: s.ids[0], secondary: s.ids[1] });
    B().faults.witnessUnreachable = true;
    const err = await refusal(
      s.engine.api.pair({ ...config, witness: { kind: 'file-share', address: SHARE } }).then(async (r) => {
        const done = await s.engine.api.waitJob({ jobId: r.jobId });
        if (done.error) throw done.error;
        return done;
      }),
    );
    expect(err?.code).toBe('invalid-input');
    expect(err?.message).toMatch(
      /^witness\.address: TL-NODE-B cannot reach the witness .*was not found from TL-NODE-B/,
    );
    expect(A().agentStatus()?.pair ?? null).toBeNull();
    expect(B().agentStatus()?.pair ?? null).toBeNull();
    expect(await s.engine.api.resumableJobs({})).toEqual([]);

    B().faults.witnessUnreachable = false;
    A().faults.witnessShareReadOnly = true;
    const readOnly = await s.engine.api.checkWitness({
      sessions: s.ids,
      witness: { kind: 'file-share', address: SHARE },
    });
    expect(readOnly.from.map((f) => f.ok)).toEqual([false, true]);
    expect(readOnly.from[0]!.message).toContain('TL-NODE-A may not write to');
  });
});

describe('the level', () => {
  it('refuses a level verification did not pass, saying what blocks it', async () => {
    const s = await stack('stepping-mismatch', dataDirs);
    stacks.push(s);
    const proposal = await s.engine.api.proposePair({ primary: s.ids[0], secondary: s.ids[1] });
    expect(proposal.config.level).toBe(2);
    const l3 = proposal.levels!.find((l) => l.level === 3)!;
    expect(l3.ready).toBe(false);
    expect(l3.blockers.length).toBeGreaterThan(0);
    const err = await refusal(
      s.engine.api.pair({ ...proposal.config, level: 3, witness: null }).then(async (r) => {
        const done = await s.engine.api.waitJob({ jobId: r.jobId });
        if (done.error) throw done.error;
        return done;
      }),
    );
    const level = err?.detail?.issues?.find((i) => i.field === 'level');
    expect(level?.message).toMatch(/do not pass verification at Level 3 .*Choose Level 2/);
  });
});
