/**
 * `twinlock keys`: whom this workstation trusts. Bundle signers (Ed25519 keys, by fingerprint)
 * with `list`, `trust`, `forget` and `export`; agent publishers (Authenticode certificates, by
 * thumbprint) with `publishers [list]`, `publishers trust` and `publishers forget`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { TwinlockError } from '../../engine/api/errors';
import { FINGERPRINT } from '../../engine/api/rules';
import type { JsonOption } from '../options';
import { table } from '../output';
import { EXIT, runVerb } from '../run';

/** A `.pub` file's text, with errors that name the file and never quote it. */
async function readPublicKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TwinlockError({
      code: missing ? 'not-found' : 'invalid-input',
      message: `The key file ${file} ${missing ? 'does not exist' : 'cannot be read'}.`,
      hint: 'Give the .pub file made by “twinlock keys export” on the other workstation, or a fingerprint with --from-bundle.',
      detail: { field: 'key', path: file },
    });
  }
}

export function registerKeyVerbs(program: Command): void {
  const keys = program
    .command('keys')
    .description('the bundle signers and agent publishers this workstation trusts');

  keys
    .command('list')
    .description('list trusted bundle signers (this workstation’s own key first)')
    .option('--json', 'print JSON')
    .action((options: JsonOption) =>
      runVerb(options.json, 'listing trusted keys', async (out, engine) => {
        const trusted = await engine.api.trustedKeys({});
        out.result(trusted, () =>
          table(
            ['Fingerprint', 'Label', 'Trusted'],
            trusted.map((k) => [k.fingerprint, k.label, k.own ? 'always (own key)' : k.addedAt.slice(0, 10)]),
          ),
        );
        return EXIT.ok;
      }),
    );

  keys
    .command('trust')
    .description('trust a bundle signer: its .pub file, or the fingerprint you compared with --from-bundle')
    .argument(
      '<key>',
      'a .pub file (twinlock keys export), or a SHA256:… fingerprint together with --from-bundle',
    )
    .option(
      '--from-bundle <file>',
      'take the public key from this bundle, whose signer must have that fingerprint',
    )
    .option('--label <text>', 'whose key it is (default: the .pub file’s label, or the bundle’s pair)')
    .option('--json', 'print JSON')
    .action((key: string, options: JsonOption & { fromBundle?: string; label?: string }) =>
      runVerb(options.json, 'trusting a key', async (out, engine) => {
        const label = options.label !== undefined ? { label: options.label } : {};
        let request;
        if (FINGERPRINT.test(key)) {
          if (options.fromBundle === undefined) {
            throw new TwinlockError({
              code: 'invalid-input',
              message: `key: a fingerprint alone cannot verify a bundle; Twinlock needs the public key it stands for.`,
              hint: `Add the bundle it signed: twinlock keys trust ${key} --from-bundle FILE, or give the signer’s .pub file (twinlock keys export on their workstation).`,
              detail: { field: 'key' },
            });
          }
          request = { path: options.fromBundle, fingerprint: key, ...label };
        } else if (key.startsWith('SHA256:')) {
          throw new TwinlockError({
            code: 'invalid-input',
            message:
              'key: this fingerprint is malformed; a fingerprint is SHA256: followed by 43 characters.',
            hint: 'Copy it exactly as Twinlock printed it, or give the .pub file instead.',
            detail: { field: 'key' },
          });
        } else {
          if (options.fromBundle !== undefined) {
            throw new TwinlockError({
              code: 'invalid-input',
              message: '--from-bundle goes with a fingerprint, not with a .pub file.',
              hint: 'Give either the .pub file, or the fingerprint and --from-bundle.',
              detail: { field: 'from-bundle' },
            });
          }
          request = { publicKey: await readPublicKeyFile(key), ...label };
        }
        const entry = await engine.api.trustKey(request);
        out.result(
          entry,
          () =>
            `Bundles signed by ${entry.fingerprint}${entry.label ? ` (${entry.label})` : ''} are now accepted on this workstation.`,
        );
        return EXIT.ok;
      }),
    );

  keys
    .command('forget')
    .description('stop trusting a bundle signer')
    .argument('<fingerprint>', 'SHA256:… as twinlock keys list shows it')
    .option('--json', 'print JSON')
    .action((fingerprint: string, options: JsonOption) =>
      runVerb(options.json, 'forgetting a key', async (out, engine) => {
        const result = await engine.api.forgetKey({ fingerprint });
        out.result(result, () =>
          result.forgotten
            ? `Bundles signed by ${fingerprint} are no longer accepted.`
            : `${fingerprint} was not trusted.`,
        );
        return EXIT.ok;
      }),
    );

  keys
    .command('export')
    .description('print this workstation’s public key (a .pub line), for another workstation to trust')
    .option('--out <file>', 'write it to this file')
    .option('--json', 'print JSON')
    .action((options: JsonOption & { out?: string }) =>
      runVerb(options.json, 'exporting the public key', async (out, engine) => {
        const result = await engine.api.exportPublicKey(
          options.out !== undefined ? { path: options.out } : {},
        );
        out.result(result, () =>
          result.path
            ? `Wrote the public key ${result.fingerprint} to ${result.path}. On the other workstation: twinlock keys trust ${result.path}`
            : `${result.line}\n(fingerprint ${result.fingerprint})`,
        );
        return EXIT.ok;
      }),
    );

  const publishers = keys
    .command('publishers')
    .description('the agent publishers (Authenticode certificates) this workstation installs packages from');

  const listPublishers = (options: JsonOption) =>
    runVerb(options.json, 'listing trusted publishers', async (out, engine) => {
      const trusted = await engine.api.trustedPublishers({});
      out.result(trusted, () =>
        trusted.length === 0
          ? 'No agent publisher is trusted yet; the first install shows the package’s publisher and asks.'
          : table(
              ['Thumbprint', 'Subject', 'Trusted'],
              trusted.map((p) => [p.thumbprint, p.subject, p.addedAt.slice(0, 10)]),
            ),
      );
      return EXIT.ok;
    });
  publishers
    .command('list', { isDefault: true })
    .description('list trusted agent publishers (the default)')
    .option('--json', 'print JSON')
    .action(listPublishers);

  publishers
    .command('trust')
    .description('trust an agent publisher by the thumbprint you compared (the package’s, or give --subject)')
    .argument('<thumbprint>', '40 hexadecimal characters')
    .option('--package <dir>', 'the package whose publisher it is (default: the bundled package)')
    .option('--bundle <file>', 'the package a bundle names')
    .option('--subject <subject>', 'trust this publisher without a package, under this certificate subject')
    .option('--json', 'print JSON')
    .action(
      (thumbprint: string, options: JsonOption & { package?: string; bundle?: string; subject?: string }) =>
        runVerb(options.json, 'trusting a publisher', async (out, engine) => {
          const entry = await engine.api.trustPublisher({
            thumbprint,
            ...(options.subject !== undefined ? { subject: options.subject } : {}),
            ...(options.package !== undefined ? { packageDir: options.package } : {}),
            ...(options.bundle !== undefined ? { bundlePath: options.bundle } : {}),
          });
          out.result(
            entry,
            () => `Agent packages signed by ${entry.subject} (${entry.thumbprint}) may now be installed.`,
          );
          return EXIT.ok;
        }),
    );

  publishers
    .command('forget')
    .description('stop trusting an agent publisher')
    .argument('<thumbprint>', '40 hexadecimal characters')
    .option('--json', 'print JSON')
    .action((thumbprint: string, options: JsonOption) =>
      runVerb(options.json, 'forgetting a publisher', async (out, engine) => {
        const result = await engine.api.forgetPublisher({ thumbprint });
        out.result(result, () =>
          result.forgotten
            ? `Packages signed by ${thumbprint} are no longer installed.`
            : `${thumbprint} was not trusted.`,
        );
        return EXIT.ok;
      }),
    );
}
