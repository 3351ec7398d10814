/**
 * .github/workflows/windows.yml cannot run on these machines (it needs a Windows Server runner):
 * check that it is valid YAML of the right shape, and that it runs every read-only script.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCRIPT_NAMES } from '../../../engine/remote/scripts';
import { READ_ONLY_RUNS } from '../../windows/read-only';

const file = join(import.meta.dirname, '../../../.github/workflows/windows.yml');
const text = readFileSync(file, 'utf8');

/** Scripts that change a server, and why the workflow does or does not run them on a throwaway runner. */
const CHANGING: Record<string, string> = {
  'fix-open-firewall-ports': 'run, undone by remove-agent-package',
  'remove-agent-package': 'run as the firewall fix’s undo',
  'fix-power-plan': 'run there and back',
  'fix-install-feature': 'Hyper-V needs nested virtualization and a restart',
  'fix-install-hotfix': 'installs an update and wants a restart',
  'fix-resync-time': 'changes the runner’s time configuration',
  'install-agent': 'needs the real agent MSI',
  'uninstall-agent': 'needs the real agent MSI',
  'invoke-twinlockctl': 'needs an installed agent',
  'restart-host': 'restarts the runner',
  'measure-link':
    'adds a link address for the measurement and needs a second server (test/powershell/measure-link.test.ts runs both ends)',
  'set-link-address': 'needs a spare adapter: a hosted runner has only the one that carries its network',
  'remove-link-address': 'undoes set-link-address, on a spare adapter a hosted runner does not have',
  'new-cluster': 'needs two servers with Failover Clustering in one domain',
  'set-cluster-quorum': 'needs a cluster (new-cluster)',
  'add-cluster-vm-role': 'needs a cluster and a Hyper-V VM',
  'remove-cluster-vm-role': 'undoes add-cluster-vm-role, on a cluster a hosted runner is not a node of',
  'wait-cluster-roles': 'needs a cluster (new-cluster)',
  'remove-cluster': 'destroys a cluster (undoes new-cluster)',
  'install-cluster-feature': 'enables Failover Clustering on the runner',
  'uninstall-cluster-feature': 'removes Failover Clustering and wants a restart',
};

describe('.github/workflows/windows.yml', () => {
  const doc = parse(text, { prettyErrors: true, strict: true, uniqueKeys: true }) as any;
  const steps: Array<{ name?: string; run?: string; shell?: string; uses?: string }> =
    doc.jobs['scripts-on-windows-server'].steps;
  const runs = steps.map((s) => s.run ?? '').join('\n');

  it('is a workflow for a hosted Windows Server runner', () => {
    expect(doc.name).toBe('windows');
    expect(doc.on).toHaveProperty('push');
    expect(doc.jobs['scripts-on-windows-server']['runs-on']).toMatch(/^windows-20\d\d$/);
    for (const s of steps)
      expect(Boolean(s.uses) !== Boolean(s.run), `step ${s.name}: uses or run, not both`).toBe(true);
  });

  it('enables and starts sshd, then logs on with a password and with a key', () => {
    expect(runs).toMatch(/Add-WindowsCapability -Online/);
    expect(runs).toMatch(/Start-Service -Name sshd/);
    expect(runs).toMatch(/npx twinlock inventory 127\.0\.0\.1:22 --user twinlock --trust-new/);
    expect(runs).toMatch(
      /npx twinlock inventory 127\.0\.0\.1:22 --user twinlock --identity "\$TWINLOCK_KEY"/,
    );
    expect(runs).toMatch(/npx twinlock verify 127\.0\.0\.1:22 localhost:22 --user twinlock --trust-new/);
    expect(runs).toMatch(
      /npx twinlock verify 127\.0\.0\.1:22 localhost:22 --user twinlock --identity "\$TWINLOCK_KEY"/,
    );
    expect(runs).toMatch(/administrators_authorized_keys/);
  });

  it('runs every read-only script under Windows PowerShell 5.1, and the safe fixes with their undo', () => {
    expect(runs).toMatch(/npx tsx test\/windows\/run-scripts\.ts read-only/);
    expect(runs).toMatch(/npx tsx test\/windows\/run-scripts\.ts safe-fixes/);
    for (const name of Object.keys(READ_ONLY_RUNS))
      expect(text, `the workflow names ${name}`).toContain(name);
    for (const name of ['fix-open-firewall-ports', 'fix-power-plan', 'remove-agent-package'])
      expect(text).toContain(name);
  });

  it('every script is either read-only (run on Windows) or says why it changes the server', () => {
    const classified = [...Object.keys(READ_ONLY_RUNS), ...Object.keys(CHANGING)].sort();
    expect(classified).toEqual([...SCRIPT_NAMES].sort());
  });
});
