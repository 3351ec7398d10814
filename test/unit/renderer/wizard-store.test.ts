import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { setApiClient } from '../../../renderer/src/api/client';
import { useDiscoveryStore } from '../../../renderer/src/stores/discovery';
import { usePairStore } from '../../../renderer/src/stores/pair';
import { useWizardStore } from '../../../renderer/src/stores/wizard';
import { fakeClient } from './fake-client';

describe('wizard gating', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setApiClient(fakeClient({}));
  });

  it('goes past Discover only with exactly two servers picked', () => {
    const wizard = useWizardStore();
    const discovery = useDiscoveryStore();
    expect(wizard.canNext).toBe(false);
    expect(wizard.blockedBecause).toMatch(/0 of 2/);
    discovery.addHost('10.0.0.21');
    discovery.addHost('10.0.0.22');
    expect(discovery.addHost('10.0.0.23')).toBeNull();
    expect(discovery.selected).toEqual(['10.0.0.21:22', '10.0.0.22:22']);
    expect(wizard.canNext).toBe(true);
    wizard.next();
    expect(wizard.step.id).toBe('connect');
    expect(wizard.canNext).toBe(false);
    wizard.back();
    expect(wizard.step.id).toBe('discover');
  });

  it('refuses a malformed address with a sentence', () => {
    const discovery = useDiscoveryStore();
    expect(discovery.addHost('')).toMatch(/Enter the server/);
    expect(discovery.addHost('evil host; rm')).toMatch(/no spaces/);
    expect(discovery.addHost(' 10.0.0.24')).toMatch(/no spaces/);
    expect(discovery.addHost('srv-a', 70000)).toMatch(/“70000” is not an SSH port/);
    expect(discovery.addHost('srv-a', '0')).toMatch(/“0” is not an SSH port/);
    expect(discovery.addHost('srv-a', '22x')).toMatch(/“22x” is not an SSH port/);
    expect(discovery.addHost('srv-a', ' ')).toMatch(/Enter the SSH port/);
    // Nothing refused was added, and nothing was clamped into range.
    expect(discovery.hosts).toEqual([]);
    expect(discovery.addHost('srv-a', '2222')).toBeNull();
    expect(discovery.hosts.map((h) => `${h.address}:${h.port}`)).toEqual(['srv-a:2222']);
  });
});

describe('pair configuration', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setApiClient(fakeClient({}));
  });

  it('needs a valid name, a link, and a witness or an explicit acceptance of none', () => {
    const pair = usePairStore();
    pair.name = '-bad name';
    pair.witnessMode = 'host';
    expect(pair.problems).toEqual([
      '“-” (U+002D) cannot be in a pair name. Use the letters A–Z (without accents), digits, dot, dash or underscore, starting with a letter or digit.',
      'At least one sync link is needed.',
      'Enter the witness server’s name or address.',
    ]);
    pair.name = 'PAIR-01';
    pair.links = [{ localNic: 'S1', remoteNic: 'S1', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' }];
    pair.witnessMode = 'none';
    expect(pair.problems).toEqual(['Confirm that you accept running without a witness, or choose one.']);
    pair.noWitnessAccepted = true;
    expect(pair.problems).toEqual([]);
  });

  it('refuses a space at either end of the name or the witness, as the engine does, instead of trimming it', () => {
    const pair = usePairStore();
    pair.links = [{ localNic: ' S1 ', remoteNic: 'S1', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2' }];
    pair.name = 'PAIR-01 ';
    pair.witnessMode = 'host';
    pair.witnessAddress = ' witness01';
    expect(pair.problems).toEqual([
      'The pair name starts or ends with a space: remove it.',
      'The witness address starts or ends with a space: remove it.',
    ]);
    pair.witnessAddress = '   ';
    expect(pair.problems).toContain('Enter the witness server’s name or address.');
  });

  it('keeps one witness address per kind', () => {
    const pair = usePairStore();
    pair.witnessMode = 'host';
    pair.witnessAddress = 'witness.contoso.local';
    pair.witnessMode = 'file-share';
    expect(pair.witnessAddress).toBe('');
    pair.witnessAddress = '\\\\files\\twinlock';
    pair.witnessMode = 'host';
    expect(pair.witnessAddress).toBe('witness.contoso.local');
  });
});
