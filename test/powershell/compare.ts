/**
 * One case of the tier: the same server (a lab host), the same script and parameters, answered
 * by the lab's handler in-process and by the real script in pwsh on the shimmed server.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriveC } from '../../lab/files';
import { HANDLERS } from '../../lab/handlers/index';
import type { LabHost } from '../../lab/host';
import { PsError, bootstrapFailure, bootstrapSuccess } from '../../lab/powershell-shapes';
import type { LabWorld } from '../../lab/world';
import { alignDates, envelope, serverDocument } from './tier';
import type { CaseResult, CtlAnswer, PowerShellTier, ShimFaults } from './tier';

export interface BothAnswers {
  /** What the lab printed (the bootstrap's envelope line). */
  labStdout: string;
  labExitCode: number;
  /** What pwsh printed. */
  ps: CaseResult;
  /** Both envelopes, parsed, DateTimes normalised, measured fields set aside. */
  lab: any;
  real: any;
}

/** Fields that are readings of a clock or a stopwatch: compared with a tolerance, then set aside. */
const MEASURED: Record<
  string,
  Array<{ path: string[]; kind: 'clock' | 'server-clock' | 'duration' | 'report' }>
> = {
  // [DateTime]::UtcNow reads the clock of the machine running pwsh, which has no injected skew.
  'get-inventory': [
    { path: ['data', 'collectedAtUtc'], kind: 'clock' },
    { path: ['data', 'os', 'LocalDateTime'], kind: 'server-clock' },
  ],
  'fix-resync-time': [{ path: ['data', 'utcAfter'], kind: 'clock' }],
  'install-agent': [{ path: ['data', 'durationMs'], kind: 'duration' }],
  'uninstall-agent': [{ path: ['data', 'durationMs'], kind: 'duration' }],
  // A VM's uptime reads the clock: the lab answers a moment after the shim's snapshot.
  'get-vm-state': [0, 1, 2, 3].map((i) => ({
    path: ['data', 'vms', String(i), 'uptimeSeconds'],
    kind: 'duration' as const,
  })),
  'test-witness': [{ path: ['data', 'rttMs'], kind: 'duration' }],
  // Test-Cluster names its report by the server's clock: the same folder and naming, at another moment.
  'test-cluster': [
    { path: ['data', 'ranAt'], kind: 'clock' },
    { path: ['data', 'reportPath'], kind: 'report' },
  ],
};

const REPORT_PATH =
  /^C:\\ProgramData\\Twinlock\\reports\\Validation Report \d{4}\.\d\d\.\d\d At \d\d\.\d\d\.\d\d\.htm$/;

function take(obj: any, path: string[]): { value: unknown; found: boolean } {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (!cur || typeof cur !== 'object') return { value: undefined, found: false };
    cur = cur[path[i]!];
  }
  const last = path[path.length - 1]!;
  if (!cur || typeof cur !== 'object' || !(last in cur)) return { value: undefined, found: false };
  const value = cur[last];
  cur[last] = '<measured>';
  return { value, found: true };
}

/**
 * Runs `script` with `params` on `host` both ways. The shim sees the server as it was before the
 * lab's handler ran (a copy of its drive and state), so neither side sees the other's changes.
 */
export async function runBoth(
  tier: PowerShellTier,
  world: LabWorld,
  host: LabHost,
  script: string,
  params: Record<string, unknown>,
  options: {
    faults?: ShimFaults;
    ctl?: CtlAnswer[];
    label?: string;
    scriptText?: string;
    shimFaultsFromLab?: (labStdout: string) => ShimFaults;
    /** Windows paths to read back after both ran: the lab's drive and the shim's copy of it. */
    files?: string[];
    /** How the session logged on (default a password). */
    logon?: 'password' | 'key';
  } = {},
): Promise<
  BothAnswers & { server: string; files: Record<string, { lab: string | null; ps: string | null }> }
