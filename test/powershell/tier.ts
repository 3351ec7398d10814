/**
 * The PowerShell tier: runs resources/bootstrap.ps1 and resources/scripts/*.ps1 in a real
 * PowerShell (pwsh 7) with the Windows shim (WindowsShim.psm1) answering from a lab server, and
 * compares what the script prints with what the lab answers for the same server and parameters.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildStdin, encodeCommand, stripBom } from '../../engine/remote/powershell-runner';
import type { LabHost } from '../../lab/host';
import { clusterOf } from '../../lab/cluster';
import { runCtl } from '../../lab/ctl';
import { clusterFeatureAvailable } from '../../lab/handlers/cluster-feature';
import { hostsAt } from '../../lab/world';
import type { LabWorld } from '../../lab/world';

export const ROOT = join(import.meta.dirname, '..', '..');
export const RESOURCES = join(ROOT, 'resources');
export const SHIM = join(import.meta.dirname, 'WindowsShim.psm1');
const TIER_HOST = join(import.meta.dirname, 'TierHost.ps1');

/** The PowerShell the tier needs, and where .ci/run installs it. */
export const PWSH_VERSION = '7.6.9';
export const PESTER_VERSION = '5.7.1';
export const TOOLS_DIR = process.env.TWINLOCK_TOOLS ?? '/opt/twinlock-tools';

/** pwsh: $TWINLOCK_PWSH, else the tools folder; a clear error naming the install command when missing. */
export function findPwsh(): string {
  const candidate = process.env.TWINLOCK_PWSH ?? join(TOOLS_DIR, 'pwsh', 'pwsh');
  const probe = existsSync(candidate)
    ? spawnSync(
        candidate,
        ['-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'],
        { encoding: 'utf8', timeout: 120_000 },
      )
    : null;
  if (!probe || probe.status !== 0 || probe.stdout.trim() !== PWSH_VERSION) {
    throw new Error(
      `The PowerShell tier needs pwsh ${PWSH_VERSION} at ${candidate} (found: ${probe ? probe.stdout.trim() || probe.stderr.trim() || `exit ${probe.status}` : 'nothing'}). ` +
        `Install it with \`scripts/install-powershell-tools.sh\` (dotnet tool install --tool-path ${join(TOOLS_DIR, 'pwsh')} PowerShell --version ${PWSH_VERSION}), or set TWINLOCK_PWSH.`,
    );
  }
  return candidate;
}

/** The Pester module manifest restored by scripts/install-powershell-tools.sh. */
export function findPester(): string {
  const home = process.env.NUGET_PACKAGES ?? join(process.env.HOME ?? '/root', '.nuget', 'packages');
  const manifest = join(home, 'pester', PESTER_VERSION, 'tools', 'Pester.psd1');
  if (!existsSync(manifest)) {
    throw new Error(
      `The PowerShell tier needs Pester ${PESTER_VERSION} (looked for ${manifest}). Restore it with \`scripts/install-powershell-tools.sh\`.`,
    );
  }
  return manifest;
}

/** The text of a resource file as the engine reads it (engine/remote/session.ts: UTF-8, BOM stripped). */
export function resourceText(relative: string): string {
  return stripBom(readFileSync(join(RESOURCES, relative), 'utf8'));
}

/** The bootstrap text PowerShell runs: the engine's own -EncodedCommand, decoded. */
export function bootstrapText(bootstrap = resourceText('bootstrap.ps1')): string {
  const command = encodeCommand(bootstrap);
  const encoded = /-EncodedCommand (\S+)$/.exec(command)?.[1];
  if (!encoded) throw new Error(`Unexpected command line: ${command.slice(0, 80)}`);
  return Buffer.from(encoded, 'base64').toString('utf16le');
}

/**
 * .NET members that exist only on Windows .NET and that no PowerShell function can stand in for
 * (a type's static member is resolved before any command): the script text given to the shimmed
 * PowerShell has each type name swapped for the shim's type of the same shape. This is the only
 * change made to a script; every entry must still occur in some script (checked by a test).
 */
export const PLATFORM_SUBSTITUTIONS: ReadonlyArray<{ from: string; to: string; why: string }> = [
  {
    from: '[Security.Principal.WindowsIdentity]',
    to: '[TwinlockShim.WindowsIdentity]',
    why: 'Windows principals throw PlatformNotSupportedException off Windows',
  },
  { from: 'Security.Principal.WindowsPrincipal', to: 'TwinlockShim.WindowsPrincipal', why: 'as above' },
  {
    from: '[System.IO.Path]::GetFullPath(',
    to: '[TwinlockShim.WindowsPath]::GetFullPath(',
    why: 'off Windows, C:\\… is a relative path',
  },
  {
    from: '[System.TimeZoneInfo]::Local',
    to: '[TwinlockShim.TimeZoneInfo]::Local',
    why: 'off Windows, time zone ids are IANA names',
  },
  {
    from: '[System.Diagnostics.Process]::Start(',
    to: '[TwinlockShim.Process]::Start(',
    why: 'a Windows program (twinlockctl.exe) started with redirected pipes: the shim answers for it',
  },
];

