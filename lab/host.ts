/**
 * One simulated server: its profile, its C: drive, its installed software, its agent, and the
 * faults a test can inject. Tests read and steer a server through this object, and wait on the
 * events it sends ({@link LabHostEvents}) rather than on time.
 */
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DriveC } from './files';
import type { HostProfile } from './profile';
import type { FirewallRule, InstalledProduct, ServiceState, VmState } from './state';
import { agentStatus, visibleVmState } from './agent';
import type { AgentNode } from './agent';
import type { LabWorld } from './world';

/** Faults a test switches on per server. Every field may be changed at any time. */
export interface LabFaults {
  /** TCP connections are refused (the port stops listening), as for a server that is off. */
  refuseConnections: boolean;
  /** Every password is wrong, whatever is typed. */
  badPasswordAlways: boolean;
  /** Milliseconds to wait before answering a new connection (a slow or distant server). */
  connectDelayMs: number;
  /** Drops the SSH connection once this many more bytes have been written by SFTP; then clears itself. */
  cutUploadAfterBytes: number | null;
  /** SFTP writes fail as on a full disk. */
  diskFull: boolean;
  /**
   * Files written by SFTP have one byte changed when they are closed, as by a proxy or a security
   * product rewriting them: Get-FileHash differs and the signature reads HashMismatch.
   */
  corruptUploads: boolean;
  /** Exit codes the next msiexec runs return, one per run, before behaving normally (e.g. [1618, 1618]). */
  msiExitCodes: number[];
  /** Lab seconds a reboot takes (while it lasts, connections are refused). */
  rebootSeconds: number;
  /** The agent service fails to start: msiexec rolls back with 1603 (error 1920). */
  serviceWontStart: boolean;
  /** Every sync link of this server is down (the agent reports `degraded`). */
  syncLinkDown: boolean;
  /** Adapters of this server whose cable is cut (by adapter name): the link through each is dead. */
  cutLinks: string[];
  /**
   * This server's standby copies cannot take over in a failover drill (as when its copy of the
   * storage is stale): a primary-loss drill fails, the VMs go back to the primary, and the pair
   * stays `degraded` until the fault is cleared.
   */
  drillTakeoverFails: boolean;
  /** This server cannot reach the witness (host or share), as behind a firewall that drops the traffic. */
  witnessUnreachable: boolean;
  /** The witness share refuses this server's writes (its permissions leave the computer account read-only). */
  witnessShareReadOnly: boolean;
  /** Computer names the directory already holds for other computers (seen from this server): a cluster may not take them. */
  clusterNamesTaken: string[];
  /** Addresses something else answers on from this server's business network (a cluster may not take them). */
  addressesInUse: string[];
  /**
   * This server drops out of its failover cluster (its cluster service loses the other node): it
   * shows as Down to the other node, which takes its VM roles after the profile's failoverSeconds.
   */
  dropsOutOfCluster: boolean;
  /** VMs the agent refuses to protect (as when a VM's disks sit on storage it cannot mirror). */
  protectFails: string[];
  /** Lab seconds a twinlockctl verb waits before it acts, as a busy agent would (e.g. `{ 'pair join': 600 }`). */
  ctlDelaySeconds: Partial<Record<string, number>>;
  /** Seconds added to this server's clock. */
  clockSkewSeconds: number;
  /** Inventory sections that fail to read, with the error message (e.g. `{ vms: 'Access denied' }`). */
  inventoryErrors: Partial<Record<string, string>>;
  /** Replaces the host key with a new one (clients that pinned the old one must refuse). Returns the new fingerprint. */
  rotateHostKey(): string;
}

/** The parts of the SSH endpoint a host needs to steer (implemented in server.ts). */
export interface HostEndpoint {
  /** The loopback address it listens on. */
  readonly address: string;
  readonly port: number;
  readonly fingerprint: string;
  /** Settles once the port refuses, or listens again. */
  setRefusing(refusing: boolean): Promise<void>;
  rotateHostKey(): string;
  dropConnections(): void;
}

/** An account that may log on. */
export interface LabAccount {
  username: string;
  password: string;
  admin: boolean;
}

/**
 * What a server tells its listeners: `down` when it starts a restart or loses power, `up` when it
 * is back (listening, services started), `restart-requested` when the restart-host script
 * scheduled a restart, `sftp-write` with the bytes each SFTP write stored, `ctl` with the verb of
 * each twinlockctl run that succeeded (e.g. `pair join`), once it has acted, and `pair-state` as
 * a pair's next phase (mirroring, syncing, protected) begins with lab time, and `addresses` when
 * set-link-address or remove-link-address changed an adapter's addresses.
 */
