/** `twinlock hosts`: the servers whose host keys are pinned (what Connect compares), and forgetting one. */
import type { Command } from 'commander';
import { parseHostArg } from '../host-arg';
import type { JsonOption } from '../options';
import { table } from '../output';
import { EXIT, runVerb } from '../run';

export function registerHostsVerbs(program: Command): void {
  const hosts = program.command('hosts').description('the servers whose host keys Twinlock has pinned');
  hosts
    .command('list')
    .description('list pinned host keys')
    .option('--json', 'print JSON')
    .action((options: JsonOption) =>
      runVerb(options.json, 'listing host keys', async (out, engine) => {
        const pinned = await engine.api.knownHosts({});
        out.result(pinned, () =>
          pinned.length === 0
            ? 'No host key is pinned yet.'
            : table(
                ['Server', 'Fingerprint', 'Type', 'Pinned'],
                pinned.map((k) => [k.host, k.fingerprint, k.keyType, k.firstSeen.slice(0, 10)]),
              ),
        );
        return EXIT.ok;
      }),
    );
  hosts
    .command('forget')
    .description(
      'forget a server’s pinned key (after it was reinstalled); the next connection shows the new key',
    )
    .argument('<host>', 'host[:port]')
    .option('--json', 'print JSON')
    .action((host: string, options: JsonOption) =>
      runVerb(options.json, 'forgetting a host key', async (out, engine) => {
        const target = parseHostArg(host);
        const result = await engine.api.forgetHostKey(target);
        out.result(result, () =>
          result.forgotten
            ? `Forgot the key of ${target.address}:${target.port}. Compare the new one when you next connect.`
            : `No key was pinned for ${target.address}:${target.port}.`,
        );
        return EXIT.ok;
      }),
    );
}
