/** `twinlock inventory`: one server's hardware and software, as the Verify step reads it. */
import type { Command } from 'commander';
import type { HostInventory } from '../../engine/api';
import { addConnectionOptions, connectAll } from '../connection';
import type { ConnectionOptions } from '../connection';
import type { JsonOption } from '../options';
import { table } from '../output';
import { EXIT, runVerb } from '../run';

function describeInventory(inv: HostInventory): string {
  const gib = (inv.memory.totalBytes / 1024 ** 3).toFixed(0);
  return table(
    ['', inv.computerName],
    [
      ['Domain', inv.domain],
      ['Server', `${inv.system.manufacturer} ${inv.system.model} (serial ${inv.system.serial || 'unknown'})`],
      ['BIOS/UEFI', `${inv.bios.vendor} ${inv.bios.version} (${inv.bios.releaseDate || 'date unknown'})`],
      ['Processor', inv.processor.name],
      [
        'Family/model/stepping',
        `${inv.processor.family}/${inv.processor.model}/${inv.processor.stepping}, microcode ${inv.processor.microcode || 'unknown'}`,
      ],
      ['Cores / threads', `${inv.processor.cores} / ${inv.processor.threads}`],
      ['Memory', `${gib} GiB in ${inv.memory.modules} modules`],
      ['OS', `${inv.os.caption} (build ${inv.os.build}.${inv.os.ubr}, ${inv.os.installationType})`],
      ['Locale, time zone', `${inv.os.locale}, ${inv.os.timeZone}`],
      ['Updates', inv.hotfixes.map((h) => h.id).join(', ') || 'none'],
      ['Restart pending', inv.pendingReboot.pending ? `yes (${inv.pendingReboot.reasons.join(', ')})` : 'no'],
      ['Power plan', inv.powerPlan.name],
      [
        'Volumes',
        inv.volumes
          .map(
            (v) =>
              `${v.driveLetter || '-'}: ${(v.freeBytes / 1024 ** 3).toFixed(0)} of ${(v.sizeBytes / 1024 ** 3).toFixed(0)} GiB free`,
          )
          .join(', '),
      ],
      ['Hyper-V', inv.roles.hyperV ? 'installed' : 'not installed'],
      [
        'Network adapters',
        inv.nics.map((n) => `${n.name} ${n.linkSpeedMbps / 1000} Gb ${n.status}`).join(', '),
      ],
      ['VMs', inv.vms.map((v) => v.name).join(', ') || 'none'],
      ['Twinlock agent', inv.agentVersion ?? 'not installed'],
    ],
  );
}

export function registerInventoryVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('inventory')
      .description('read one server’s hardware and software inventory')
      .argument('<host>', 'host[:port]')
      .option('--json', 'print JSON'),
  ).action((host: string, options: ConnectionOptions & JsonOption) =>
    runVerb(options.json, 'the inventory', async (out, engine) => {
      const [session] = await connectAll(engine.api, [host], options);
      const inventory = await engine.api.inventory({ sessionId: session!.sessionId });
      out.result(inventory, () => describeInventory(inventory));
      return EXIT.ok;
    }),
  );
}
