/**
 * What each msiexec exit code means for Twinlock, declared as a table (like a command runner's
 * successExitCodes) so that the install flow never guesses. Codes are Windows Installer's own
 * (https://learn.microsoft.com/windows/win32/msi/error-codes).
 */

/** What to do after msiexec exits. */
export type MsiExitAction =
  /** Installed; the server may need (or may already be doing) a restart. */
  | { kind: 'success'; rebootRequired: boolean; rebootStarted: boolean }
  /** Another installation holds the Windows Installer mutex: wait and run again. */
  | { kind: 'retry' }
  /** Another version of the same product is installed: run again as an in-place upgrade. */
  | { kind: 'upgrade' }
  /** Failed: say why and what to do. */
  | { kind: 'fail'; reason: string; hint: string };

interface MsiExitEntry {
  /** What Windows Installer means by it. */
  meaning: string;
  action: MsiExitAction;
}

const fail = (reason: string, hint: string): MsiExitAction => ({ kind: 'fail', reason, hint });

/** Every exit code Twinlock handles specifically; anything else is a failure with the log tail. */
export const MSI_EXIT_CODES: Readonly<Record<number, MsiExitEntry>> = {
  0: { meaning: 'success', action: { kind: 'success', rebootRequired: false, rebootStarted: false } },
  3010: {
    meaning: 'success, restart required',
    action: { kind: 'success', rebootRequired: true, rebootStarted: false },
  },
  1641: {
    meaning: 'success, restart started by the installer',
    action: { kind: 'success', rebootRequired: true, rebootStarted: true },
  },
  1618: { meaning: 'another installation is in progress', action: { kind: 'retry' } },
  1638: { meaning: 'another version of this product is already installed', action: { kind: 'upgrade' } },
  1603: {
    meaning: 'fatal error during installation',
    action: fail(
      'Windows Installer hit a fatal error (1603)',
      'Read the end of the installer log below; the usual causes are a pending restart, too little disk space, or antivirus blocking the service. Fix the cause and install again.',
    ),
  },
  1602: {
    meaning: 'installation cancelled',
    action: fail(
      'the installation was cancelled on the server (1602)',
      'Install again, and make sure nobody cancels it on the server.',
    ),
  },
  1619: {
    meaning: 'package could not be opened',
    action: fail(
      'Windows Installer could not open the uploaded package (1619)',
      'Install again so that Twinlock uploads the package afresh; check free disk space on C:.',
    ),
  },
  1620: {
    meaning: 'package could not be opened (invalid)',
    action: fail(
      'Windows Installer found the package invalid (1620)',
      'Download the agent package again and install again.',
    ),
  },
  1625: {
    meaning: 'installation prohibited by policy',
    action: fail(
      'a Group Policy on the server forbids installing software (1625)',
      'Ask your domain administrator to allow Windows Installer on this server (policy DisableMSI), then install again.',
    ),
  },
  1633: {
    meaning: 'platform not supported',
    action: fail(
      'this agent package is not made for the server’s platform (1633)',
      'Use the x64 agent package on 64-bit Windows Server.',
    ),
  },
};

/** The action for an msiexec exit code. Pure: unit-tested code by code. */
export function classifyMsiExit(code: number): MsiExitAction {
  const entry = MSI_EXIT_CODES[code];
  if (entry) return entry.action;
  return fail(
    `Windows Installer failed with exit code ${code}`,
    'Read the end of the installer log below for the cause, fix it, and install again.',
  );
}

/** Windows Installer's meaning of a code, for messages. */
export function msiExitMeaning(code: number): string {
  return MSI_EXIT_CODES[code]?.meaning ?? 'unexpected error';
}
