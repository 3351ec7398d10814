/**
 * On a real Windows Server (the hosted runner of .github/workflows/windows.yml): runs every
 * read-only remote script unshimmed under Windows PowerShell 5.1, exactly as the engine frames it
 * (powershell.exe -NoProfile -NonInteractive -EncodedCommand <bootstrap>, parameters and script on
 * stdin), and reads each answer with the engine's own parsers. Then the fixes that are safe on a
 * throwaway server, each followed by its undo. Exits 1 on the first script whose answer the
 * engine cannot read.
 *
 *   npx tsx test/windows/run-scripts.ts read-only
 *   npx tsx test/windows/run-scripts.ts safe-fixes
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentStateSchema, PackageCheckSchema, parseScriptResult } from '../../engine/agent/script-results';
import { inventorySectionErrors, parseIdentity, parseInventory } from '../../engine/inventory/parse';
import {
  buildStdin,
  encodeCommand,
  parseScriptOutput,
  stripBom,
} from '../../engine/remote/powershell-runner';
import { REMOTE_PATHS } from '../../engine/remote/scripts';
import type { ScriptName, ScriptParams } from '../../engine/remote/scripts';
import { READ_ONLY_RUNS } from './read-only';
import { VmStateAnswerSchema } from '../../engine/pair/vm-watch';
import { ClusterPrereqsResultSchema } from '../../engine/api/models/cluster';

const RESOURCES = join(import.meta.dirname, '..', '..', 'resources');
const read = (file: string): string => stripBom(readFileSync(join(RESOURCES, file), 'utf8'));

async function run<N extends ScriptName>(name: N, params: ScriptParams[N]): Promise<unknown> {
  const args = encodeCommand(read('bootstrap.ps1')).split(' ');
  const started = Date.now();
  const output = await new Promise<{ stdout: string; stderr: string; exitCode: number | null }>(
    (resolve, reject) => {
      const child = spawn(args[0]!, args.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ stdout, stderr, exitCode }));
      child.stdin.end(buildStdin(params, read(`scripts/${name}.ps1`)), 'utf8');
    },
  );
  const data = parseScriptOutput(name, output);
  console.log(`${name}: answered in ${Date.now() - started} ms`);
  return data;
}

function check(name: string, ok: boolean, what: string): void {
  if (!ok) throw new Error(`${name}: ${what}`);
}

async function readOnly(): Promise<void> {
  const rawIdentity = (await run('get-identity', READ_ONLY_RUNS['get-identity']!)) as { psVersion?: string };
  check(
    'get-identity',
    /^5\.1\./.test(rawIdentity.psVersion ?? ''),
    `not Windows PowerShell 5.1: ${rawIdentity.psVersion}`,
  );
  const identity = parseIdentity(rawIdentity);
  check(
    'get-identity',
    identity.isAdmin,
    `the account is not an elevated administrator: ${JSON.stringify(identity)}`,
  );
  console.log(`  ${identity.computerName}, ${identity.osCaption} build ${identity.osBuild}`);

  const raw = await run('get-inventory', READ_ONLY_RUNS['get-inventory']!);
  const errors = inventorySectionErrors(raw);
  // A hosted runner has no Hyper-V module (no Get-VM): every other section must read.
  check('get-inventory', Object.keys(errors).length === 0, `sections failed: ${JSON.stringify(errors)}`);
  const inventory = parseInventory(raw);
  console.log(
    `  ${inventory.processor.sockets} socket(s), ${inventory.nics.length} adapter(s), ${inventory.disks.length} disk(s)`,
  );

  const state = parseScriptResult(
    'get-agent-state',
    AgentStateSchema,
    await run('get-agent-state', READ_ONLY_RUNS['get-agent-state']!),
    'runner',
  );
  check(
    'get-agent-state',
    state.product == null && state.service == null,
    'the agent is not installed on a fresh runner',
  );

  const vmState = VmStateAnswerSchema.parse(await run('get-vm-state', READ_ONLY_RUNS['get-vm-state']!));
  check(
    'get-vm-state',
    vmState.vms.length === 1 && vmState.vms[0]!.found === false,
    `no VM of that name on a runner: ${JSON.stringify(vmState)}`,
  );

  const pkg = parseScriptResult(
    'test-agent-package',
    PackageCheckSchema,
    await run('test-agent-package', READ_ONLY_RUNS['test-agent-package']!),
    'runner',
  );
  check(
    'test-agent-package',
    pkg.exists && pkg.signatureStatus === 'Valid' && /^[0-9a-f]{64}$/.test(pkg.sha256 ?? ''),
    JSON.stringify(pkg),
  );
  check(
    'test-agent-package',
    !pkg.signerTrusted && /^[0-9A-F]{40}$/.test(pkg.signerThumbprint ?? ''),
    `a signer other than the pinned one is trusted: ${JSON.stringify(pkg)}`,
  );
  console.log(`  notepad.exe signed by ${pkg.signerSubject}`);
  // Pinned to the signer it reports (in lower case: the script compares as PowerShell's -eq does), it is trusted.
  const pinned = parseScriptResult(
    'test-agent-package',
    PackageCheckSchema,
    await run('test-agent-package', {
      ...READ_ONLY_RUNS['test-agent-package']!,
      trustedThumbprint: (pkg.signerThumbprint ?? '').toLowerCase(),
    }),
    'runner',
  );
  check(
    'test-agent-package',
    pinned.signerTrusted,
    `the pinned signer is not trusted: ${JSON.stringify(pinned)}`,
  );

  const witness = (await run('test-witness', READ_ONLY_RUNS['test-witness']!)) as Record<string, unknown>;
  check(
    'test-witness',
    witness.reached === true,
    `sshd on 127.0.0.1:22 not reached: ${JSON.stringify(witness)}`,
  );
  const closed = (await run('test-witness', { ...READ_ONLY_RUNS['test-witness']!, port: 1 })) as Record<
    string,
    unknown
  >;
  check('test-witness', closed.reached === false && closed.error === 'Refused', JSON.stringify(closed));
  // The runner's temp folder stands in for a share: written, read back, deleted.
  const folder = (await run('test-witness', {
    kind: 'file-share',
    address: process.env.RUNNER_TEMP ?? 'C:\\Windows\\Temp',
    port: null,
    timeoutMs: 3000,
    probeId: 'workflow',
  })) as Record<string, unknown>;
  check('test-witness', folder.reached === true && Number(folder.bytes) > 0, JSON.stringify(folder));

  const record = (await run('get-link-addresses', READ_ONLY_RUNS['get-link-addresses']!)) as Record<
    string,
    unknown
  >;
  check(
    'get-link-addresses',
    record.path === 'C:\\ProgramData\\Twinlock\\link-addresses.json' &&
      (record.addresses === null || (Array.isArray(record.addresses) && record.addresses.length === 0)),
    `a fresh runner has no link address Twinlock added: ${JSON.stringify(record)}`,
  );

  const prereqs = ClusterPrereqsResultSchema.parse(
    await run('test-cluster-prereqs', READ_ONLY_RUNS['test-cluster-prereqs']!),
  );
  check(
    'test-cluster-prereqs',
    prereqs.featureAvailable && prereqs.directory.clusterObject === 'not-checked' && !prereqs.address.inUse,
    `Failover Clustering is available on Windows Server, and nothing was asked of the directory or the network: ${JSON.stringify(prereqs)}`,
  );
  console.log(
    `  ${prereqs.partOfDomain ? `domain ${prereqs.domain}` : `workgroup ${prereqs.domain}`}, ${prereqs.storage.sharedDisks.length} shared disk(s), ${prereqs.storage.poolableDisks} poolable`,
  );
}

async function safeFixes(): Promise<void> {
  const before = parseInventory(await run('get-inventory', {}));
  const originalPlan = before.powerPlan.guid;
  check(
    'get-inventory',
    /^[0-9a-f-]{36}$/.test(originalPlan),
    `no active power plan: ${JSON.stringify(before.powerPlan)}`,
  );

  await run('fix-open-firewall-ports', { group: REMOTE_PATHS.firewallGroup, ports: [7440, 7441] });
  const opened = parseScriptResult(
    'get-agent-state',
    AgentStateSchema,
    await run('get-agent-state', READ_ONLY_RUNS['get-agent-state']!),
    'runner',
  );
  check('fix-open-firewall-ports', opened.firewallRules.length === 2, JSON.stringify(opened.firewallRules));
  // Undo: the agent's rule group removed, as a rollback removes it.
  await run('remove-agent-package', { paths: [], firewallGroup: REMOTE_PATHS.firewallGroup });
  const closed = parseScriptResult(
    'get-agent-state',
    AgentStateSchema,
    await run('get-agent-state', READ_ONLY_RUNS['get-agent-state']!),
    'runner',
  );
  check('remove-agent-package', closed.firewallRules.length === 0, JSON.stringify(closed.firewallRules));

  await run('fix-power-plan', { guid: '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c' });
  check(
    'fix-power-plan',
    parseInventory(await run('get-inventory', {})).powerPlan.name === 'High performance',
    'High performance is not active',
  );
  // Undo: the plan that was active before.
  await run('fix-power-plan', { guid: originalPlan });
  check(
    'fix-power-plan',
    parseInventory(await run('get-inventory', {})).powerPlan.guid === originalPlan,
    'the original plan is not back',
  );
}

const what = process.argv[2];
const job = what === 'read-only' ? readOnly : what === 'safe-fixes' ? safeFixes : null;
if (!job) {
  console.error('usage: run-scripts.ts read-only|safe-fixes');
  process.exit(2);
}
job().then(
  () => console.log(`${what}: every answer read by the engine`),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
