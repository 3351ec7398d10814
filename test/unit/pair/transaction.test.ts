import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import type { PairConfig } from '../../../engine/api/models';
import { PairOutcomeSchema } from '../../../engine/api/models';
import { runPairing } from '../../../engine/pair/transaction';
import { fakeContext } from '../agent/fakes';
import type { Step } from './fake-agent';
import { fakeAgentHost } from './fake-agent';

const config: PairConfig = {
  name: 'TL-NODE-PAIR',
  level: 3,
  primary: 'sa',
  secondary: 'sb',
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '10.10.1.21',
      remoteAddress: '10.10.1.22',
    },
  ],
  witness: { kind: 'file-share', address: '\\\\contoso.local\\twinlock-witness' },
  vms: ['SQL01', 'APP 01; rm -rf'],
};

const toProtected: Step[] = [
  { state: 'pairing' },
  { state: 'mirroring', progress: 10 },
  { state: 'mirroring', progress: 60 },
  { state: 'syncing' },
  { state: 'protected', progress: 100 },
];

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

function members(a: ReturnType<typeof fakeAgentHost>, b: ReturnType<typeof fakeAgentHost>) {
  return [
    { sessionId: 'sa', label: 'TL-NODE-A', host: a.host },
    { sessionId: 'sb', label: 'TL-NODE-B', host: b.host },
  ] as const;
}

