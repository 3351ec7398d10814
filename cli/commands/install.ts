/**
 * The agent on both servers: `twinlock install` (or resume an interrupted installation) and
 * `twinlock rollback` (what the wizard's Roll back does on one server). At `--level 1` both work
 * on Windows' Failover Clustering feature instead of the agent.
 */
import type { Command } from 'commander';
import type { JobRef, JobSnapshotOf, ProtectionLevel, TwinlockApi } from '../../engine/api';
import { TwinlockError } from '../../engine/api/errors';
import { addConnectionOptions, connectAll, readCredentials } from '../connection';
import type { ConnectionOptions } from '../connection';
import { parseLevel } from '../options';
import type { JsonOption } from '../options';
import { table } from '../output';
import type { Output } from '../output';
import { followJob, requireDone } from '../progress';
import { EXIT, runVerb } from '../run';

interface InstallFlags extends ConnectionOptions, JsonOption {
  level: ProtectionLevel;
  package?: string;
  bundle?: string;
  allowReboot?: boolean;
  force?: boolean;
  trustPublisher?: string;
  /** true for the newest interrupted installation, or a job id. */
  resume?: string | boolean;
}

/** Picks the interrupted installation to resume and reopens its sessions with the password. */
async function resumeInstall(api: TwinlockApi, out: Output, options: InstallFlags): Promise<JobRef> {
  const candidates = (await api.resumableJobs({})).filter((j) => j.kind === 'install');
  const wanted = typeof options.resume === 'string' ? options.resume : undefined;
  const job = wanted ? candidates.find((j) => j.jobId === wanted) : candidates[0];
  if (!job) {
    throw new TwinlockError({
      code: 'not-found',
      message: wanted
        ? `There is no interrupted installation with id ${wanted}.`
        : 'There is no interrupted installation to resume.',
      hint: 'Start the installation with twinlock install <hostA> <hostB>; one that another Twinlock window or command is running is not listed here.',
    });
  }
  out.info(
    `Resuming the installation of ${job.level === 1 ? 'Failover Clustering' : `agent ${job.version}`} started ${job.startedAt} on ${job.hosts
      .map((h) => `${h.computerName} (done: ${h.completed.join(', ') || 'nothing yet'})`)
      .join(' and ')}`,
  );
  const credentials = job.needsPassword ? await readCredentials(options) : {};
  return api.resumeJob({ jobId: job.jobId, ...credentials });
}

/** The agent package's options, which do not apply at Level 1 (no agent is installed). */
const PACKAGE_OPTIONS = [
  ['package', '--package'],
  ['bundle', '--bundle'],
  ['trustPublisher', '--trust-publisher'],
  ['force', '--force'],
] as const;

function refusePackageOptions(options: InstallFlags): void {
  const given = PACKAGE_OPTIONS.filter(([key]) => options[key] !== undefined && options[key] !== false);
  const first = given[0];
  if (!first) return;
  const flags = given.map(([, flag]) => flag).join(', ');
  throw new TwinlockError({
    code: 'invalid-input',
    message: `${first[1]}: --level 1 enables Windows' Failover Clustering feature and installs no agent, so ${flags} does not apply.`,
    hint: `Leave ${flags} out at --level 1, or install at --level 2 or 3 to install the agent.`,
    detail: { field: first[1].replace(/^-+/, '') },
  });
}

