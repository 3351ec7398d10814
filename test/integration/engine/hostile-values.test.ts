/**
 * Hostile values through every field of a pair that reaches a server, driven through the engine
 * against the lab over real SSH. Each value either arrives verbatim at the lab's agent (its state
 * records the exact string: pair name, VM, adapter names, witness) or is refused with
 * `invalid-input` naming the field. Nothing is trimmed, split or re-cased on the way: the values
 * travel as JSON on twinlockctl's stdin, never on a command line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSession, PairConfig, TwinlockEngine } from '../../../engine/api';
import type { TwinlockError } from '../../../engine/api/errors';
import { createEngine } from '../../../engine/engine';
import { dissolve } from '../../../lab/agent';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { trustPackagePublisher } from './trust-publisher';
import { CORPUS } from './fixtures/hostile-corpus';

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let sessions: [HostSession, HostSession];
let base: PairConfig;
/** The lab adapter each side's first sync link uses, renamed for each value. */
const SYNC_NIC = 'SLOT 3 Port 1';

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 20_000, witness: 'everywhere' });
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-hostile-'));
  engine = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings: { pair: { pollIntervalMs: 20 } } });
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
  const ids: [string, string] = [sessions[0].sessionId, sessions[1].sessionId];
  await trustPackagePublisher(engine.api);
  const installed = await engine.api.waitJob({ jobId: (await engine.api.install({ sessions: ids })).jobId });
  expect(installed.error).toBeNull();
  const proposal = await engine.api.proposePair({ primary: ids[0], secondary: ids[1] });
  const link = proposal.config.links.find((l) => l.localNic === SYNC_NIC)!;
  base = {
    ...proposal.config,
    links: [link],
    vms: [],
    witness: { kind: 'file-share', address: '\\\\fs01\\witness' },
  };
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a refusal');
}

