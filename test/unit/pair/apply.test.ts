import { describe, expect, it } from 'vitest';
import type { TwinlockError } from '../../../engine/api/errors';
import type { PairConfig } from '../../../engine/api/models';
import { ApplyOutcomeSchema } from '../../../engine/api/models';
import { applyPair } from '../../../engine/pair/apply';
import { fakeContext } from '../agent/fakes';
import type { Step } from './fake-agent';
import { fakeAgentHost } from './fake-agent';

const config: PairConfig = {
  name: 'TL-NODE-PAIR',
  level: 3,
  primary: 'sa',
  secondary: 'sb',
  links: [{ localNic: 'SLOT 3 Port 1', remoteNic: 'SLOT 3 Port 1', localAddress: '10.10.1.21', remoteAddress: '10.10.1.22' }],
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

describe('applyPair', () => {
  it('follows a pair that already exists under the same name instead of creating it twice', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'protected', progress: 100 }], { alreadyPaired: true });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'protected', progress: 100 }], { alreadyPaired: true });
    const [p, s] = members(a, b);
    const outcome = await applyPair(fakeContext<'apply'>(), config, p, s, { pollIntervalMs: 1 });
    expect(outcome.state).toBe('protected');
    expect([...a.ctl, ...b.ctl].filter((x) => x.verb.startsWith('pair'))).toEqual([]);
    // The fake's VMs are not protected yet, so both are protected now.
    expect(a.ctl.filter((x) => x.verb === 'protect').map((x) => x.input.vm)).toEqual(config.vms);
  });

  it('refuses a server that is in another pair', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'protected' }], { alreadyPaired: true });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'protected' }]);
    const [p, s] = members(a, b);
    const err = await failure(applyPair(fakeContext<'apply'>(), { ...config, name: 'OTHER' }, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('already in another pair, TL-NODE-PAIR');
    expect(a.ctl.filter((x) => x.verb.startsWith('pair'))).toEqual([]);
  });

  it('pairs, protects the VMs and follows the states to protected', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'pairing' }, { state: 'mirroring', progress: 50 }, { state: 'syncing' }, { state: 'protected' }]);
    const ctx = fakeContext<'apply'>();
    const [p, s] = members(a, b);
    const outcome = await applyPair(ctx, config, p, s, { pollIntervalMs: 1 });
    expect(ApplyOutcomeSchema.parse(outcome)).toEqual(outcome);
    expect(outcome).toMatchObject({ pairId: 'pair-7f3a', state: 'protected' });
    expect(outcome.status[0].pair?.links).toHaveLength(1);

    // Values travel in the verb's stdin document: the VM name with a space and a semicolon stays one value.
    expect(a.ctl.map((x) => x.verb)).toEqual(expect.arrayContaining(['links test', 'pair create', 'protect', 'status']));
    expect(a.ctl).toContainEqual({ verb: 'protect', input: { vm: 'APP 01; rm -rf' } });
    expect(a.ctl.find((x) => x.verb === 'status')!.input).toEqual({});
    expect(a.ctl.find((x) => x.verb === 'links test')!.input).toEqual({ peer: '10.10.1.22', links: [{ local: '10.10.1.21', remote: '10.10.1.22' }], seconds: 5 });
    const create = a.ctl.find((x) => x.verb === 'pair create')!.input;
    expect(create).toEqual({
      name: 'TL-NODE-PAIR',
      peer: '10.10.1.22',
      token: expect.any(String),
      level: 3,
      links: [{ local: '10.10.1.21', remote: '10.10.1.22', localNic: 'SLOT 3 Port 1', remoteNic: 'SLOT 3 Port 1' }],
      witness: { kind: 'share', address: '\\\\contoso.local\\twinlock-witness' },
    });
    const join = b.ctl.find((x) => x.verb === 'pair join')!.input;
    expect(join.peer).toBe('10.10.1.21');
    // The same single-use token went to both servers, and it is a strong one.
    const token = create.token as string;
    expect(join.token).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const messages = ctx.hostPatches.filter((x) => x.sessionId === 'sa').map((x) => x.patch.message);
    expect(messages).toEqual(expect.arrayContaining(['Pairing with the other server', 'Mirroring storage: 10%', 'Mirroring storage: 60%', 'Synchronising memory', 'Protected']));
    const percents = ctx.progressLog.map((x) => x.percent);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
    expect(percents.at(-1)).toBe(100);
    expect(ctx.hosts.sa).toMatchObject({ state: 'done', percent: 100 });
    expect(ctx.hosts.sb).toMatchObject({ state: 'done', percent: 100 });
    // The token never reaches a progress line.
    expect(JSON.stringify([ctx.hostPatches, ctx.progressLog, outcome])).not.toContain(token);
  });

  it('fails with the state when the pair breaks', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'pairing' }, { state: 'mirroring', progress: 30 }, { state: 'broken' }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'pairing' }, { state: 'mirroring', progress: 30 }, { state: 'mirroring', progress: 30 }]);
    const ctx = fakeContext<'apply'>();
    const [p, s] = members(a, b);
    const err = await failure(applyPair(ctx, config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('TL-NODE-A reports the pair as broken');
    expect(err.hint).toBeTruthy();
    expect(ctx.hosts.sa?.state).toBe('failed');
  });

  it('stops before pairing when a sync link is down', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected, { linksUp: false });
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected);
    const [p, s] = members(a, b);
    const err = await failure(applyPair(fakeContext<'apply'>(), config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('incompatible');
    expect(err.message).toContain('SLOT 3 Port 1 (10.10.1.21)');
    expect(err.message).toContain('is down');
    expect(a.ctl.some((x) => x.verb === 'pair create')).toBe(false);
  });

  it('reports an agent error as script-failed without the token', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', toProtected);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', toProtected, { refuse: 'pair join' });
    const [p, s] = members(a, b);
    const err = await failure(applyPair(fakeContext<'apply'>(), config, p, s, { pollIntervalMs: 1 }));
    expect(err.code).toBe('script-failed');
    expect(err.message).toContain('the peer did not answer');
    const token = a.ctl.find((x) => x.verb === 'pair create')!.input.token as string;
    expect(JSON.stringify({ m: err.message, d: err.detail })).not.toContain(token);
  });

  it('times out with the last states', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'mirroring', progress: 5 }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'mirroring', progress: 5 }]);
    const [p, s] = members(a, b);
    const err = await failure(applyPair(fakeContext<'apply'>(), config, p, s, { pollIntervalMs: 1, timeoutMs: 20 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('Mirroring storage: 5%');
  });

  it('stops when cancelled', async () => {
    const a = fakeAgentHost('TL-NODE-A', 'primary', [{ state: 'mirroring', progress: 5 }]);
    const b = fakeAgentHost('TL-NODE-B', 'secondary', [{ state: 'mirroring', progress: 5 }]);
    const [p, s] = members(a, b);
    const ctx = fakeContext<'apply'>();
    setTimeout(() => ctx.controller.abort(), 20);
    const err = await failure(applyPair(ctx, config, p, s, { pollIntervalMs: 5 }));
    expect(err.code).toBe('cancelled');
  });
});
