import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile, witnessOf } from '../../../lab/profile';
import { offlineLab } from './offline';

const lab = offlineLab('matched-pair');
const dir = mkdtempSync(join(tmpdir(), 'twinlock-lab-witness-'));
const witness = witnessOf(loadProfile({ profile: 'matched-pair' }), dir)!;
Object.assign(lab.world, { witness });
afterAll(() => {
  lab.dispose();
  rmSync(dir, { recursive: true, force: true });
});
const [a, b] = lab.hosts as [NonNullable<(typeof lab.hosts)[0]>, NonNullable<(typeof lab.hosts)[0]>];
const share = (address = '\\\\TL-WITNESS\\twinlock-witness') => ({
  kind: 'file-share',
  address,
  port: null,
  timeoutMs: 1000,
  probeId: 'p1',
});
const host = (address: string, port: number) => ({
  kind: 'host',
  address,
  port,
  timeoutMs: 1000,
  probeId: 'p1',
});

describe('the lab witness (test-witness)', () => {
  it('is the profile’s host on 7443 (by name or FQDN) and its share, a real folder the probe passes through', async () => {
    expect(await lab.run(a, 'test-witness', host('TL-WITNESS', 7443))).toMatchObject({ reached: true });
    expect(await lab.run(a, 'test-witness', host('tl-witness.contoso.local', 7443))).toMatchObject({
      reached: true,
    });
    expect(await lab.run(a, 'test-witness', host('TL-WITNESS', 7000))).toMatchObject({ error: 'Refused' });
    expect(await lab.run(a, 'test-witness', host('NOWHERE', 7443))).toMatchObject({ error: 'NotFound' });
    const written = await lab.run(a, 'test-witness', share('\\\\tl-witness\\TWINLOCK-WITNESS'));
    expect(written).toMatchObject({
      reached: true,
      step: null,
      bytes: Buffer.byteLength('Twinlock witness check p1'),
    });
    const folder = witness.shares[0]!.dir;
    expect(existsSync(folder)).toBe(true);
    expect(readdirSync(folder)).toEqual([]);
    expect(await lab.run(a, 'test-witness', share('\\\\TL-WITNESS\\other'))).toMatchObject({
      reached: false,
      step: 'write',
      error: 'NotFound',
    });
  });

  it('follows the faults: unreachable from one server, the share read-only for one', async () => {
    b.faults.witnessUnreachable = true;
    expect(await lab.run(b, 'test-witness', host('TL-WITNESS', 7443))).toMatchObject({ error: 'TimedOut' });
    expect(await lab.run(b, 'test-witness', share())).toMatchObject({ error: 'NotFound' });
    expect(await lab.run(a, 'test-witness', share())).toMatchObject({ reached: true });
    b.faults.witnessUnreachable = false;
    b.faults.witnessShareReadOnly = true;
    expect(await lab.run(b, 'test-witness', share())).toMatchObject({ step: 'write', error: 'AccessDenied' });
    b.faults.witnessShareReadOnly = false;
  });

  it('is absent for a profile with witness: null', () => {
    expect(witnessOf({ ...loadProfile({ profile: 'matched-pair' }), witness: null }, dir)).toBeUndefined();
  });
});