export interface LabHostEvents {
  down: [];
  up: [];
  'restart-requested': [];
  'sftp-write': [bytes: number];
  ctl: [verb: string];
  'pair-state': [];
  addresses: [];
}

export class LabHost extends EventEmitter<LabHostEvents> {
  /** Computer name, e.g. TL-NODE-A. */
  readonly name: string;
  readonly drive: DriveC;
  readonly accounts: LabAccount[];
  /** Uninstall registry entries by product code. */
  readonly products = new Map<string, InstalledProduct>();
  /** Services by name. */
  readonly services = new Map<string, ServiceState>();
  firewallRules: FirewallRule[] = [];
  vms: VmState[];
  /** The installed agent, or null. */
  agent: AgentNode | null = null;
  /** A reboot is pending (after msiexec 3010). */
  pendingReboot = false;
  /** Set while msiexec runs: a second concurrent run returns 1618. */
  msiexecBusy = false;
  /** Lab-clock reading (ms, LabClock.now) until which the server is rebooting; Infinity while powered off. */
  downUntil = 0;
  /** From the `down` event until the server is back and no longer refusing. */
  private down = false;
  /** False from the `down` event to the `up` event (back, and listening again). */
  private upAndListening = true;
  /** Changes that take effect at the next restart (a role added by Install-WindowsFeature, an update by wusa). */
  readonly onNextBoot: Array<() => void> = [];
  /** Bytes SFTP WRITE requests have stored on this server (to see what a resumed upload re-sent). */
  sftpBytesWritten = 0;
  /** Restarts asked for by the restart-host script. */
  restartsRequested = 0;
  /** The package path each wusa.exe run received as its first argument (fix-install-hotfix). */
  wusaPackages: string[] = [];
  /** Restarts the server went through (asked for, started by msiexec 1641, or by a fix). */
  restarts = 0;
  /**
   * A Failover Clustering change Windows finishes at the next restart: `install` (asked for while
   * a restart was already pending) or `uninstall` (the feature shows as installed until then).
   */
  clusterFeaturePending: 'install' | 'uninstall' | null = null;
  bootedAt: number;
  readonly faults: LabFaults;
  private endpoint: HostEndpoint | null = null;
  private refusing = false;
  /** Settles once the port is in the state `refusing` says. */
  private listening: Promise<void> = Promise.resolve();
  private world: LabWorld | null = null;
  /** Each adapter's addresses as the profile gave them, for {@link restoreAddresses}. */
  private readonly profileAddresses: HostProfile['nics'][number]['ipv4'][];

  constructor(
    readonly profile: HostProfile,
    root: string,
    sharedPassword: string,
  ) {
    super();
    this.name = profile.computerName;
    this.drive = new DriveC(root);
    this.accounts = profile.accounts.map((a) => ({
      username: a.username,
      password: a.password ?? sharedPassword,
      admin: a.admin,
    }));
    this.vms = profile.vms.map((vm) => ({
      name: vm.name,
      state: vm.state,
      memoryBytes: vm.memoryGiB * 1024 ** 3,
      processorCount: vm.processorCount,
      generation: vm.generation,
    }));
    this.profileAddresses = profile.nics.map((n) => structuredClone(n.ipv4));
    this.bootedAt = Date.now() - profile.uptimeHours * 3600_000;
    this.pendingReboot = profile.pendingReboot;
    for (const file of profile.stagedUpdates) {
      // A cabinet header is enough for the lab's wusa.exe; the name carries the KB number.
      this.writeFile(`C:\\ProgramData\\Twinlock\\updates\\${file}`, Buffer.from(`MSCF\0\0\0\0${file}`));
    }
    const updateListening = (): void => void this.updateListening();
    let refuse = false;
    this.faults = {
      get refuseConnections() {
        return refuse;
      },
      set refuseConnections(value: boolean) {
        refuse = value;
        updateListening();
      },
      badPasswordAlways: false,
      connectDelayMs: 0,
      cutUploadAfterBytes: null,
      diskFull: false,
      corruptUploads: false,
      msiExitCodes: [],
      rebootSeconds: 90,
      serviceWontStart: false,
      syncLinkDown: false,
      cutLinks: [],
      drillTakeoverFails: false,
      witnessUnreachable: false,
      witnessShareReadOnly: false,
      clusterNamesTaken: [],
      addressesInUse: [],
      dropsOutOfCluster: false,
      protectFails: [],
      ctlDelaySeconds: {},
      clockSkewSeconds: profile.clockSkewSeconds,
      inventoryErrors: {},
      rotateHostKey: () => this.rotateHostKey(),
    };
  }

