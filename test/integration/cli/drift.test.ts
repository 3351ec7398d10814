/**
 * `twinlock drift` and `twinlock apply` on a pair that already holds its bundle's pair: a pair
 * made from a bundle matches it (exit 0); lowered to Level 2 without a witness and with one VM
 * unprotected it drifted (level, witness and the VM listed, exit 3); `apply --check` reports the
 * same and changes nothing; `apply` brings it back (drift exits 0 again); applying a bundle the
 * pair matches changes nothing on either server (the lab's agent and SFTP record every change).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStatus, PairConfig } from '../../../engine/api/models';
import { exportBundle } from '../../../engine/bundle/export';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock, shippedManifest } from './twinlock';

let lab: Lab;
let home: string;
let hosts: [string, string];
let bundle: string;

const config: PairConfig = {
  name: 'PAIR-07',
  level: 3,
  primary: 'from-another-site',
  secondary: 'from-another-site-too',
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '10.20.1.21',
      remoteAddress: '10.20.1.22',
    },
    // Both sync links, as `twinlock pair` proposes them on these servers.
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

const twinlock = (args: string[]) =>
  runTwinlock([...args, '--json'], { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

/** Every change the servers record while `body` runs: agent verbs that change something, addresses set or removed, bytes uploaded. */
async function changesDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const off: Array<() => void> = [];
  for (const h of lab.hosts) {
    const host = lab.host(h.name);
    const ctl = (verb: string) => {
      if (!['status', 'version', 'links test'].includes(verb)) seen.push(`${h.name} ${verb}`);
    };
    const addresses = () => seen.push(`${h.name} addresses`);
    const sftp = (bytes: number) => seen.push(`${h.name} uploaded ${bytes} bytes`);
    host.on('ctl', ctl);
    host.on('addresses', addresses);
    host.on('sftp-write', sftp);
    off.push(() => {
      host.off('ctl', ctl);
      host.off('addresses', addresses);
      host.off('sftp-write', sftp);
    });
  }
  try {
    await body();
  } finally {
    for (const f of off) f();
  }
  return seen;
}

