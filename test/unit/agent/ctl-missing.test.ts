/**
 * invoke-twinlockctl answers `installed: false` as data on a server without the agent: runCtl turns
 * it into `not-found` naming the server and the verb with how to install it, and a status read
 * turns it into "in no pair". Decided on the answer's field, never on a message's text.
 */
import { describe, expect, it } from 'vitest';
import { isAgentMissing, runCtl } from '../../../engine/agent/ctl';
import { readPairStatus } from '../../../engine/pair/status';
import type { RemoteHost } from '../../../engine/remote/types';
import { z } from 'zod';

/** A server whose scripts answer as the lab's do when no agent is installed. */
function serverWithoutAgent(calls: string[]): RemoteHost {
  return {
    label: 'TL-NODE-A',
    address: '127.0.0.1',
    port: 22,
    username: 'Administrator',
    fingerprint: 'SHA256:x',
    runScript: async (name: string) => {
      calls.push(name);
      if (name === 'invoke-twinlockctl')
        return { installed: false, exitCode: null, output: null, text: '', stderr: '' };
      if (name === 'get-cluster-state')
        return { featureInstalled: false, toolsInstalled: false, cluster: null };
      throw new Error(`unexpected script ${name}`);
    },
  } as unknown as RemoteHost;
}

describe('a server without the agent', () => {
  it('makes runCtl fail as not-found, naming the server and the verb, with how to install it', async () => {
    const err = await runCtl(serverWithoutAgent([]), 'links test', {}, z.unknown()).catch((e: unknown) => e);
    expect(isAgentMissing(err)).toBe(true);
    expect(err).toMatchObject({
      code: 'not-found',
      message: 'The Twinlock agent is not installed on TL-NODE-A, so it cannot “links test”.',
      detail: { host: 'TL-NODE-A', verb: 'links test', missing: 'agent' },
    });
    expect((err as { hint: string }).hint).toContain('twinlock install');
  });

  it('reads as in no pair, not as an error', async () => {
    const calls: string[] = [];
    await expect(readPairStatus(serverWithoutAgent(calls), 'TL-NODE-A')).resolves.toEqual({
      nodeId: 'TL-NODE-A',
      role: 'none',
      pair: null,
      vms: [],
    });
    expect(calls).toEqual(['get-cluster-state', 'invoke-twinlockctl']);
  });

  it('is not mistaken for an agent that answered an error', async () => {
    const host = {
      ...serverWithoutAgent([]),
      runScript: async () => ({
        installed: true,
        exitCode: 1,
        output: { error: { code: 'busy', message: 'a drill is running' } },
        text: '',
        stderr: '',
      }),
    } as unknown as RemoteHost;
    const err = await runCtl(host, 'status', {}, z.unknown()).catch((e: unknown) => e);
    expect(isAgentMissing(err)).toBe(false);
    expect(err).toMatchObject({ code: 'script-failed' });
  });
});
