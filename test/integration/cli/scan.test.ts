/**
 * `twinlock scan --dry-run`: the targets checked by the engine, the count printed, nothing probed;
 * a bad token fails with its name and an example, exit 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTwinlock } from './twinlock';

const home = mkdtempSync(join(tmpdir(), 'twinlock-cli-scan-'));

const twinlock = (args: string[]) => runTwinlock(args, { TWINLOCK_HOME: home });

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('twinlock scan --dry-run', () => {
  it('prints how many hosts a scan would probe, on which ports', async () => {
    const human = await twinlock([
      'scan',
      '10.0.0.0/24',
      '!10.0.0.1',
      'srv-a',
      '--ports',
      '22,5985',
      '--dry-run',
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe('254 hosts to probe on ports 22, 5985; nothing was sent.');
    const json = await twinlock(['scan', 'fd00::/120', '--dry-run', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ count: 255, ports: [22, 5985, 5986, 445, 3389] });
  });

  it('names a bad token with an example, and a range that is too large', async () => {
    const bad = await twinlock(['scan', '10.0.0.0/24', '10.0.0.300', '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('“10.0.0.300” is not an IPv4 address');
    expect(bad.stderr).toMatch(/e\.g\. 10\.0\.0\.21/);
    const large = await twinlock(['scan', '10.0.0.0/8', '--dry-run']);
    expect(large.code).toBe(1);
    expect(large.stderr).toContain('16,777,214 addresses');
  });
});