export function substitutePlatform(script: string): string {
  let out = script;
  for (const s of PLATFORM_SUBSTITUTIONS) out = out.split(s.from).join(s.to);
  return out;
}

/** What one run of a script printed. */
export interface CaseResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** What the script asked the shim to change, in order. */
  changes: Array<Record<string, unknown> & { command: string }>;
  /** Milliseconds the case took inside pwsh. */
  ms: number;
}

/** The faults the shim can raise (see WindowsShim.psm1). */
export interface ShimFaults {
  /** Command (or `Get-CimInstance <class>`, `Get-ItemProperty <path>`) → the error Windows raises. */
  commands?: Record<
    string,
    {
      message: string;
      category: string;
      id: string;
      exception?: 'UnauthorizedAccess' | 'IO' | 'CimException';
    }
  >;
  /** Windows paths another process holds open. */
  lockedFiles?: string[];
  /** Services that fail to start. */
  servicesWontStart?: string[];
  /** msiexec's exit code and the log it writes (base64). */
  msiexec?: { exitCode: number; log: string | null };
  /** shutdown.exe refuses with this exit code (5: access denied). */
  shutdownExitCode?: number;
}

/** One server as the shim sees it: the lab profile of that server and its live state. */
export function serverDocument(
  host: LabHost,
  world: LabWorld,
  options: { faults?: ShimFaults; ctl?: CtlAnswer[]; restartScheduled?: boolean } = {},
): string {
  const account = host.accounts[0]!;
  const p = host.profile;
  const netbios = p.partOfDomain ? p.domain.split('.')[0]!.toUpperCase() : host.name;
  return JSON.stringify({
    profile: p,
    driveRoot: host.drive.root,
    bootedAtMs: host.bootedAt + host.faults.clockSkewSeconds * 1000,
    nowMs: host.now(),
    pendingReboot: host.pendingReboot,
    products: host.installedProducts(),
    services: [...host.services.values()],
    firewallRules: host.firewallRules,
    // What Get-VM shows now (a protected VM follows its pair's drills), with each running VM's uptime.
    vms: host.vms.map((vm) => {
      const state = host.vmState(vm.name) ?? vm.state;
      return {
        ...vm,
        state,
        uptimeSeconds: state === 'Running' ? Math.max(0, Math.floor((Date.now() - host.bootedAt) / 1000)) : 0,
      };
    }),
    account: { userName: `${netbios}\\${account.username}`, admin: account.admin },
    serial: serialOf(p.computerName),
    // Time sources w32tm can reach: the other servers, by any name the lab answers to.
    timeSources: world.hosts
      .filter((h) => h !== host)
      .flatMap((h) => [h.name, ...h.profile.nics.flatMap((n) => n.ipv4.map((ip) => ip.address))])
      .filter((name) => hostsAt(world, name).some((h) => h !== host)),
    ctl: options.ctl ?? [],
    faults: options.faults ?? {},
    restartScheduled: options.restartScheduled ?? false,
    // Failover Clustering: the edition has it, a change waits for the restart, the server is a cluster node.
    clusterFeatureAvailable: clusterFeatureAvailable(p),
    clusterFeaturePending: host.clusterFeaturePending,
    clusterNode: clusterOf(world.clustering, host) !== null,
  });
}

/** Win32_BIOS.SerialNumber when the profile names none: the lab's stable service tag (lab/handlers/inventory.ts). */
function serialOf(name: string): string {
  let h = 7;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(36).toUpperCase().padStart(7, '0').slice(-7);
}

/**
 * One answer of the shim's twinlockctl.exe: for this argv and this input on stdin (`input`: the
 * JSON document, however it is escaped; `stdin`: exact text), what it prints and its exit code.
 */
export interface CtlAnswer {
  argv: string[];
  input?: unknown;
  stdin?: string;
  stdout: string;
  exitCode: number;
}

/** One twinlockctl call a script will make: its argv and the JSON document it writes to stdin. */
export interface CtlCall {
  argv: string[];
  input: unknown;
}

/**
 * The lab agent's answers (lab/ctl.ts) to the twinlockctl calls a script will make, for the shim's
 * twinlockctl.exe. Only calls that change nothing on the agent belong here: the lab answers them
 * before the script runs on either side.
 */
export async function ctlAnswers(host: LabHost, world: LabWorld, calls: CtlCall[]): Promise<CtlAnswer[]> {
  const out: CtlAnswer[] = [];
  for (const call of calls) {
    if (!host.agent) continue;
    const r = await runCtl(host, world, call.argv, JSON.stringify(call.input));
    out.push({ argv: call.argv, input: call.input, stdout: r.stdout, exitCode: r.exitCode });
  }
  return out;
}

/** A long-lived pwsh running cases one after another (see TierHost.ps1). */
export class PowerShellTier {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';
  readonly ready: Promise<string>;
  /** Every case run, for the tier's closing line. */
  readonly runs: Array<{ script: string; label: string; ms: number }> = [];