const pairState = () =>
  lab.hosts.map((h) => {
    const st = lab.host(h.name).agentStatus() as unknown as AgentStatus;
    return {
      role: st.role,
      level: st.pair?.level,
      witness: st.pair?.witness?.address ?? null,
      state: st.pair?.state,
      protected: st.vms
        .filter((v) => v.protected)
        .map((v) => v.name)
        .sort(),
    };
  });

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 1 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-drift-'));
  hosts = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
  const old = {
    address: '10.0.0.1',
    port: 22,
    fingerprint: `SHA256:${'A'.repeat(43)}`,
    computerName: 'OLD-NODE',
  };
  bundle = join(home, 'pair-07.twinlock.json');
  await exportBundle(
    {
      config,
      primary: old,
      secondary: { ...old, computerName: 'OLD-NODE-2' },
      agent: { version: shippedManifest.version, sha256: shippedManifest.sha256 },
    },
    home,
    bundle,
  );
}, 60_000);

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock drift and apply on a pair that holds its bundle', () => {
  it('applies the bundle to a new pair; drift then exits 0', async () => {
    const run = await twinlock([
      'apply',
      bundle,
      ...hosts,
      '--trust-new',
      '--trust-publisher',
      shippedManifest.signer.thumbprint,
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const result = lines(run.stdout).at(-1)!;
    expect(result.result.state).toBe('protected');
    expect(result.changed).toBe(true);

    const drift = await twinlock(['drift', bundle, ...hosts]);
    expect(drift.code, drift.stderr + drift.stdout).toBe(0);
    const report = JSON.parse(drift.stdout);
    expect(report).toMatchObject({ matches: true, differences: [], pair: 'PAIR-07' });
    expect(report.servers).toEqual(lab.hosts.map((h) => h.name));
  }, 120_000);

  it('lists the level, the witness and the unprotected VM of a pair lowered to Level 2 without a witness, and exits 3', async () => {
    const unpair = await twinlock(['unpair', ...hosts, '--yes']);
    expect(unpair.code, unpair.stderr + unpair.stdout).toBe(0);
    const lowered = await twinlock([
      'pair',
      ...hosts,
      '--name',
      'PAIR-07',
      '--level',
      '2',
      '--no-witness',
      '--vm',
      'SQL01',
    ]);
    expect(lowered.code, lowered.stderr + lowered.stdout).toBe(0);
    expect(pairState().map((p) => [p.level, p.witness])).toEqual([
      [2, null],
      [2, null],
    ]);

    const drift = await twinlock(['drift', bundle, ...hosts]);
    expect(drift.code, drift.stdout).toBe(3);
    const report = JSON.parse(drift.stdout);
    expect(report.matches).toBe(false);
    expect(report.differences.map((d: any) => [d.field, d.what, d.expected, d.actual])).toEqual([
      ['level', 'Protection level', 'Level 3', 'Level 2'],
      ['witness', 'Witness', 'file share \\\\TL-WITNESS\\twinlock-witness', 'none'],
      ['vms', 'VM APP01', 'protected', 'not protected'],
    ]);
    expect(report.differences[0].change).toBe(
      'Re-create the pair at Level 3 with witness \\\\TL-WITNESS\\twinlock-witness (mirroring runs again)',
    );
    expect(report.differences[2].change).toBe('Protect APP01');

    // The text says the same, each difference with what apply would change.
    const text = await runTwinlock(['drift', bundle, ...hosts], {
      TWINLOCK_HOME: home,
      TWINLOCK_PASSWORD: lab.hosts[0]!.password,
    });
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('differs from its bundle');
    expect(text.stdout).toContain('expected: Level 3');
    expect(text.stdout).toContain('actual:   Level 2');
    expect(text.stdout).toContain('apply would: Protect APP01');
  }, 120_000);

  it('apply --check reports the differences and the plan, exits 3, and changes nothing', async () => {
    const before = pairState();
    let run!: Awaited<ReturnType<typeof twinlock>>;
    const changes = await changesDuring(async () => {
      run = await twinlock(['apply', bundle, ...hosts, '--check']);
    });
    expect(run.code, run.stderr + run.stdout).toBe(3);
    expect(changes).toEqual([]);
    expect(pairState()).toEqual(before);
    const result = lines(run.stdout).at(-1)!;
    expect(result.changed).toBe(false);
    expect(result.drift.differences.map((d: any) => d.field)).toEqual(['level', 'witness', 'vms']);
    // The plan that would bring it back: the pair removed on both and made again, honestly titled.
    const steps = result.plan.steps.map((s: any) => s.id);
    expect(steps).toEqual([
      'primary/unprotect/0',
      'primary/remove',
      'secondary/remove',
      'primary/links',
      'primary/create',
      'secondary/join',
      'primary/protect/0',
      'primary/protect/1',
      'primary/wait',
    ]);
    expect(result.plan.corrects.map((c: any) => c.field)).toEqual(['level', 'witness', 'vms']);
  }, 120_000);

  it('apply brings the pair back to its bundle; drift then exits 0', async () => {
    const run = await twinlock(['apply', bundle, ...hosts]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const events = lines(run.stdout);
    expect(events.find((e) => e.event === 'plan')?.plan.corrects.map((c: any) => c.field)).toEqual([
      'level',
      'witness',
      'vms',
    ]);
    const result = events.at(-1)!;
    expect(result.changed).toBe(true);
    expect(result.result.state).toBe('protected');
    expect(result.drift.matches).toBe(true);
    expect(pairState()).toEqual([
      {
        role: 'primary',
        level: 3,
        witness: '\\\\TL-WITNESS\\twinlock-witness',
        state: 'protected',
        protected: ['APP01', 'SQL01'],
      },
      {
        role: 'secondary',
        level: 3,
        witness: '\\\\TL-WITNESS\\twinlock-witness',
        state: 'protected',
        protected: ['APP01', 'SQL01'],
      },
    ]);

    const drift = await twinlock(['drift', bundle, ...hosts]);
    expect(drift.code, drift.stdout).toBe(0);
    expect(JSON.parse(drift.stdout).matches).toBe(true);
  }, 180_000);

  it('a second apply of the matching bundle reports changed:false and changes nothing on either server', async () => {
    const before = pairState();
    let run!: Awaited<ReturnType<typeof twinlock>>;
    const changes = await changesDuring(async () => {
      run = await twinlock(['apply', bundle, ...hosts]);
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(changes).toEqual([]);
    expect(pairState()).toEqual(before);
    const result = lines(run.stdout).at(-1)!;
    expect(result.changed).toBe(false);
    expect(result.drift.matches).toBe(true);
    expect(result.plan.corrects).toEqual([]);
    expect(result.plan.steps.filter((s: any) => s.changes)).toEqual([]);

    const text = await runTwinlock(['apply', bundle, ...hosts], {
      TWINLOCK_HOME: home,
      TWINLOCK_PASSWORD: lab.hosts[0]!.password,
    });
    expect(text.code).toBe(0);
    expect(text.stdout + text.stderr).toContain('PAIR-07 matches its bundle: nothing to change.');
  }, 120_000);

  it('pairing the matching configuration again applies a plan that changes nothing and reports the pair protected', async () => {
    let run!: Awaited<ReturnType<typeof twinlock>>;
    const changes = await changesDuring(async () => {
      run = await twinlock([
        'pair',
        ...hosts,
        '--name',
        'PAIR-07',
        '--level',
        '3',
        '--witness',
        'share:\\\\TL-WITNESS\\twinlock-witness',
        '--vm',
        'SQL01',
        '--vm',
        'APP01',
      ]);
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(changes).toEqual([]);
    const events = lines(run.stdout);
    expect(events.find((e) => e.event === 'plan')?.plan.corrects).toEqual([]);
    const result = events.at(-1)!;
    expect(result.changed).toBe(false);
    expect(result.result.state).toBe('protected');
  }, 120_000);

  it('compares with the per-pair VMs given instead of the bundle’s', async () => {
    const run = await twinlock(['drift', bundle, ...hosts, '--vm', 'SQL01', '--no-verify']);
    expect(run.code, run.stdout).toBe(3);
    expect(JSON.parse(run.stdout).differences).toEqual([
      {
        field: 'vms',
        what: 'VM APP01',
        expected: 'not protected (not in the configuration)',
        actual: 'protected',
        change: 'Unprotect APP01',
      },
    ]);
  });

  it('compares with no VMs at all for --no-vms, not the bundle’s, and refuses it with --vm before reaching a server', async () => {
    const run = await twinlock(['drift', bundle, ...hosts, '--no-vms', '--no-verify']);
    expect(run.code, run.stdout).toBe(3);
    const differences = JSON.parse(run.stdout).differences as Array<{ field: string; change: string }>;
    expect(differences.map((d) => [d.field, d.change]).sort()).toEqual([
      ['vms', 'Unprotect APP01'],
      ['vms', 'Unprotect SQL01'],
    ]);
    const both = await twinlock(['drift', bundle, ...hosts, '--no-vms', '--vm', 'SQL01']);
    expect(both.code).toBe(1);
    expect(JSON.parse(both.stdout).error).toMatchObject({
      code: 'invalid-input',
      message: '--no-vms and --vm "SQL01" were both given.',
      detail: { field: 'vms' },
    });
  });

  it('compares with the per-pair link addresses given, link by link in the bundle’s order', async () => {
    const same = await twinlock([
      'drift',
      bundle,
      ...hosts,
      '--link-address',
      '10.10.1.21-10.10.1.22/24',
      '--link-address',
      '10.10.2.21-10.10.2.22/24',
      '--no-verify',
    ]);
    expect(same.code, same.stdout).toBe(0);
    const other = await twinlock([
      'drift',
      bundle,
      ...hosts,
      '--link-address',
      '10.10.1.21-10.10.1.22/24',
      '--link-address',
      '10.10.9.21-10.10.9.22/30',
      '--no-verify',
    ]);
    expect(other.code, other.stdout).toBe(3);
    const report = JSON.parse(other.stdout);
    expect(report.differences.map((d: any) => [d.field, d.server ?? null, d.expected])).toEqual([
      ['links', null, 'SLOT 3 Port 2 10.10.9.21 to SLOT 3 Port 2 10.10.9.22'],
      ['addresses', lab.hosts[0]!.name, '10.10.9.21/30'],
      ['addresses', lab.hosts[1]!.name, '10.10.9.22/30'],
    ]);
    expect(report.differences[1].change).toBe(
      `Give SLOT 3 Port 2 on ${lab.hosts[0]!.name} the address 10.10.9.21/30`,
    );
  });

  it('apply with other per-pair link addresses sets them and makes the pair again over them', async () => {
    const values = [
      '--link-address',
      '10.10.1.21-10.10.1.22/24',
      '--link-address',
      '10.10.9.21-10.10.9.22/30',
    ];
    const run = await twinlock(['apply', bundle, ...hosts, ...values]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const events = lines(run.stdout);
    const plan = events.find((e) => e.event === 'plan')!.plan;
    expect(plan.steps.map((s: any) => s.id)).toEqual([
      'primary/unprotect/0',
      'primary/unprotect/1',
      'primary/remove',
      'secondary/remove',
      'primary/address/0',
      'secondary/address/0',
      'primary/links',
      'primary/create',
      'secondary/join',
      'primary/protect/0',
      'primary/protect/1',
      'primary/wait',
    ]);
    const result = events.at(-1)!;
    expect(result.changed).toBe(true);
    expect(result.drift.matches).toBe(true);
    const primary = lab.host(lab.hosts[0]!.name).agentStatus() as unknown as AgentStatus;
    expect(primary.pair?.links.map((l) => `${l.local}-${l.remote}`)).toEqual([
      '10.10.1.21-10.10.1.22',
      '10.10.9.21-10.10.9.22',
    ]);
    const drift = await twinlock(['drift', bundle, ...hosts, ...values, '--no-verify']);
    expect(drift.code, drift.stdout).toBe(0);
  }, 180_000);

  it('a re-creation that fails is undone and says honestly that the pair it replaced is gone', async () => {
    expect((await twinlock(['unpair', ...hosts, '--yes'])).code).toBe(0);
    const lowered = await twinlock([
      'pair',
      ...hosts,
      '--name',
      'PAIR-07',
      '--level',
      '2',
      '--no-witness',
      '--vm',
      'SQL01',
    ]);
    expect(lowered.code, lowered.stderr + lowered.stdout).toBe(0);
    const primary = lab.host(lab.hosts[0]!.name);
    primary.faults.protectFails = ['APP01'];
    try {
      const run = await twinlock(['apply', bundle, ...hosts]);
      expect(run.code, run.stdout).toBe(1);
      const { error } = lines(run.stdout).at(-1)!;
      expect(error.message).toContain('protecting the VMs');
      expect(error.message).toContain('the pair they held was removed to make it again');
      expect(error.detail.undo.complete).toBe(true);
      expect(pairState().map((p) => p.role)).toEqual(['none', 'none']);
    } finally {
      primary.faults.protectFails = [];
    }
  }, 180_000);

  it('refuses --link-address values that do not fit the bundle’s links, naming the flag and the count', async () => {
    const check = await twinlock([
      'apply',
      bundle,
      ...hosts,
      '--check',
      '--link-address',
      '10.20.1.21-10.20.1.22/30',
    ]);
    expect(check.code).toBe(1);
    const refused = lines(check.stdout).at(-1)!.error;
    expect(refused.code).toBe('invalid-input');
    expect(refused.detail.field).toBe('linkAddresses');
    expect(refused.message).toContain('but the pair uses 2 sync links');

    const run = await twinlock(['drift', bundle, ...hosts, '--link-address', '10.20.1.21-10.20.1.22/30']);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout);
    expect(error.code).toBe('invalid-input');
    expect(error.detail.field).toBe('linkAddresses');
    expect(error.message).toContain('give exactly 2');

    const bad = await twinlock(['drift', bundle, ...hosts, '--link-address', '10.20.1.21/30']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.message).toContain('--link-address');
  });
});