  /** Called once the SSH endpoint listens. */
  attach(endpoint: HostEndpoint, world: LabWorld): void {
    this.endpoint = endpoint;
    this.world = world;
  }

  /** The world this server is in once it listens (its clock, its peers, its clusters and directory), or null. */
  labWorld(): LabWorld | null {
    return this.world;
  }

  /** What `twinlockctl status --json` would answer now, or null when the agent is not installed. */
  agentStatus(): Record<string, unknown> | null {
    return this.agent && this.world ? agentStatus(this, this.world) : null;
  }

  /** What Get-VM shows for a VM here now (a protected VM follows its pair's failovers); null when there is none. */
  vmState(name: string): VmState['state'] | null {
    if (!this.world) return this.vms.find((v) => v.name === name)?.state ?? null;
    return visibleVmState(this, this.world, name);
  }

  get port(): number {
    return this.endpoint?.port ?? 0;
  }

  /** The loopback address the server listens on. */
  get address(): string {
    return this.endpoint?.address ?? this.world?.address ?? '127.0.0.1';
  }

  get fingerprint(): string {
    return this.endpoint?.fingerprint ?? '';
  }

  /** Replaces the host key; returns the new `SHA256:` fingerprint. */
  rotateHostKey(): string {
    if (!this.endpoint) throw new Error(`${this.name} is not listening`);
    return this.endpoint.rotateHostKey();
  }

  /** True while the server reboots or is powered off (from its `down` event to its `up` event). */
  isDown(): boolean {
    return this.down;
  }

  /** Resolves once the server is down (now, or at its next `down` event). */
  whenDown(): Promise<void> {
    return this.until('down', () => this.isDown());
  }

  /** Resolves once the server is up (now, or at its next `up` event). */
  whenUp(): Promise<void> {
    return this.until('up', () => this.upAndListening);
  }

  /**
   * Settles once the port listens or refuses as the server's state and `refuseConnections` say
   * (reopening the port after a change takes a moment).
   */
  whenListening(): Promise<void> {
    return this.listening;
  }