> {
  const driveCopy = mkdtempSync(join(tmpdir(), 'twinlock-tier-drive-'));
  try {
    cpSync(host.drive.root, driveCopy, { recursive: true });
    const snapshot = JSON.parse(
      serverDocument(host, world, {
        ...(options.faults ? { faults: options.faults } : {}),
        ...(options.ctl ? { ctl: options.ctl } : {}),
        ...(options.logon ? { logon: options.logon } : {}),
      }),
    );
    snapshot.driveRoot = driveCopy;

    const handler = HANDLERS[script];
    if (!handler) throw new Error(`The lab has no handler for ${script}`);
    let labStdout: string;
    let labExitCode = 0;
    try {
      labStdout = bootstrapSuccess(
        await handler({
          host,
          world,
          params,
          account: host.accounts[0]!,
          logon: options.logon ?? 'password',
        }),
      );
    } catch (err) {
      if (!(err instanceof PsError)) throw err;
      labStdout = bootstrapFailure(err.message, err.category, err.errorId);
      labExitCode = 1;
    }
    // The server's clock after the script (fix-resync-time moves it): what its readings carry.
    const skewMs = host.faults.clockSkewSeconds * 1000;
    if (options.shimFaultsFromLab)
      snapshot.faults = { ...snapshot.faults, ...options.shimFaultsFromLab(labStdout) };
    const server = JSON.stringify(snapshot);
    const ps = await tier.run({
      script,
      params,
      server,
      label: options.label ?? host.name,
      ...(options.scriptText ? { scriptText: options.scriptText } : {}),
    });

    // Numbers need nothing: 7 prints a [double] as 549755813888.0 where 5.1 prints 549755813888,
    // the same JSON number once parsed.
    let parsed: unknown;
    try {
      parsed = envelope(ps.stdout);
    } catch {
      parsed = { unparsable: ps.stdout, stderr: ps.stderr, exitCode: ps.exitCode };
    }
    const [lab, real] = alignDates(envelope(labStdout), parsed) as [any, any];
    for (const m of MEASURED[script] ?? []) {
      const a = take(lab, m.path);
      const b = take(real, m.path);
      if (!a.found || !b.found) continue;
      const ms = (v: unknown): number =>
        v && typeof v === 'object' && '$date' in v
          ? Number((v as { $date: number }).$date)
          : typeof v === 'string' && /^\d{4}-/.test(v)
            ? Date.parse(v)
            : Number(v);
      if (m.kind === 'report') {
        if (!REPORT_PATH.test(String(a.value)) || !REPORT_PATH.test(String(b.value)))
          throw new Error(
            `${script}: ${m.path.join('.')} reads ${JSON.stringify(b.value)} in PowerShell and ${JSON.stringify(a.value)} in the lab`,
          );
        continue;
      }
      const gap =
        m.kind === 'clock'
          ? ms(a.value) - skewMs - ms(b.value)
          : m.kind === 'server-clock'
            ? ms(a.value) - ms(b.value)
            : 0;
      if (m.kind === 'duration' ? !(ms(b.value) >= 0) : !(Math.abs(gap) < 60_000)) {
        throw new Error(
          `${script}: ${m.path.join('.')} reads ${JSON.stringify(b.value)} in PowerShell and ${JSON.stringify(a.value)} in the lab`,
        );
      }
    }
    // Windows PowerShell 5.1 on the server against PowerShell 7 here: the one field that names the version.
    if (script === 'get-identity' && real?.data && lab?.data) {
      if (!/^5\.1\./.test(lab.data.psVersion) || !/^7\./.test(real.data.psVersion))
        throw new Error(`psVersion: lab ${lab.data.psVersion}, pwsh ${real.data.psVersion}`);
      lab.data.psVersion = real.data.psVersion = '<version>';
    }
    const files: Record<string, { lab: string | null; ps: string | null }> = {};
    const shimDrive = new DriveC(driveCopy);
    for (const path of options.files ?? []) {
      const read = (local: string | null) =>
        local !== null && existsSync(local) ? readFileSync(local, 'utf8') : null;
      files[path] = { lab: read(host.localPath(path)), ps: read(shimDrive.resolve(path)) };
    }
    return { labStdout, labExitCode, ps, lab, real, server, files };
  } finally {
    rmSync(driveCopy, { recursive: true, force: true });
  }
}