/** Applies `config` as far as validation lets it: the fields refused (each by `invalid-input` naming it) are replaced by `fallback`'s. */
async function applyAsFarAsAllowed(
  config: PairConfig,
  fallback: (field: string, config: PairConfig) => PairConfig,
) {
  const refused: string[] = [];
  for (;;) {
    let ref;
    try {
      ref = await engine.api.pair(config);
    } catch (err) {
      const e = err as TwinlockError;
      expect(e.code, e.message).toBe('invalid-input');
      const field = String(e.detail?.field);
      expect(e.message.startsWith(`${field}: `), e.message).toBe(true);
      expect(e.hint).toBeTruthy();
      expect(refused, `${field} refused twice`).not.toContain(field);
      refused.push(field);
      config = fallback(field, config);
      continue;
    }
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    expect(done.error, JSON.stringify(done.error)).toBeNull();
    expect(done.state).toBe('done');
    return { refused, config };
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
let proposedVms: string[] = [];

/** Inventory keeps the names exactly as the servers report them; the proposal offers them unchanged, or not at all. */
async function expectProposed(value: string): Promise<void> {
  const proposal = await engine.api.proposePair({
    primary: sessions[0].sessionId,
    secondary: sessions[1].sessionId,
  });
  expect(proposal.vms.map((v) => v.name)).toContain(value);
  expect([...proposal.nics[0], ...proposal.nics[1]].filter((n) => n.name === value)).toHaveLength(2);
  proposedVms = proposal.config.vms;
  for (const name of proposedVms) expect(primary().vms.map((v) => v.name)).toContain(name);
  const proposedLink = proposal.config.links.find((l) => l.localAddress === base.links[0]!.localAddress);
  if (proposedLink) expect(proposedLink).toEqual({ ...base.links[0]!, localNic: value, remoteNic: value });
}

const primary = () => lab.host('TL-NODE-A');
const secondary = () => lab.host('TL-NODE-B');

describe('a hostile-value corpus through every field that reaches a server', () => {
  it('has at least 30 values', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CORPUS.map(([, v]) => v)).size).toBe(CORPUS.length);
  });

  const verbatim: Record<string, string[]> = { name: [], vm: [], nic: [], share: [] };
  const refusedBy: Record<string, string[]> = {};

  it.each(CORPUS.map(([label, value], i) => [label, value, i] as const))(
    '%s: arrives verbatim as pair name, VM, adapter names and witness share, or is refused naming the field',
    async (label, value, i) => {
      // The servers report the value as a VM name and as both sync adapters' names, as Windows would.
      const vm = {
        name: value,
        state: 'Running' as const,
        memoryBytes: 2 * 1024 ** 3,
        processorCount: 2,
        generation: 2 as const,
      };
      primary().vms.push(vm);
      const nics = [primary(), secondary()].map((h) => h.profile.nics.find((n) => n.name === SYNC_NIC)!);
      for (const nic of nics) nic.name = value;
      try {
        for (const s of sessions) await engine.api.inventory({ sessionId: s.sessionId });
        // A server's UTF-8 answer cannot carry a lone surrogate: such a name can only come from a caller, and is refused.
        if (!LONE_SURROGATE.test(value)) await expectProposed(value);
        const wanted: PairConfig = {
          ...base,
          name: value,
          vms: [value],
          links: [{ ...base.links[0]!, localNic: value, remoteNic: value }],
          witness: { kind: 'file-share', address: `\\\\fs01\\${value}` },
        };
        const safe = `SAFE-${i}`;
        const { refused, config } = await applyAsFarAsAllowed(wanted, (field, c) => {
          if (field === 'name') return { ...c, name: `HOSTILE-${i}` };
          if (field === 'vms.0') return { ...c, vms: [] };
          if (field === 'links.0.localNic' || field === 'links.0.remoteNic') {
            for (const nic of nics) nic.name = safe;
            return { ...c, links: [{ ...c.links[0]!, localNic: safe, remoteNic: safe }] };
          }
          if (field === 'witness.address')
            return { ...c, witness: { kind: 'file-share', address: `\\\\fs01\\witness-${i}` } };
          throw new Error(`refused an unexpected field: ${field}`);
        });
        for (const f of refused) (refusedBy[f] ??= []).push(label);
        // The proposal never offers what apply refuses, and offers every VM it accepts.
        if (!LONE_SURROGATE.test(value)) expect(proposedVms.includes(value)).toBe(!refused.includes('vms.0'));

        // What the lab's agent recorded, exactly.
        const pair = primary().agent!.pair!;
        expect(secondary().agent!.pair).toBe(pair);
        expect(pair.name).toBe(config.name);
        expect([...pair.protectedVms]).toEqual(config.vms);
        expect(pair.links).toEqual([
          {
            primaryAddress: config.links[0]!.localAddress,
            secondaryAddress: config.links[0]!.remoteAddress,
            primaryNic: config.links[0]!.localNic,
            secondaryNic: config.links[0]!.remoteNic,
          },
        ]);
        expect(pair.witness).toEqual({ kind: 'share', address: config.witness!.address });
        // And the way back: the agent's status reads the same strings.
        const status = await engine.api.status({ sessionId: sessions[0].sessionId });
        expect(status.pair?.name).toBe(config.name);
        expect(status.vms.filter((v) => v.protected).map((v) => v.name)).toEqual(config.vms);
        expect(status.pair?.witness?.address).toBe(config.witness!.address);

        if (config.name === value) verbatim.name!.push(label);
        if (config.vms[0] === value) verbatim.vm!.push(label);
        if (config.links[0]!.localNic === value) verbatim.nic!.push(label);
        if (config.witness!.address === `\\\\fs01\\${value}`) verbatim.share!.push(label);
      } finally {
        const pair = primary().agent?.pair;
        if (pair) dissolve(pair);
        primary().vms.splice(primary().vms.indexOf(vm), 1);
        for (const nic of nics) nic.name = SYNC_NIC;
      }
    },
    30_000,
  );

  it('refuses every value that is not a host name or an IP address as a witness host or a link address', async () => {
    const hostLike = /^[A-Za-z0-9.:_\-[\]%]+$/;
    for (const [label, value] of CORPUS) {
      const bad: [string, PairConfig][] = [
        ['links.0.localAddress', { ...base, links: [{ ...base.links[0]!, localAddress: value }] }],
        ['links.0.remoteAddress', { ...base, links: [{ ...base.links[0]!, remoteAddress: value }] }],
      ];
      for (const [field, config] of bad) {
        const err = await failure(engine.api.pair(config));
        expect(err.code, label).toBe('invalid-input');
        expect(err.detail?.field, label).toBe(field);
      }
      const witness: PairConfig = { ...base, witness: { kind: 'host', address: value } };
      if (!hostLike.test(value) || value.length > 253) {
        const err = await failure(engine.api.pair(witness));
        expect(err.code, label).toBe('invalid-input');
        expect(err.detail?.field, label).toBe('witness.address');
        continue;
      }
      // A value that is a host name arrives verbatim as the witness host.
      const { refused } = await applyAsFarAsAllowed(witness, (field) => {
        throw new Error(`${label}: ${field} refused`);
      });
      expect(refused).toEqual([]);
      expect(primary().agent!.pair!.witness).toEqual({ kind: 'host', address: value });
      dissolve(primary().agent!.pair!);
    }
  }, 60_000);

  it('logs on with each value as the account name verbatim, or refuses it naming the field', async () => {
    const h = lab.hosts[0]!;
    const password = 'Hostile-pw-1';
    const loggedOn: string[] = [];
    for (const [label, value] of CORPUS) {
      // DOMAIN\\user and user@domain name another account by design: those forms are not this test's.
      if (/[\\@]/.test(value)) continue;
      primary().addAccount({ username: value, password, admin: true });
      let session: HostSession | null = null;
      try {
        session = await engine.api.connect({ address: h.address, port: h.port, username: value, password });
      } catch (err) {
        const e = err as TwinlockError;
        expect(e.code, `${label}: ${e.message}`).toBe('invalid-input');
        expect(e.detail?.field, label).toBe('username');
        continue;
      }
      expect(session.username, label).toBe(value);
      expect(session.computerName).toBe('TL-NODE-A');
      loggedOn.push(label);
      await engine.api.disconnect({ sessionId: session.sessionId });
    }
    expect(loggedOn.length).toBeGreaterThanOrEqual(25);
    expect(loggedOn).toEqual(
      expect.arrayContaining(['double quote', 'a flag', 'subexpression', 'Hebrew (RTL)', 'JSON object']),
    );
    expect(loggedOn).not.toContain('leading and trailing spaces');
    expect(loggedOn).not.toContain('NUL');
  }, 60_000);

  it('took most values verbatim where Windows allows them, and refused exactly the unsafe ones', () => {
    // Windows names (VMs, adapters) take anything but empty, control characters, broken Unicode or too long.
    const unsafe = [
      'newline',
      'carriage return',
      'tab',
      'empty',
      'C1 next line',
      'very long',
      'here-string on its own lines',
      'NUL',
      'lone surrogate',
    ];
    expect(refusedBy['vms.0']?.sort()).toEqual([...unsafe].sort());
    expect(verbatim.vm).toHaveLength(CORPUS.length - unsafe.length);
    expect(verbatim.vm).toEqual(
      expect.arrayContaining([
        'leading and trailing spaces',
        'only spaces',
        'space and trailing backslash',
        'quote injection of a flag',
        'a flag',
        'byte order mark first',
      ]),
    );
    expect(refusedBy['links.0.localNic']?.sort()).toEqual([...unsafe].sort());
    expect(verbatim.nic).toHaveLength(CORPUS.length - unsafe.length);
    // A pair name is letters, digits, dot, dash and underscore: every hostile value is refused, none trimmed.
    expect(verbatim.name).toEqual(['JSON null']);
    expect(refusedBy.name).toHaveLength(CORPUS.length - 1);
    // Share paths accept spaces and most punctuation inside, never at the end, nor : * ? " < > |.
    expect(verbatim.share).toEqual(
      expect.arrayContaining([
        'single quote',
        'backtick',
        'cmd variable',
        'subexpression',
        'semicolon',
        'ampersand',
        'Hebrew (RTL)',
        'combining marks',
      ]),
    );
    for (const label of [
      'double quote',
      'pipe',
      'redirection',
      'leading and trailing spaces',
      'space and trailing backslash',
      'NUL',
      'empty',
      'wildcards',
    ]) {
      expect(refusedBy['witness.address'], label).toContain(label);
    }
  });
});