export function registerInstallVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('install')
      .description(
        'install the lockstep agent on both servers, or at --level 1 enable Failover Clustering (or resume an interrupted installation)',
      )
      .argument('[hostA]', 'host[:port]')
      .argument('[hostB]', 'host[:port]')
      .option(
        '--level <1|2|3>',
        'the level the servers will be paired at: 1 enables Windows’ Failover Clustering and its tools instead of the agent',
        parseLevel,
        3,
      )
      .option('--package <dir>', 'folder with agent-manifest.json and the MSI (default: the bundled package)')
      .option('--bundle <file>', 'install the agent version a configuration bundle names')
      .option(
        '--allow-reboot',
        'restart a server when the installer (or Windows, at --level 1) requires it, wait for it and finish',
      )
      .option('--force', 'install even over a newer agent (a downgrade)')
      .option(
        '--trust-publisher <thumbprint>',
        'trust the package’s publisher on first use, after comparing its certificate thumbprint',
      )
      .option('--resume [jobId]', 'resume an interrupted installation (the newest one, or this one)')
      .option('--json', 'print NDJSON progress, then the result'),
  ).action((hostA: string | undefined, hostB: string | undefined, options: InstallFlags) =>
    runVerb(
      options.json,
      options.level === 1 ? 'enabling Failover Clustering' : 'the agent installation',
      async (out, engine) => {
        let ref: JobRef;
        if (options.level === 1) refusePackageOptions(options);
        if (options.resume !== undefined) {
          ref = await resumeInstall(engine.api, out, options);
        } else {
          if (!hostA || !hostB) {
            throw new TwinlockError({
              code: 'invalid-input',
              message: 'install needs two servers, e.g. twinlock install 10.0.0.21 10.0.0.22.',
              hint: 'Name both servers, or use --resume to continue an interrupted installation.',
            });
          }
          const [a, b] = await connectAll(engine.api, [hostA, hostB], options);
          const interrupted = (await engine.api.resumableJobs({})).find(
            (j) =>
              j.kind === 'install' && j.hosts.some((h) => h.address === a!.address && h.port === a!.port),
          );
          if (interrupted) {
            out.info(
              `An interrupted installation (${interrupted.jobId}) exists for these servers; this run starts afresh (use --resume to continue it instead).`,
            );
          }
          if (options.level === 1)
            out.info(
              `Enabling Failover Clustering and its tools on ${a!.computerName} and ${b!.computerName} (Install-WindowsFeature Failover-Clustering -IncludeManagementTools); no agent is installed at Level 1.`,
            );
          ref = await engine.api.install({
            sessions: [a!.sessionId, b!.sessionId],
            level: options.level,
            ...(options.package ? { packageDir: options.package } : {}),
            ...(options.bundle ? { bundlePath: options.bundle } : {}),
            allowReboot: options.allowReboot === true,
            force: options.force === true,
            ...(options.trustPublisher !== undefined ? { trustPublisher: options.trustPublisher } : {}),
          });
        }
        const job = (await followJob(engine, ref, out)) as JobSnapshotOf<'install'>;
        requireDone(job);
        const outcomes = job.result ?? [];
        const feature = outcomes.some((o) => o.component === 'failover-clustering');
        out.result({ event: 'result', result: outcomes }, () =>
          [
            table(
              [
                'Server',
                feature ? 'Failover Clustering' : 'Action',
                feature ? 'Windows build' : 'Version',
                'Restart',
              ],
              outcomes.map((o) => [
                o.computerName,
                o.action,
                o.version,
                o.rebooted ? 'done' : o.rebootRequired ? 'required' : 'no',
              ]),
            ),
            ...outcomes.flatMap((o) => (o.note ? [o.note] : [])),
            ...(outcomes.some((o) => o.rebootRequired)
              ? ['Restart the servers marked “required” (or run again with --allow-reboot) before pairing.']
              : []),
          ].join('\n'),
        );
        return EXIT.ok;
      },
    ),
  );
}

export function registerRollbackVerb(program: Command): void {
  addConnectionOptions(
    program
      .command('rollback')
      .description(
        'remove the agent, its firewall rules and its uploaded files from a server (the wizard’s Roll back); at --level 1, Failover Clustering where Twinlock added it',
      )
      .argument('<host>', 'host[:port]')
      .option(
        '--level <1|2|3>',
        'the level that was installed: 1 removes Failover Clustering and its tools where a Twinlock installation added them',
        parseLevel,
        3,
      )
      .option(
        '--allow-reboot',
        'at --level 1, restart the server when Windows needs it to finish the removal',
      )
      .option('--yes', 'confirm: the agent (at --level 1, Failover Clustering) is removed from the server')
      .option('--json', 'print JSON'),
  ).action(
    (
      host: string,
      options: ConnectionOptions &
        JsonOption & { yes?: boolean; level: ProtectionLevel; allowReboot?: boolean },
    ) =>
      runVerb(options.json, 'the roll back', async (out, engine) => {
        if (!options.yes) {
          throw new TwinlockError({
            code: 'invalid-input',
            message: `rollback removes ${options.level === 1 ? 'Failover Clustering (where a Twinlock installation added it)' : 'the Twinlock agent'} from ${host}, and --yes was not given.`,
            hint: `If that server is not protecting VMs you still need, run it again with --yes (twinlock status ${host} shows its pair).`,
            detail: { field: 'yes' },
          });
        }
        const [session] = await connectAll(engine.api, [host], options);
        const outcome = await engine.api.rollback({
          sessionId: session!.sessionId,
          level: options.level,
          allowReboot: options.allowReboot === true,
        });
        out.result(outcome, () =>
          [
            outcome.message,
            ...(outcome.removedFiles.length > 0 ? [`Removed: ${outcome.removedFiles.join(', ')}`] : []),
            ...((outcome.removedFeatures ?? []).length > 0
              ? [`Features removed: ${outcome.removedFeatures!.join(', ')}`]
              : []),
          ].join('\n'),
        );
        return EXIT.ok;
      }),
  );
}
