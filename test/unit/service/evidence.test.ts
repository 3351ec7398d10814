/** The evidence store: per pair, on disk, whichever server is named first; absent entries are null. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../engine/api';
import { createEvidenceStore, pairKeyOf } from '../../../engine/service/evidence';

const result: DrillResult = {
  kind: 'link-loss',
  level: 2,
  result: 'passed',
  reason: null,
  measuredDowntimeMs: 0,
  agentDowntimeMs: 0,
  sampleIntervalMs: 50,
  serverTimeScale: 1,
  vms: [],
  timeline: [],
  startedAt: '2026-12-02T12:00:00.000Z',
  elapsedMs: 1000,
  finalState: 'protected',
};

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('evidence store', () => {
  it('keys a pair by both names in either order, and keeps the last drill across instances', async () => {
    dir = await mkdtemp(join(tmpdir(), 'twinlock-evidence-'));
    expect(pairKeyOf(['TL-NODE-B', 'tl-node-a'])).toBe(pairKeyOf(['TL-NODE-A', 'TL-NODE-B']));
    const key = pairKeyOf(['TL-NODE-A', 'TL-NODE-B']);
    const empty = await createEvidenceStore(dir).latest(key);
    expect([empty.verify, empty.plan, empty.links, empty.drill]).toEqual([null, null, null, null]);
    await createEvidenceStore(dir, () => new Date('2026-12-02T12:01:00.000Z')).recordDrill(key, result);
    const later = await createEvidenceStore(dir).latest(key);
    expect(later.drill).toMatchObject({ at: '2026-12-02T12:01:00.000Z', value: { kind: 'link-loss' } });
    expect(later.drill?.workstation).toEqual(expect.any(String));
    const file = JSON.parse(await readFile(join(dir, 'evidence', `${key}.json`), 'utf8'));
    expect(file.format).toBe('twinlock-evidence/1');
  });
});