  /** Resolves once `holds()` is true, checking it now and after each `event`. */
  until<E extends keyof LabHostEvents>(event: E, holds: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      if (holds()) return resolve();
      const check = (): void => {
        if (!holds()) return;
        this.off(event, check as never);
        resolve();
      };
      this.on(event, check as never);
    });
  }

  /** The server's clock (real time plus any injected skew). */
  now(): number {
    return Date.now() + this.faults.clockSkewSeconds * 1000;
  }

  /**
   * Restarts the server: connections drop, the port refuses for `faults.rebootSeconds` of lab
   * time, then the server is back with no reboot pending and its services started.
   */
  reboot(realMs: number): void {
    this.restarts++;
    const clock = this.world?.clock;
    this.downUntil = (clock?.now() ?? Date.now()) + realMs;
    this.goDown();
    const until = this.downUntil;
    const back = (): void => {
      // Powered off or restarted again meanwhile: that outage ends the server's downtime, not this one.
      if (this.downUntil !== until) return;
      this.down = false;
      this.pendingReboot = false;
      this.bootedAt = Date.now();
      for (const apply of this.onNextBoot.splice(0)) apply();
      for (const svc of this.services.values()) if (svc.startType === 'Automatic') svc.status = 'Running';
      this.comeUp();
    };
    if (clock) clock.after(realMs, back);
    else setTimeout(back, realMs).unref();
  }

  /**
   * Cuts the power: connections drop, the port refuses, the agent stops answering (its peer then
   * reports `failed-over`, or `broken` mid-pairing) until {@link powerOn}.
   */
  powerOff(): void {
    this.downUntil = Number.POSITIVE_INFINITY;
    this.goDown();
  }

  /** Boots a server that was powered off. */
  powerOn(): void {
    this.downUntil = 0;
    this.bootedAt = Date.now();
    this.pendingReboot = false;
    this.comeUp();
  }

  private goDown(): void {
    this.down = true;
    this.upAndListening = false;
    this.endpoint?.dropConnections();
    void this.updateListening();
    this.emit('down');
  }

  /** Back: the port listens again (unless a fault refuses it), then `up`. */
  private comeUp(): void {
    this.down = false;
    const downUntil = this.downUntil;
    void this.updateListening().then(() => {
      // Down again before the port opened: that outage's own `up` follows it.
      if (this.down || this.downUntil !== downUntil) return;
      this.upAndListening = true;
      this.emit('up');
    });
  }

  private updateListening(): Promise<void> {
    const refusing = this.faults.refuseConnections || this.isDown();
    if (refusing === this.refusing) return this.listening;
    this.refusing = refusing;
    this.listening = this.endpoint?.setRefusing(refusing) ?? Promise.resolve();
    return this.listening;
  }

  /**
   * Where Windows OpenSSH reads an account's authorized public keys: administrators share
   * C:\ProgramData\ssh\administrators_authorized_keys (sshd_config's Match Group administrators);
   * other accounts use their profile's .ssh\authorized_keys.
   */
  authorizedKeysPath(account: LabAccount): string {
    return account.admin
      ? 'C:\\ProgramData\\ssh\\administrators_authorized_keys'
      : `C:\\Users\\${account.username}\\.ssh\\authorized_keys`;
  }

  /** The public keys (OpenSSH one-line form) an account may log on with. */
  authorizedKeys(account: LabAccount): string[] {
    const path = this.authorizedKeysPath(account);
    if (!this.fileExists(path)) return [];
    return this.readFile(path)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  }

  /** The local file standing for a Windows path, or null when outside C:\. */
  localPath(windowsPath: string): string | null {
    return this.drive.resolve(windowsPath);
  }

  fileExists(windowsPath: string): boolean {
    const p = this.localPath(windowsPath);
    return p !== null && existsSync(p) && statSync(p).isFile();
  }

  readFile(windowsPath: string): Buffer {
    const p = this.localPath(windowsPath);
    if (!p) throw new Error(`${windowsPath} is outside C:\\`);
    return readFileSync(p);
  }

  writeFile(windowsPath: string, data: Buffer | string): void {
    const p = this.localPath(windowsPath);
    if (!p) throw new Error(`${windowsPath} is outside C:\\`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }

  /** Every file on the drive, as Windows paths (e.g. `C:\ProgramData\Twinlock\packages\x.msi`). */
  listFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else out.push(`C:\\${relative(this.drive.root, full).split(/[\\/]/).join('\\')}`);
      }
    };
    walk(this.drive.root);
    return out.sort();
  }

  /** Installed products (uninstall registry entries). */
  installedProducts(): InstalledProduct[] {
    return [...this.products.values()];
  }

  /** The account for a user name as Windows accepts it (`user`, `.\user`, `HOST\user`, `DOMAIN\user`, `user@domain`). */
  account(username: string): LabAccount | undefined {
    let user = username;
    const slash = user.lastIndexOf('\\');
    if (slash >= 0) {
      const prefix = user.slice(0, slash).toLowerCase();
      const allowed = [
        '.',
        this.name.toLowerCase(),
        this.profile.domain.toLowerCase(),
        this.profile.domain.split('.')[0]!.toLowerCase(),
      ];
      if (!allowed.includes(prefix)) return undefined;
      user = user.slice(slash + 1);
    } else if (user.includes('@')) {
      const [u, d] = user.split('@');
      if (d?.toLowerCase() !== this.profile.domain.toLowerCase()) return undefined;
      user = u ?? '';
    }
    return this.accounts.find((a) => a.username.toLowerCase() === user.toLowerCase());
  }

  /**
   * Gives every adapter back the addresses its profile gave it (set-link-address and
   * remove-link-address change `profile.nics[].ipv4`), and forgets the record of the addresses
   * Twinlock added (`C:\ProgramData\Twinlock\link-addresses.json`), which no longer holds.
   */
  restoreAddresses(): void {
    this.profile.nics.forEach((n, i) => {
      n.ipv4 = structuredClone(this.profileAddresses[i] ?? []);
    });
    const record = this.localPath('C:\\ProgramData\\Twinlock\\link-addresses.json');
    if (record) rmSync(record, { force: true });
    this.emit('addresses');
  }

  /** Adds (or replaces) a local account, e.g. a non-administrator for a `not-admin` test. */
  addAccount(account: LabAccount): void {
    const i = this.accounts.findIndex((a) => a.username.toLowerCase() === account.username.toLowerCase());
    if (i >= 0) this.accounts.splice(i, 1);
    this.accounts.push(account);
  }
}
