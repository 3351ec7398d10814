/**
 * Verbose Windows Installer logs (`/l*v`) as msiexec writes them: UTF-16LE with a BOM and CRLF,
 * client (c) and server (s) lines with process:thread ids and timestamps, the property dump near
 * the end, and the closing "Installation success or error status" line.
 */

export interface MsiLogFacts {
  action: 'install' | 'uninstall';
  packagePath: string;
  productName: string;
  productCode: string;
  version: string;
  manufacturer: string;
  exitCode: number;
  /** The error lines that explain a failure (empty on success). */
  errorLines: string[];
  properties: string[];
  startedAt: Date;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function clock(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}:${pad(d.getMilliseconds(), 3)}`;
}

function date(d: Date): string {
  return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${d.getFullYear()}  ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The log text (before encoding). */
export function msiLogText(f: MsiLogFacts): string {
  let t = f.startedAt.getTime();
  const at = (): Date => new Date((t += 37));
  const c = (msg: string): string => `MSI (c) (A4:18) [${clock(at())}]: ${msg}`;
  const s = (msg: string): string => `MSI (s) (7C:44) [${clock(at())}]: ${msg}`;
  const ok = f.exitCode === 0 || f.exitCode === 3010 || f.exitCode === 1641;
  const installing = f.action === 'install';
  const lines: string[] = [
    `=== Verbose logging started: ${date(f.startedAt)}  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===`,
    c('Resetting cached policy values'),
    c("Machine policy value 'Debug' is 0"),
    c('******* RunEngine:'),
    c(`           ******* Product: ${installing ? f.packagePath : f.productCode}`),
    c(`           ******* Action: `),
    c(`           ******* CommandLine: **********`),
    c('Client-side and UI is none or basic: Running entire install on the server.'),
    c('Grabbed execution mutex.'),
  ];
  if (f.exitCode === 1618) {
    lines.splice(lines.length - 1, 1, c('Failed to grab execution mutex. System error 258.'));
    lines.push(
      c(
        'Another installation is in progress. Complete that installation before proceeding with this install.',
      ),
      c('MainEngineThread is returning 1618'),
      `=== Verbose logging stopped: ${date(at())} ===`,
    );
    return `${lines.join('\r\n')}\r\n`;
  }
  lines.push(
    c('Cloaking enabled.'),
    c('Attempting to enable all disabled privileges before calling Install on Server'),
    s(
      'Running installation inside multi-package transaction ' + (installing ? f.packagePath : f.productCode),
    ),
    s('Grabbed execution mutex.'),
    s(`Note: 1: 2205 2:  3: Error`),
    s(`SRSetRestorePoint skipped for this transaction.`),
    s(`Doing action: INSTALL`),
    `Action start ${clock(at()).slice(0, 8)}: INSTALL.`,
    s(`Doing action: LaunchConditions`),
    `Action ended ${clock(at()).slice(0, 8)}: LaunchConditions. Return value ${f.exitCode === 1603 && f.errorLines.some((l) => l.includes('requires')) ? 3 : 1}.`,
    s(`Doing action: FindRelatedProducts`),
    s(`Doing action: CostInitialize`),
    s(`Doing action: InstallValidate`),
    s(`Doing action: InstallInitialize`),
    s(
      `Executing op: ProductInfo(ProductKey=${f.productCode},ProductName=${f.productName},PackageName=${f.packagePath.split('\\').pop()},Language=1033,Version=${f.version},Assignment=1)`,
    ),
    installing
      ? s('Executing op: ServiceInstall(Name=TwinlockAgent,DisplayName=Twinlock Agent,StartType=2)')
      : s('Executing op: ServiceControl(,Name=TwinlockAgent,Action=2,Wait=1,)'),
    installing
      ? s('Executing op: ServiceControl(,Name=TwinlockAgent,Action=1,Wait=1,)')
      : s('Executing op: ServiceInstall(Name=TwinlockAgent,Action=delete)'),
    installing ? 'StartServices: Service: TwinlockAgent' : 'DeleteServices: Service: TwinlockAgent',
    ...f.errorLines.map((l) => s(l)),
  );
  if (!ok) {
    lines.push(
      ...f.errorLines.slice(0, 1).map((l) => s(`Product: ${f.productName} -- ${l}`)),
      `Action ended ${clock(at()).slice(0, 8)}: InstallFinalize. Return value 3.`,
      s('Executing op: Rollback'),
      'Rollback: Installing new services',
      s('Note: 1: 2265 2:  3: -2147287035'),
      `Action ended ${clock(at()).slice(0, 8)}: INSTALL. Return value 3.`,
    );
  } else {
    lines.push(
      `Action ended ${clock(at()).slice(0, 8)}: InstallFinalize. Return value 1.`,
      `Action ended ${clock(at()).slice(0, 8)}: INSTALL. Return value 1.`,
    );
  }
  lines.push(...f.properties.map((p) => `Property(S): ${p}`));
  const verb = installing ? 'Installation' : 'Removal';
  lines.push(
    s(
      ok
        ? `Product: ${f.productName} -- ${verb} completed successfully.`
        : `Product: ${f.productName} -- ${verb} failed.`,
    ),
    s(
      `Windows Installer ${installing ? 'installed' : 'removed'} the product. Product Name: ${f.productName}. Product Version: ${f.version}. Product Language: 1033. Manufacturer: ${f.manufacturer}. ${verb} success or error status: ${f.exitCode}.`,
    ),
  );
  if (f.exitCode === 3010 || f.exitCode === 1641) {
    lines.push(
      s(
        `Windows Installer requires a system restart. Product Name: ${f.productName}. Product Version: ${f.version}. Product Language: 1033. Manufacturer: ${f.manufacturer}. Type of System Restart: ${f.exitCode === 1641 ? 1 : 2}. Reason for Restart: 1.`,
      ),
    );
  }
  lines.push(
    s(`MainEngineThread is returning ${f.exitCode}`),
    `=== Verbose logging stopped: ${date(at())} ===`,
  );
  return `${lines.join('\r\n')}\r\n`;
}

/** The log file's bytes: UTF-16LE with a byte-order mark, as msiexec writes it. */
export function encodeMsiLog(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}
