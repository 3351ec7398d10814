/** `twinlock fleet export-ansible <fleet> --out <dir>`: an inventory and a playbook for an automation controller. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { JsonOption } from '../options';
import { checkedText, wholeNumber } from '../options';
import { EXIT, runVerb } from '../run';

interface ExportAnsibleFlags extends JsonOption {
  out: string;
  bundle?: string;
  forks?: string;
}

export function registerFleetAnsibleVerb(fleet: Command): void {
  fleet
    .command('export-ansible')
    .description(
      'write an Ansible inventory (one group per pair) and a playbook running Twinlock’s steps for each pair from the controller',
    )
    .argument('<fleet>', 'a fleet file (fleet.yaml or fleet.csv)')
    .requiredOption('--out <dir>', 'the folder to write (created; its Twinlock files are replaced)')
    .option('--bundle <file>', 'the bundle every pair replays, when the fleet file names none')
    .option(
      '--forks <n>',
      'how many pairs Ansible runs at once (default: 10)',
      checkedText(wholeNumber('--forks', { min: 1, max: 500, unit: 'pairs' }, '10')),
    )
    .option('--json', 'print JSON')
    .action((file: string, options: ExportAnsibleFlags) =>
      runVerb(options.json, 'the Ansible export', async (out, engine) => {
        const parsed = await engine.api.parseFleet({ path: file });
        const written = await engine.api.exportAnsible({
          fleet: parsed,
          ...(options.bundle !== undefined ? { bundle: resolve(options.bundle) } : {}),
          outDir: options.out,
          ...(options.forks !== undefined ? { forks: Number(options.forks) } : {}),
        });
        out.result({ event: 'result', ...written, pairs: parsed.pairs.length }, () =>
          [
            `Wrote ${written.files.join(', ')} to ${written.dir} (${parsed.pairs.length} pair(s)).`,
            `Run it: cd ${written.dir} && TWINLOCK_PASSWORD=… ansible-playbook playbook.yml (README.md there says how with Vault).`,
          ].join('\n'),
        );
        return EXIT.ok;
      }),
    );
}