describe('runPairing', () => {
  it('follows a pair that already exists under the same name instead of creating it twice', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'protected', progress: 100 }], {
      alreadyPaired: true,
    });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'protected', progress: 100 }], {
      alreadyPaired: true,
    });
    const [p, s] = members(a, b);
    const outcome = await runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1 });
    expect(outcome.state).toBe('protected');
    expect([...a.ctl, ...b.ctl].filter((x) => x.verb.startsWith('pair'))).toEqual([]);
    // The fake's VMs are not protected yet, so both are protected now.
    expect(a.ctl.filter((x) => x.verb === 'protect').map((x) => x.input.vm)).toEqual(config.vms);
  });

  it('refuses a server that is in another pair', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'protected' }], { alreadyPaired: true });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'protected' }]);
    const [p, s] = members(a, b);
    const err = await failure(
      runPairing(fakeContext<'pair'>(), { ...config, name: 'OTHER' }, p, s, { pollIntervalMs: 1 }),
    );
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('already in another pair, TL-NODE-PAIR');
    expect(a.ctl.filter((x) => x.verb.startsWith('pair'))).toEqual([]);
  });

  it('pairs, protects the VMs and follows the states to protected', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [
      { state: 'pairing' },
      { state: 'mirroring', progress: 50 },
      { state: 'syncing' },
      { state: 'protected' },
    ]);
    const ctx = fakeContext<'pair'>();
    const [p, s] = members(a, b);
    const outcome = await runPairing(ctx, config, p, s, { pollIntervalMs: 1 });
    expect(PairOutcomeSchema.parse(outcome)).toEqual(outcome);
    expect(outcome).toMatchObject({ pairId: 'pair-7f3a', state: 'protected' });
    expect(outcome.status[0].pair?.links).toHaveLength(1);

    // Values travel in the verb's stdin document: the VM name with a space and a semicolon stays one value.
    expect(a.ctl.map((x) => x.verb)).toEqual(
      expect.arrayContaining(['links test', 'pair create', 'protect', 'status']),
    );
    expect(a.ctl).toContainEqual({ verb: 'protect', input: { vm: 'APP 01; rm -rf' } });
    expect(a.ctl.find((x) => x.verb === 'status')!.input).toEqual({});
    expect(a.ctl.find((x) => x.verb === 'links test')!.input).toEqual({
      peer: '10.10.1.22',
      links: [{ local: '10.10.1.21', remote: '10.10.1.22' }],
      seconds: 5,
    });
    const create = a.ctl.find((x) => x.verb === 'pair create')!.input;
    expect(create).toEqual({
      name: 'TL-NODE-PAIR',
      peer: '10.10.1.22',
      token: expect.any(String),
      level: 3,
      links: [
        { local: '10.10.1.21', remote: '10.10.1.22', localNic: 'SLOT 3 Port 1', remoteNic: 'SLOT 3 Port 1' },
      ],
      witness: { kind: 'share', address: '\\\\contoso.local\\twinlock-witness' },
    });
    const join = b.ctl.find((x) => x.verb === 'pair join')!.input;
    expect(join.peer).toBe('10.10.1.21');
    // The same single-use token went to both servers, and it is a strong one.
    const token = create.token as string;
    expect(join.token).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const messages = ctx.hostPatches.filter((x) => x.sessionId === 'sa').map((x) => x.patch.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Pairing with the other server',
        'Mirroring storage: 10%',
        'Mirroring storage: 60%',
        'Synchronising memory',
        'Protected',
      ]),
    );
    const percents = ctx.progressLog.map((x) => x.percent);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
    expect(percents.at(-1)).toBe(100);
    expect(ctx.hosts.sa).toMatchObject({ state: 'done', percent: 100 });
    expect(ctx.hosts.sb).toMatchObject({ state: 'done', percent: 100 });
    // The token never reaches a progress line.
    expect(JSON.stringify([ctx.hostPatches, ctx.progressLog, outcome])).not.toContain(token);
  });

  it('fails with the state when the pair breaks', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [
      { state: 'pairing' },
      { state: 'mirroring', progress: 30 },
      { state: 'broken' },
    ]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [
      { state: 'pairing' },
      { state: 'mirroring', progress: 30 },
      { state: 'mirroring', progress: 30 },
    ]);
    const ctx = fakeContext<'pair'>();
    const [p, s] = members(a, b);
    const err = await failure(runPairing(ctx, config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('TL-NODE-A reports the pair as broken');
    expect(err.hint).toBeTruthy();
    expect(ctx.hosts.sa?.state).toBe('failed');
  });

  it('stops before pairing when a sync link is down', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected, { linksUp: false });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const [p, s] = members(a, b);
    const err = await failure(runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('SLOT 3 Port 1 (10.10.1.21)');
    expect(err.message).toContain('is down');
    expect(a.ctl.some((x) => x.verb === 'pair create')).toBe(false);
  });

  it('reports an agent error as script-failed without the token', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected, { refuse: 'pair join' });
    const [p, s] = members(a, b);
    const err = await failure(runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('script-failed');
    expect(err.message).toContain('the peer did not answer');
    const token = a.ctl.find((x) => x.verb === 'pair create')!.input.token as string;
    expect(JSON.stringify({ m: err.message, d: err.detail })).not.toContain(token);
  });

  it('times out with the last states', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'mirroring', progress: 5 }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'mirroring', progress: 5 }]);
    const [p, s] = members(a, b);
    const err = await failure(
      runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1, timeoutMs: 20 }),
    );
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('Mirroring storage: 5%');
  });

  it('stops when cancelled', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'mirroring', progress: 5 }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'mirroring', progress: 5 }]);
    const [p, s] = members(a, b);
    const ctx = fakeContext<'pair'>();
    setTimeout(() => ctx.controller.abort(), 20);
    const err = await failure(runPairing(ctx, config, p, s, { pollIntervalMs: 5 }));
    expect(err.code).toBe('cancelled');
  });

  it('undoes a failed protect: the VMs it protected are unprotected and the pair removed on both servers', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected, { refuseVm: 'APP 01; rm -rf' });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const [p, s] = members(a, b);
    const steps: string[] = [];
    const ctx = fakeContext<'pair'>();
    const err = await failure(
      runPairing(
        ctx,
        config,
        p,
        s,
        { pollIntervalMs: 1 },
        { recorder: { step: async (role, step) => void steps.push(`${role} ${step}`) } },
      ),
    );
    expect(err.code).toBe('script-failed');
    expect(err.message).toMatch(
      /^Pairing TL-NODE-PAIR failed while protecting the VMs: .*cannot be protected\. Twinlock undid the pairing: TL-NODE-A and TL-NODE-B are not paired, as before\.$/,
    );
    expect(err.detail).toMatchObject({ step: 'protect', undo: { complete: true, remains: [] } });
    expect(a.ctl.filter((x) => x.verb === 'unprotect' || x.verb === 'pair remove')).toEqual([
      { verb: 'unprotect', input: { vm: 'SQL01' } },
      { verb: 'pair remove', input: {} },
    ]);
    expect(b.ctl.filter((x) => x.verb === 'pair remove')).toHaveLength(1);
    expect([a.paired(), b.paired()]).toEqual([false, false]);
    expect(steps).toEqual([
      'primary links',
      'primary create-sent',
      'primary create',
      'secondary join-sent',
      'secondary join',
      'primary protect:SQL01',
      'primary undo',
      'secondary undo',
    ]);
    expect(ctx.hosts.sa?.logTail).toEqual([
      'Checking TL-NODE-PAIR on TL-NODE-A',
      'Unprotecting SQL01',
      'Removing pair TL-NODE-PAIR from TL-NODE-A',
      'TL-NODE-A is no longer paired',
    ]);
  });

  it('removes the pair from the primary when the join fails, and leaves the secondary alone when it was never asked', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected, { refuse: 'pair create' });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const [p, s] = members(a, b);
    const err = await failure(runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1 }));
    // The agent refused the create: the primary is checked, nothing is there, the secondary was never asked to join.
    expect(err.detail).toMatchObject({ step: 'create', undo: { complete: true } });
    expect(b.ctl.filter((x) => x.verb.startsWith('pair '))).toEqual([]);
  });

  it('says what remains, on which server, and the command that removes it, when a server cannot be reached for the undo', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'pairing' }, { state: 'broken' }]);
    const [p, s] = members(a, b);
    const gone = {
      ...s,
      reconnect: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), {})),
    };
    const err = await failure(runPairing(fakeContext<'pair'>(), config, p, gone, { pollIntervalMs: 1 }));
    expect(err.message).toContain('failed while waiting for the pair to be protected');
    expect(err.message).toContain('TL-NODE-B still holds its part of pair TL-NODE-PAIR');
    expect(err.hint).toBe(
      'When TL-NODE-B answers again, remove what is left with: twinlock unpair TL-NODE-A TL-NODE-B --yes',
    );
    expect(err.detail).toMatchObject({
      step: 'wait',
      undo: { complete: false, remains: [{ host: 'TL-NODE-B', address: 'TL-NODE-B' }] },
    });
    expect(a.paired()).toBe(false);
  });

  it('undoes the pairing when cancelled, and reports the cancel', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'mirroring', progress: 5 }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'mirroring', progress: 5 }]);
    const [p, s] = members(a, b);
    const ctx = fakeContext<'pair'>();
    setTimeout(() => ctx.controller.abort(), 20);
    const err = await failure(runPairing(ctx, config, p, s, { pollIntervalMs: 5 }));
    expect(err.code).toBe('cancelled');
    expect(err.message).toContain('Twinlock undid the pairing');
    expect([a.paired(), b.paired()]).toEqual([false, false]);
  });

  it('leaves the pairing as it is when Twinlock shuts down, to resume', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'mirroring', progress: 5 }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'mirroring', progress: 5 }]);
    const [p, s] = members(a, b);
    const ctx = fakeContext<'pair'>();
    setTimeout(() => ctx.controller.abort(), 20);
    const err = await failure(
      runPairing(ctx, config, p, s, { pollIntervalMs: 5 }, { shuttingDown: () => true }),
    );
    expect(err.code).toBe('cancelled');
    expect([a.paired(), b.paired()]).toEqual([true, true]);
  });

  it('refuses to pair over a half-made pair and names the way out', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'pairing' }], { alreadyPaired: true });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const [p, s] = members(a, b);
    const err = await failure(runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('TL-NODE-A holds pair TL-NODE-PAIR (pairing) but TL-NODE-B does not');
    expect(err.hint).toContain('twinlock unpair TL-NODE-A TL-NODE-B --yes');
    expect(a.ctl.filter((x) => x.verb.startsWith('pair '))).toEqual([]);
  });
});

