import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../../../engine/store/data-dir';

describe('resolveDataDir', () => {
  it('prefers TWINLOCK_HOME on every platform', () => {
    expect(resolveDataDir({ TWINLOCK_HOME: '/tmp/tl' }, 'linux', '/home/a')).toBe('/tmp/tl');
    expect(resolveDataDir({ TWINLOCK_HOME: 'D:\\tl', APPDATA: 'C:\\x' }, 'win32', 'C:\\Users\\a')).toBe(
      'D:\\tl',
    );
  });

  it('uses %APPDATA%\\Twinlock on Windows', () => {
    expect(resolveDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Roaming\\Twinlock',
    );
    expect(resolveDataDir({}, 'win32', 'C:\\Users\\a')).toBe('C:\\Users\\a\\AppData\\Roaming\\Twinlock');
  });

  it('uses Application Support on macOS', () => {
    expect(resolveDataDir({}, 'darwin', '/Users/a')).toBe('/Users/a/Library/Application Support/Twinlock');
  });

  it('follows XDG on Linux, ignoring a relative XDG_DATA_HOME', () => {
    expect(resolveDataDir({ XDG_DATA_HOME: '/data/a' }, 'linux', '/home/a')).toBe('/data/a/twinlock');
    expect(resolveDataDir({}, 'linux', '/home/a')).toBe('/home/a/.local/share/twinlock');
    expect(resolveDataDir({ XDG_DATA_HOME: 'rel' }, 'linux', '/home/a')).toBe(
      '/home/a/.local/share/twinlock',
    );
  });

  it('ignores an empty TWINLOCK_HOME', () => {
    expect(resolveDataDir({ TWINLOCK_HOME: '' }, 'linux', '/home/a')).toBe('/home/a/.local/share/twinlock');
  });
});
