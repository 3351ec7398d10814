/**
 * `twinlock bundle verify <file> [--json]`: checks a configuration bundle's signature, and that a
 * key this machine trusts made it, without reaching any server. An automation controller runs it
 * once before it touches a pair (the exported Ansible playbook's first play). Exit 0 when the bundle
 * can be replayed, 1 otherwise (`bundle-invalid`, `bundle-untrusted`, `not-found`).
 */
import type { Command } from 'commander';
import type { Witness } from '../../engine/api';
import { assertNever } from '../../engine/api/rules';
import type { JsonOption } from '../options';
import { EXIT, runVerb } from '../run';

/** A bundle's witness in words; a cloud witness is its storage account (its key is never in a bundle). */
function witnessText(w: Witness | null): string {
  if (w === null) return 'none';
  switch (w.kind) {
    case 'cloud':
      return `cloud witness, storage account ${w.address} (its access key is given at replay)`;
    case 'disk':
      return `disk witness ${w.address}`;
    case 'file-share':
      return `file share ${w.address}`;
    case 'host':
      return `witness server ${w.address}`;
    default:
      return assertNever(w.kind);
  }
}

export function registerBundleVerbs(program: Command): void {
  const bundle = program
    .command('bundle')
    .description('configuration bundles: check one before replaying it');

  bundle
    .command('verify')
    .description('check a bundle’s signature and that a trusted key signed it (no server is reached)')
    .argument('<file>', 'a .twinlock bundle exported by Twinlock')
    .option('--json', 'print JSON')
    .action((file: string, options: JsonOption) =>
      runVerb(options.json, 'checking the bundle', async (out, engine) => {
        const checked = await engine.api.readBundle({ path: file });
        const signer = (await engine.api.trustedKeys({})).find(
          (k) => k.publicKey === checked.signature.publicKey,
        );
        const result = {
          event: 'result',
          valid: true,
          path: file,
          pair: {
            name: checked.pair.name,
            level: checked.pair.level,
            vms: checked.pair.vms,
            links: checked.pair.links.length,
            witness: checked.pair.witness,
            // Level 1: the cluster of the pair it was exported from (a replay elsewhere gives its own).
            cluster: checked.pair.cluster ?? null,
          },
          agent: checked.agent,
          createdAt: checked.createdAt,
          signer: signer ? { fingerprint: signer.fingerprint, label: signer.label, own: signer.own } : null,
        };
        out.result(result, () =>
          [
            `${file}: signature valid, signed ${checked.createdAt} by ${signer ? `${signer.fingerprint}${signer.label ? ` (${signer.label})` : signer.own ? ' (this machine’s own key)' : ''}` : 'a trusted key'}.`,
            `Pair ${checked.pair.name} at Level ${checked.pair.level}, ${checked.pair.links.length} sync link(s), VMs: ${checked.pair.vms.join(', ') || 'none'}${checked.pair.level === 1 ? '' : `; agent ${checked.agent.version}`}.`,
            ...(checked.pair.cluster
              ? [
                  `Failover cluster ${checked.pair.cluster.name} at ${checked.pair.cluster.address} (the exporting pair’s: a replay on another pair gives its own with --cluster-name and --cluster-address).`,
                ]
              : []),
            `Witness: ${witnessText(checked.pair.witness)}.`,
          ].join('\n'),
        );
        return EXIT.ok;
      }),
    );
}
