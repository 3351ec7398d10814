/** Where Twinlock keeps its files on the admin's workstation. */
import { homedir } from 'node:os';
import { join, win32, posix } from 'node:path';

/**
 * The per-user data folder: `$TWINLOCK_HOME` when set (tests, portable installs), else the
 * platform's own place — `%APPDATA%\Twinlock` on Windows, `~/Library/Application Support/Twinlock`
 * on macOS, `$XDG_DATA_HOME/twinlock` or `~/.local/share/twinlock` elsewhere.
 * The folder is not created here; writers create it on first write.
 */
export function resolveDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const explicit = env.TWINLOCK_HOME?.trim();
  if (explicit) return explicit;
  // Every platform but Windows and macOS keeps its data where XDG says.
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check
  switch (platform) {
    case 'win32': {
      const appData = env.APPDATA?.trim() || win32.join(home, 'AppData', 'Roaming');
      return win32.join(appData, 'Twinlock');
    }
    case 'darwin':
      return posix.join(home, 'Library', 'Application Support', 'Twinlock');
    default: {
      // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
      const xdg = env.XDG_DATA_HOME?.trim();
      if (xdg && xdg.startsWith('/')) return join(xdg, 'twinlock');
      return join(home, '.local', 'share', 'twinlock');
    }
  }
}
