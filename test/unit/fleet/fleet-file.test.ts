/** Fleet files: YAML and CSV read into pairs; every problem reported at once with its file, line, field and fix. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import { parseFleetText, readFleet } from '../../../engine/fleet/fleet-file';

const FP = `SHA256:${'A'.repeat(43)}`;
const where = { name: '/fleets/site.yaml', baseDir: '/fleets' };

function problems(text: string, format: 'yaml' | 'csv' = 'yaml') {
  try {
    parseFleetText(text, format, where);
  } catch (err) {
    expect(err).toBeInstanceOf(TwinlockError);
    const e = err as TwinlockError;
    expect(e.code).toBe('invalid-input');
    return (e.detail?.issues ?? []) as Array<{ field: string; message: string; line?: number }>;
  }
  throw new Error('the fleet file was accepted');
}

describe('a YAML fleet file', () => {
  it('reads the bundle (relative to the file), the user and each pair with its values and line', () => {
    const fleet = parseFleetText(
      `bundle: ./PAIR-01.twinlock.json
user: Administrator
pairs:
  - name: SITE1-PAIR
    primary: 10.0.1.21
    secondary: 10.0.1.22:2222
    fingerprints: { primary: "${FP}" }
    vms: [SQL01, WEB01]
    links:
      - { local: 172.30.0.1, remote: 172.30.0.2, prefix: 30 }
  - name: SITE2-PAIR
    primary: "[fd00::21]:22"
    secondary: srv-b.example.com
`,
      'yaml',
      where,
    );
    expect(fleet).toEqual({
      source: '/fleets/site.yaml',
      bundle: '/fleets/PAIR-01.twinlock.json',
      user: 'Administrator',
      pairs: [
        {
          name: 'SITE1-PAIR',
          primary: { address: '10.0.1.21', port: 22, fingerprint: FP },
          secondary: { address: '10.0.1.22', port: 2222 },
          vms: ['SQL01', 'WEB01'],
          linkAddresses: [{ localAddress: '172.30.0.1', remoteAddress: '172.30.0.2', prefixLength: 30 }],
          line: 4,
        },
        {
          name: 'SITE2-PAIR',
          primary: { address: 'fd00::21', port: 22 },
          secondary: { address: 'srv-b.example.com', port: 22 },
          line: 11,
        },
      ],
    });
  });

  it('reports every problem at once, each with its line, field and fix', () => {
    const issues = problems(`bundle: ./b.twinlock.json
pairs:
  - name: SITE1-PAIR
    primary: 10.0.1.21
    secundary: 10.0.1.22
  - name: SITE Ü
    primary: 10.0.1.31:70000
    secondary: "bad/x"
  - name: SITE1-PAIR
    primary: 10.0.1.21
    secondary: 10.0.1.42
    vms: [SQL01, SQL01]
    links:
      - { local: 172.30.0.999, remote: 172.30.0.2, prefix: 40 }
`);
    const by = (field: string) => issues.filter((i) => i.field === field);
    expect(by('pairs[0].secundary')[0]).toMatchObject({ line: 5 });
    expect(by('pairs[0].secundary')[0]!.message).toMatch(
      /site\.yaml line 5: unknown key “secundary”\. Did you mean secondary\?/,
    );
    expect(by('pairs[0].secondary')[0]!.message).toMatch(/no secondary: add secondary: HOST/);
    expect(by('pairs[1].name')[0]!.message).toMatch(
      /line 6: name “SITE Ü”: a space .* cannot be in a pair name/,
    );
    expect(by('pairs[1].primary')[0]!.message).toMatch(
      /line 7: primary “10\.0\.1\.31:70000”: the port “70000” is not one: A TCP port is a whole number from 1 to 65535/,
    );
    expect(by('pairs[1].secondary')[0]!.message).toMatch(/line 8: .*no slashes/);
    expect(by('pairs[2].vms')[0]!.message).toMatch(/line 12: VM “SQL01” is listed twice/);
    expect(by('pairs[2].links[0].local')[0]!.message).toMatch(
      /line 14: link 1’s local address “172\.30\.0\.999”: Use an IP address/,
    );
    expect(by('pairs[2].links[0].prefix')[0]!.message).toMatch(/from 1 to 32/);
    // Sorted by line, so the admin reads them top to bottom.
    const lines = issues.map((i) => i.line ?? 0);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('refuses a pair name used twice and a server in two pairs', () => {
    const issues = problems(`pairs:
  - { name: P1, primary: 10.0.0.1, secondary: 10.0.0.2 }
  - { name: p1, primary: 10.0.0.3, secondary: 10.0.0.4 }
  - { name: P3, primary: 10.0.0.5, secondary: "10.0.0.2:22" }
  - { name: P4, primary: 10.0.0.7, secondary: 10.0.0.7 }
`);
    expect(issues.map((i) => [i.field, i.line])).toEqual([
      ['pairs[1].name', 3],
      ['pairs[2].secondary', 4],
      ['pairs[3].secondary', 5],
    ]);
    expect(issues[0]!.message).toMatch(/“p1” is already used by the pair on line 2/);
    expect(issues[1]!.message).toMatch(
      /10\.0\.0\.2:22 is already the secondary of P1 \(line 2\): a server belongs to one pair/,
    );
    expect(issues[2]!.message).toMatch(/same server/);
  });

  it('refuses an empty file, a file without pairs, bad YAML and a bad fingerprint', () => {
    expect(problems('   \n')[0]!.message).toMatch(/The fleet file is empty/);
    expect(problems('bundle: ./b.json\n')[0]!.message).toMatch(/lists no pairs/);
    expect(problems('pairs:\n  - name: [unclosed\n')[0]).toMatchObject({ field: '(file)' });
    expect(problems('pairs: []\nuser: ""\n').map((i) => i.field)).toEqual(['pairs', 'user']);
    const fp = problems(
      'pairs:\n  - name: P\n    primary: a\n    secondary: b\n    fingerprints: { primary: nope, tertiary: x }\n',
    );
    expect(fp.map((i) => i.field).sort()).toEqual([
      'pairs[0].fingerprints.primary',
      'pairs[0].fingerprints.tertiary',
    ]);
    expect(fp.find((i) => i.field.endsWith('primary'))!.message).toMatch(/SHA256:/);
  });

  it('names the file and the count in the error message', () => {
    try {
      parseFleetText('pairs:\n  - { name: P, primary: a }\n  - { name: Q, secondary: b }\n', 'yaml', where);
      expect.unreachable();
    } catch (err) {
      const e = err as TwinlockError;
      expect(e.message).toMatch(
        /The fleet file has 2 problems:\n {2}site\.yaml line 2: .*\n {2}site\.yaml line 3: /,
      );
      expect(e.hint).toMatch(/Correct each line named in site\.yaml/);
    }
  });
});

describe('a pair’s VMs', () => {
  it('are none for vms: [] in YAML, the bundle’s when vms: is absent or a CSV cell is empty', () => {
    const yaml = parseFleetText(
      `pairs:
  - name: NONE
    primary: 10.0.1.21
    secondary: 10.0.1.22
    vms: []
  - name: BUNDLES
    primary: 10.0.2.21
    secondary: 10.0.2.22
`,
      'yaml',
      where,
    );
    expect(yaml.pairs[0]!.vms).toEqual([]);
    expect(yaml.pairs[1]).not.toHaveProperty('vms');
    const csv = parseFleetText('name,primary,secondary,vms,links\nP1,10.0.1.21,10.0.1.22,,\n', 'csv', {
      name: '/fleets/site.csv',
      baseDir: '/fleets',
    });
    expect(csv.pairs[0]).not.toHaveProperty('vms');
  });
});

describe('a CSV fleet file', () => {
  it('reads each row, VMs and links separated by ;, with no bundle', () => {
    const fleet = parseFleetText(
      `name,primary,secondary,vms,links
SITE1-PAIR,10.0.1.21,10.0.1.22:2222,SQL01;WEB01,172.30.0.1-172.30.0.2/30;172.30.1.1-172.30.1.2/30
# a comment
SITE2-PAIR,10.0.2.21,10.0.2.22,,
`,
      'csv',
      { name: '/fleets/site.csv', baseDir: '/fleets' },
    );
    expect(fleet.bundle).toBeNull();
    expect(fleet.pairs).toEqual([
      {
        name: 'SITE1-PAIR',
        primary: { address: '10.0.1.21', port: 22 },
        secondary: { address: '10.0.1.22', port: 2222 },
        vms: ['SQL01', 'WEB01'],
        linkAddresses: [
          { localAddress: '172.30.0.1', remoteAddress: '172.30.0.2', prefixLength: 30 },
          { localAddress: '172.30.1.1', remoteAddress: '172.30.1.2', prefixLength: 30 },
        ],
        line: 2,
      },
      {
        name: 'SITE2-PAIR',
        primary: { address: '10.0.2.21', port: 22 },
        secondary: { address: '10.0.2.22', port: 22 },
        line: 4,
      },
    ]);
  });

  it('reports a misspelt column, bad cells and duplicates with their lines', () => {
    expect(problems('name,primary,secundary\nP,a,b\n', 'csv')).toEqual([
      expect.objectContaining({
        field: 'secundary',
        line: 1,
        message: expect.stringMatching(/unknown column “secundary”\. Did you mean secondary\?/),
      }),
      expect.objectContaining({ field: 'secondary', line: 1 }),
    ]);
    const issues = problems(
      'name,primary,secondary,vms,links\nP1,10.0.0.1,10.0.0.2:0,,\nP1,10.0.0.3,10.0.0.4,,172.30.0.1/30\n',
      'csv',
    );
    expect(issues.map((i) => [i.field, i.line])).toEqual([
      ['secondary', 2],
      ['links', 3],
    ]);
    expect(issues[1]!.message).toMatch(/write LOCAL-REMOTE\/PREFIX/);
    expect(problems('', 'csv')[0]!.message).toMatch(/empty/);
    expect(problems('name,primary,secondary\n', 'csv')[0]!.message).toMatch(/lists no pairs/);
  });
});

describe('readFleet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinlock-fleet-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads by extension and refuses other files', async () => {
    writeFileSync(
      join(dir, 'f.yml'),
      'bundle: b.twinlock.json\npairs:\n  - { name: P, primary: a, secondary: b }\n',
    );
    const fleet = await readFleet({ path: join(dir, 'f.yml') });
    expect(fleet.bundle).toBe(join(dir, 'b.twinlock.json'));
    await expect(readFleet({ path: join(dir, 'f.txt') })).rejects.toMatchObject({
      code: 'invalid-input',
      message: /\.yaml, \.yml or \.csv/,
    });
    await expect(readFleet({ path: join(dir, 'none.yaml') })).rejects.toMatchObject({
      message: /does not exist/,
    });
  });
});
