/**
 * measure-link.ps1 for real: a listener and a sender, each in its own pwsh with the Windows shim,
 * measuring over loopback (127.0.0.x only). The figures are real (.NET sockets), the temporary
 * link address is added and removed through the shimmed New-/Remove-NetIPAddress, and the answers
 * have the shape the lab's handler gives for the same parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../lab/handlers/index';
import { offlineLab } from '../unit/lab/offline';
import type { OfflineLab } from '../unit/lab/offline';
import { PowerShellTier, envelope, serverDocument } from './tier';

let listenerTier: PowerShellTier;
let senderTier: PowerShellTier;
let lab: OfflineLab;

beforeAll(async () => {
  listenerTier = new PowerShellTier();
  senderTier = new PowerShellTier();
  await Promise.all([listenerTier.ready, senderTier.ready]);
  lab = offlineLab('matched-pair', 600);
}, 180_000);

afterAll(async () => {
  await Promise.all([listenerTier?.close(), senderTier?.close()]);
  lab?.dispose();
});

const ADAPTER = 'SLOT 3 Port 1';
const port = 40_000 + Math.floor(Math.random() * 20_000);

function params(mode: 'listen' | 'send', local: string, remote: string, p = port) {
  return {
    mode,
    adapter: ADAPTER,
    localAddress: local,
    prefixLength: 24,
    remoteAddress: remote,
    port: p,
    seconds: 0.5,
    connectSeconds: 3,
    probes: 50,
  };
}

/** Key → JSON type, the shape two answers must share. */
function shape(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v]),
  );
}

async function labPair(listen: Record<string, unknown>, send: Record<string, unknown>) {
  const [a, b] = lab.hosts as [(typeof lab.hosts)[0], (typeof lab.hosts)[0]];
  const run = (host: typeof a, p: Record<string, unknown>) =>
    HANDLERS['measure-link']!({
      host,
      world: lab.world,
      params: p,
      account: host.accounts[0]!,
      logon: 'password',
    }) as Promise<Record<string, unknown>>;
  const l = run(a, listen);
  const s = await run(b, send);
  return { listen: await l, send: s };
}

describe('measure-link.ps1 in pwsh over loopback', () => {
  it('measures a real round trip, loss and throughput, and leaves no address behind', async () => {
    const [a, b] = lab.hosts as [(typeof lab.hosts)[0], (typeof lab.hosts)[0]];
    const listen = params('listen', '127.0.0.2', '127.0.0.3');
    const send = params('send', '127.0.0.3', '127.0.0.2');
    const listening = listenerTier.run({
      script: 'measure-link',
      params: listen,
      server: serverDocument(a, lab.world),
    });
    const sending = senderTier.run({
      script: 'measure-link',
      params: send,
      server: serverDocument(b, lab.world),
    });
    const [l, s] = await Promise.all([listening, sending]);
    const le = envelope(l.stdout);
    const se = envelope(s.stdout);
    expect(le.ok, l.stdout + l.stderr).toBe(true);
    expect(se.ok, s.stdout + s.stderr).toBe(true);
    expect(se.data).toMatchObject({
      reached: true,
      reason: null,
      probesSent: 50,
      probesReceived: 50,
      lossPct: 0,
    });
    expect(se.data.mbps).toBeGreaterThan(0);
    expect(se.data.rttMs).toBeGreaterThanOrEqual(0);
    expect(se.data.rttMs).toBeLessThan(50);
    expect(se.data.bytesSent).toBeGreaterThan(0);
    expect(le.data).toMatchObject({ connected: true, datagramsEchoed: 50, temporaryAddress: true });
    expect(le.data.bytesReceived).toBe(se.data.bytesSent);
    // The listener lets the port through the firewall for the measurement only.
    const rules = ['Twinlock-LinkTest-TCP-' + port + '-In', 'Twinlock-LinkTest-UDP-' + port + '-In'];
    expect(l.changes.filter((c) => c.command === 'New-NetFirewallRule')).toMatchObject([
      { name: rules[0], protocol: 'TCP', localPorts: [String(port)], direction: 'Inbound', action: 'Allow' },
      { name: rules[1], protocol: 'UDP', localPorts: [String(port)] },
    ]);
    expect(l.changes.filter((c) => c.command === 'Remove-NetFirewallRule').map((c) => c.name)).toEqual(rules);
    expect(s.changes.some((c) => String(c.command).includes('Firewall'))).toBe(false);
    for (const [run, address] of [
      [l, '127.0.0.2'],
      [s, '127.0.0.3'],
    ] as const) {
      expect(run.changes.filter((c) => c.command.endsWith('NetIPAddress')).map((c) => c.command)).toEqual([
        'New-NetIPAddress',
        'Remove-NetIPAddress',
      ]);
      const ipChanges = run.changes.filter((c) => c.command.endsWith('NetIPAddress'));
      expect(ipChanges[0]).toMatchObject({
        interfaceAlias: ADAPTER,
        ipAddress: address,
        prefixLength: 24,
        policyStore: 'ActiveStore',
        skipAsSource: true,
      });
      expect(ipChanges[1]).toMatchObject({ ipAddress: address, policyStore: 'ActiveStore' });
    }

    // The lab's handler answers the same parameters in the same shape, with its model's figures.
    const fromLab = await labPair(listen, send);
    expect(shape(fromLab.listen)).toEqual(shape(le.data));
    expect(shape(fromLab.send)).toEqual(shape(se.data));
    expect(Object.keys(fromLab.send)).toEqual(Object.keys(se.data));
    expect(fromLab.send).toMatchObject({ reached: true, lossPct: 0, temporaryAddress: true });
    expect(a.profile.nics.flatMap((n) => n.ipv4.map((i) => i.address))).not.toContain('127.0.0.2');
    expect(a.firewallRules.map((r) => r.name)).not.toContain(rules[0]);
  }, 60_000);

  it('answers reached:false with the reason when nothing listens, within its connect window', async () => {
    const b = lab.hosts[1]!;
    const send = { ...params('send', '127.0.0.3', '127.0.0.4', port + 1), connectSeconds: 1 };
    const started = Date.now();
    const s = await senderTier.run({
      script: 'measure-link',
      params: send,
      server: serverDocument(b, lab.world),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const se = envelope(s.stdout);
    expect(se.ok, s.stdout + s.stderr).toBe(true);
    expect(se.data).toMatchObject({ reached: false, probesSent: 0, rttMs: null, mbps: null });
    expect(se.data.reason).toMatch(/127\.0\.0\.4/);
    const labSend = (await HANDLERS['measure-link']!({
      host: b,
      world: lab.world,
      params: send,
      account: b.accounts[0]!,
      logon: 'password',
    })) as Record<string, unknown>;
    expect(shape(labSend)).toEqual(shape(se.data));
    expect(labSend.reason).toMatch(/127\.0\.0\.4/);
  }, 60_000);
});