describe('runPairing with link addresses', () => {
  const addressHandlers = (h: ReturnType<typeof fakeAgentHost>) => {
    const held = new Set<string>();
    h.host.handlers['set-link-address'] = (p: { adapter: string; address: string; prefixLength: number }) => {
      const added = !held.has(p.address);
      held.add(p.address);
      return { ...p, added, alreadyPresent: !added };
    };
    h.host.handlers['remove-link-address'] = (p: { adapter: string; address: string }) => {
      const removed = held.delete(p.address);
      return { ...p, removed };
    };
    return held;
  };
  const addresses = [
    { role: 'primary' as const, adapter: 'SLOT 3 Port 1', address: '10.10.1.21', prefixLength: 30 },
    { role: 'secondary' as const, adapter: 'SLOT 3 Port 1', address: '10.10.1.22', prefixLength: 30 },
  ];

  it('sets the addresses first, journalled before each call, and a failure after them removes them in reverse order', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected, { refuseVm: 'SQL01' });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const [heldA, heldB] = [addressHandlers(a), addressHandlers(b)];
    const [p, s] = members(a, b);
    const steps: string[] = [];
    const err = await failure(
      runPairing(
        fakeContext<'pair'>(),
        config,
        p,
        s,
        { pollIntervalMs: 1 },
        { addresses, recorder: { step: async (role, step) => void steps.push(`${role} ${step}`) } },
      ),
    );
    expect(err.message).toContain(
      'It removed the link addresses it set (10.10.1.22 from TL-NODE-B SLOT 3 Port 1; 10.10.1.21 from TL-NODE-A SLOT 3 Port 1).',
    );
    expect(err.detail).toMatchObject({ undo: { complete: true } });
    expect([...heldA, ...heldB]).toEqual([]);
    expect(steps.slice(0, 3)).toEqual([
      'primary address:SLOT 3 Port 1|10.10.1.21',
      'secondary address:SLOT 3 Port 1|10.10.1.22',
      'primary links',
    ]);
    expect(steps).toContain('secondary address-removed:SLOT 3 Port 1|10.10.1.22');
    expect(steps.indexOf('secondary address-removed:SLOT 3 Port 1|10.10.1.22')).toBeLessThan(
      steps.indexOf('primary address-removed:SLOT 3 Port 1|10.10.1.21'),
    );
  });

  it('leaves an address that was already there when the pairing fails', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected, { refuse: 'pair create' });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const heldA = addressHandlers(a);
    addressHandlers(b);
    heldA.add('10.10.1.21');
    const [p, s] = members(a, b);
    const err = await failure(
      runPairing(fakeContext<'pair'>(), config, p, s, { pollIntervalMs: 1 }, { addresses }),
    );
    expect(err.message).toContain('10.10.1.22 from TL-NODE-B');
    expect(err.message).not.toContain('10.10.1.21 from');
    expect([...heldA]).toEqual(['10.10.1.21']);
    expect(a.host.scripts('remove-link-address')).toEqual([]);
  });
});