  constructor(pwsh = findPwsh()) {
    // TZ=UTC: the lab's servers run on UTC, and CIM DateTimes are local times.
    this.child = spawn(pwsh, ['-NoProfile', '-NonInteractive', '-File', TIER_HOST, '-ShimPath', SHIM], {
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    const lines = createInterface({ input: this.child.stdout });
    let markReady: (v: string) => void = () => {};
    let failReady: (e: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    lines.on('line', (line) => {
      let msg: any;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.ready) return markReady(String(msg.version));
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiter.resolve({ ...msg.result, ms: msg.ms });
      else waiter.reject(new Error(`The tier host failed a request: ${msg.error}`));
    });
    this.child.on('exit', (code) => {
      const err = new Error(`pwsh exited (${code}): ${this.stderr.slice(-2000)}`);
      failReady(err);
      for (const w of this.pending.values()) w.reject(err);
      this.pending.clear();
    });
  }

  private request(body: Record<string, unknown>): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  /**
   * Runs a script as a server receives it: the engine's bootstrap and the engine's stdin
   * (buildStdin), the script's platform substitutions applied, on the shimmed server.
   */
  async run(options: {
    script: string;
    params: unknown;
    server: string;
    label?: string;
    scriptText?: string;
    bootstrap?: string;
  }): Promise<CaseResult> {
    await this.ready;
    const text = options.scriptText ?? resourceText(join('scripts', `${options.script}.ps1`));
    const stdin = buildStdin(options.params, substitutePlatform(text));
    const result = (await this.request({
      kind: 'run',
      bootstrap: options.bootstrap ?? bootstrapText(),
      stdin,
      server: options.server,
    })) as CaseResult;
    result.changes = result.changes ?? [];
    this.runs.push({ script: options.script, label: options.label ?? '', ms: result.ms });
    return result;
  }

  /** Runs a Pester file in the tier's pwsh, its param() block given `data`. */
  async pester(
    path: string,
    data: Record<string, unknown>,
  ): Promise<{ passed: number; failed: number; skipped: number; total: number; failures: string[] }> {
    await this.ready;
    return this.request({ kind: 'pester', pester: findPester(), path, data });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}

/** The `{ok, data|error}` envelope a run printed (its last JSON line), parsed. */
export function envelope(stdout: string): any {
  const lines = stripBom(stdout).trim().split(/\r?\n/);
  return JSON.parse(lines[lines.length - 1] ?? 'null');
}

const DATE_5_1 = /^\/Date\((-?\d+)\)\/$/;
const DATE_7 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function date51(value: unknown): number | null {
  if (typeof value === 'string') {
    const m = DATE_5_1.exec(value);
    return m ? Number(m[1]) : null;
  }
  // A DateTime with extended properties (Get-HotFix's InstalledOn after Select-Object).
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && 'value' in o && 'DateTime' in o) return date51(o.value);
  }
  return null;
}

function date7(value: unknown): number | null {
  if (typeof value !== 'string' || !DATE_7.test(value)) return null;
  // An unspecified-kind DateTime prints without an offset; the tier's pwsh runs with TZ=UTC.
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
}

/**
 * The one difference between Windows PowerShell 5.1's ConvertTo-Json and PowerShell 7's that the
 * comparison removes: a DateTime object. 5.1 prints `"\/Date(ms)\/"`, or for a DateTime carrying
 * extended properties `{"value":"\/Date(ms)\/","DateTime":"…"}`; 7 prints an ISO 8601 string
 * for both. Where the lab (5.1's shape) has one and PowerShell 7 the other at the same place,
 * both become `{ $date: ms }`. Strings a script formats itself are compared as they are, as is
 * everything else (enums as numbers, one item unrolled, depth, escaping serialise alike).
 */
export function alignDates(lab: unknown, real: unknown): [unknown, unknown] {
  const a = date51(lab);
  const b = date7(real);
  if (a !== null && b !== null) return [{ $date: a }, { $date: b }];
  if (Array.isArray(lab) && Array.isArray(real)) {
    const pairs = lab.map((x, i) => (i < real.length ? alignDates(x, real[i]) : [x, undefined]));
    return [
      pairs.map((p) => p[0]),
      [...pairs.slice(0, real.length).map((p) => p[1]), ...real.slice(lab.length)],
    ];
  }
  if (
    lab &&
    real &&
    typeof lab === 'object' &&
    typeof real === 'object' &&
    !Array.isArray(lab) &&
    !Array.isArray(real)
  ) {
    const l = lab as Record<string, unknown>;
    const r = real as Record<string, unknown>;
    const outL: Record<string, unknown> = {};
    const outR: Record<string, unknown> = {};
    for (const k of Object.keys(l)) {
      if (k in r) [outL[k], outR[k]] = alignDates(l[k], r[k]);
      else outL[k] = l[k];
    }
    for (const k of Object.keys(r)) if (!(k in l)) outR[k] = r[k];
    return [outL, outR];
  }
  return [lab, real];
}
