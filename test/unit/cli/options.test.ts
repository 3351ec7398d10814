/** The command line's option parsers: what each takes, and the invalid-input error for the rest. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import { ConnectRequestSchema } from '../../../engine/api/models';
import { CONNECT_TIMEOUT_MS } from '../../../cli/connection';
import type { ReplayOptions } from '../../../cli/options';
import {
  addClusterReplayOptions,
  addCloudWitnessKeyOption,
  addReplayOptions,
  checkFingerprint,
  checkedText,
  parseLevel,
  parseLinkAddress,
  parseReportFile,
  readCloudWitnessKey,
  replayValuesOf,
  requireCloudWitnessKey,
  reportFormatOf,
  tcpPort,
  wholeNumber,
} from '../../../cli/options';

function refusal(fn: () => unknown): TwinlockError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TwinlockError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('cli option parsers', () => {
  it('takes --link-address LOCAL-REMOTE[/PREFIX] and refuses anything else, naming the flag', () => {
    expect(parseLinkAddress('10.20.1.21-10.20.1.22/30')).toEqual({
      localAddress: '10.20.1.21',
      remoteAddress: '10.20.1.22',
      prefixLength: 30,
    });
    expect(parseLinkAddress('10.20.1.21-10.20.1.22')).toEqual({
      localAddress: '10.20.1.21',
      remoteAddress: '10.20.1.22',
    });
    expect(parseLinkAddress('fd00::1-fd00::2/126')).toEqual({
      localAddress: 'fd00::1',
      remoteAddress: 'fd00::2',
      prefixLength: 126,
    });
    for (const bad of [
      '10.20.1.21',
      '10.20.1.21-',
      '10.20.1.21-10.20.1.300',
      '10.20.1.21-10.20.1.22/33',
      'a-b',
      ' 10.0.0.1-10.0.0.2',
      '10.0.0.1-10.0.0.2/0',
    ]) {
      const err = refusal(() => parseLinkAddress(bad));
      expect(err.code, bad).toBe('invalid-input');
      expect(err.message, bad).toContain('--link-address');
      expect(err.hint, bad).toContain('10.20.1.21-10.20.1.22/30');
      expect(err.detail).toEqual({ field: 'link-address' });
    }
    expect(
      replayValuesOf({
        vm: ['SQL01'],
        linkAddress: [{ localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' }],
      }),
    ).toEqual({ vms: ['SQL01'], linkAddresses: [{ localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' }] });
    expect(replayValuesOf({})).toEqual({});
  });

  it('takes --no-vms as a pair that protects no VMs, not the bundle’s, and refuses it with --vm', () => {
    const parsed = (...argv: string[]) =>
      addReplayOptions(new Command().exitOverride()).parse(argv, { from: 'user' }).opts<ReplayOptions>();
    expect(replayValuesOf(parsed('--no-vms'))).toEqual({ vms: [] });
    expect(replayValuesOf(parsed())).toEqual({});
    expect(replayValuesOf(parsed('--vm', 'SQL01', '--vm', 'WEB01'))).toEqual({ vms: ['SQL01', 'WEB01'] });
    const err = refusal(() => replayValuesOf(parsed('--vm', 'SQL01', '--no-vms')));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toContain('--no-vms and --vm "SQL01"');
    expect(err.detail).toEqual({ field: 'vms' });
  });

  it('takes --cluster-name and --cluster-address as this pair’s cluster, and refuses a malformed one naming the flag', () => {
    const parsed = (...argv: string[]) =>
      addReplayOptions(new Command().exitOverride()).parse(argv, { from: 'user' }).opts<ReplayOptions>();
    expect(replayValuesOf(parsed('--cluster-name', 'PAIR02-CL', '--cluster-address', '10.0.0.51'))).toEqual({
      clusterName: 'PAIR02-CL',
      clusterAddress: '10.0.0.51',
    });
    const name = refusal(() => parsed('--cluster-name', 'PAIR-02-CLUSTER-NAME'));
    expect(name.message).toBe(
      '--cluster-name “PAIR-02-CLUSTER-NAME” is not valid: A cluster name is a computer name: 1 to 15 letters, digits or dashes, not all digits and not starting or ending with a dash, for example PAIR01-CL.',
    );
    expect(name.detail).toEqual({ field: 'cluster-name' });
    const address = refusal(() => parsed('--cluster-address', '10.0.0.300'));
    expect(address.message).toBe(
      '--cluster-address “10.0.0.300” is not valid: it takes the cluster’s static IPv4 address on the business network.',
    );
    expect(address.hint).toBe('For example --cluster-address 10.0.0.51.');
  });

  it('adds the cluster options once, when a verb’s pair choices define them already', () => {
    const command = new Command().option('--cluster-name <name>', 'a new pair’s cluster');
    addClusterReplayOptions(command);
    expect(command.options.filter((o) => o.long === '--cluster-name')).toHaveLength(1);
    expect(command.options.filter((o) => o.long === '--cluster-address')).toHaveLength(1);
  });

  it('reads a cloud witness key from the variable --cloud-witness-key-env names, never the flag’s value', () => {
    const parsed = (...argv: string[]) =>
      addCloudWitnessKeyOption(new Command().exitOverride())
        .parse(argv, { from: 'user' })
        .opts<{ cloudWitnessKeyEnv?: string }>();
    process.env.TL_TEST_CLOUD_KEY = 'a2V5LWZvci10ZXN0cw==';
    try {
      expect(readCloudWitnessKey(parsed('--cloud-witness-key-env', 'TL_TEST_CLOUD_KEY'))).toBe(
        'a2V5LWZvci10ZXN0cw==',
      );
    } finally {
      delete process.env.TL_TEST_CLOUD_KEY;
    }
    expect(readCloudWitnessKey(parsed())).toBeUndefined();
    // Without the flag, the variable `twinlock pair` reads too.
    process.env.TWINLOCK_CLOUD_WITNESS_KEY = 'ZGVmYXVsdC1rZXk=';
    try {
      expect(readCloudWitnessKey(parsed())).toBe('ZGVmYXVsdC1rZXk=');
    } finally {
      delete process.env.TWINLOCK_CLOUD_WITNESS_KEY;
    }
    const unset = refusal(() => readCloudWitnessKey(parsed('--cloud-witness-key-env', 'TL_TEST_CLOUD_KEY')));
    expect(unset.message).toBe(
      '--cloud-witness-key-env: the environment variable TL_TEST_CLOUD_KEY is not set.',
    );
    // The key itself given by mistake is refused as a name, and not repeated in full.
    const pasted = refusal(() => parsed('--cloud-witness-key-env', 'a2V5LWZvci10ZXN0cw=='));
    expect(pasted.message).toContain('it takes the name of an environment variable');
    const missing = refusal(() =>
      requireCloudWitnessKey({ kind: 'cloud', address: 'contosowitness' }, undefined, 'The bundle PAIR-01'),
    );
    expect(missing.message).toBe(
      'The bundle PAIR-01’s witness is the cloud witness contosowitness, and its access key was not given (a bundle never holds it).',
    );
    expect(missing.hint).toBe(
      'Set TWINLOCK_CLOUD_WITNESS_KEY to the storage account’s access key, or put it in another variable and name it with --cloud-witness-key-env NAME.',
    );
    expect(() =>
      requireCloudWitnessKey({ kind: 'file-share', address: '\\\\files\\w' }, undefined, 'x'),
    ).not.toThrow();
  });

  it('takes the protection levels 1, 2 and 3 only', () => {
    expect([parseLevel('1'), parseLevel('2'), parseLevel('3')]).toEqual([1, 2, 3]);
    for (const bad of ['0', '4', '7', 'x', '', ' 3', '3.0', '03']) {
      const err = refusal(() => parseLevel(bad));
      expect(err.code).toBe('invalid-input');
      expect(err.message).toBe(`--level “${bad}” is not valid: it takes a protection level: 1, 2 or 3.`);
      expect(err.hint).toBe('For example --level 3.');
      expect(err.detail).toEqual({ field: 'level' });
    }
  });

  it('takes whole numbers in range, and nothing that merely looks like one', () => {
    const parse = wholeNumber('--timeout', { min: 500, unit: 'milliseconds' }, '15000');
    expect(parse('500')).toBe(500);
    expect(parse('15000')).toBe(15000);
    for (const bad of ['499', '0', '-1', ' 600', '1e3', '0x1f4', '1.5', 'x', '', '99999999999999999999']) {
      const err = refusal(() => parse(bad));
      expect(err.message).toContain('--timeout');
      expect(err.message).toContain('a whole number of milliseconds, at least 500');
    }
    const bounded = wholeNumber('--hosts', { min: 1, max: 16 }, '2');
    expect(bounded('16')).toBe(16);
    expect(refusal(() => bounded('17')).message).toContain('a whole number from 1 to 16');
  });

  it('takes TCP ports, and 0 only where it means any free port', () => {
    expect(tcpPort('--port', '2222')('65535')).toBe(65535);
    expect(refusal(() => tcpPort('--port', '2222')('0')).message).toContain('a TCP port from 1 to 65535.');
    expect(tcpPort('--port', '8080', true)('0')).toBe(0);
    expect(refusal(() => tcpPort('--port', '8080', true)('65536')).message).toContain(
      'a TCP port from 1 to 65535, or 0 for any free port',
    );
  });

  it('keeps the text as typed when only checking it', () => {
    const check = checkedText(tcpPort('--port', '8080', true));
    expect(check('8080')).toBe('8080');
    expect(() => check('http')).toThrow(TwinlockError);
  });

  it('takes a host-key fingerprint in the form OpenSSH prints it', () => {
    const good = `SHA256:${'A'.repeat(43)}`;
    expect(checkFingerprint(good)).toBe(good);
    for (const bad of [`${good}=`, good.toLowerCase(), 'SHA256:short', ''])
      expect(refusal(() => checkFingerprint(bad)).detail).toEqual({ field: 'fingerprint' });
  });

  it('takes a report file by its extension', () => {
    expect(['a.json', 'a.HTML', 'a.htm', 'a.pdf'].map(reportFormatOf)).toEqual([
      'json',
      'html',
      'html',
      'pdf',
    ]);
    expect(reportFormatOf('a.docx')).toBeNull();
    expect(parseReportFile('r.html')).toBe('r.html');
    expect(refusal(() => parseReportFile('r.docx')).message).toBe(
      '--report “r.docx” is not valid: it takes a file name ending .json, .html or .pdf.',
    );
  });

  it('bounds --timeout as the contract bounds a connection’s timeout', () => {
    const connect = (timeoutMs: number) =>
      ConnectRequestSchema.safeParse({
        address: 'srv-a',
        port: 22,
        username: 'Administrator',
        password: 'x',
        timeoutMs,
      }).success;
    const { min, max } = CONNECT_TIMEOUT_MS;
    expect([connect(min), connect(max), connect(min - 1), connect(max + 1)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
