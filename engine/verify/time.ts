/** Time rules: the two servers must agree on the time, and on how they show it. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, shown } from './rule';

/** Skew tolerated between the servers (measurement over SSH is good to about a second). */
export const SKEW_TOLERANCE_SECONDS = 5;
/** Kerberos refuses tickets beyond five minutes of skew. */
export const KERBEROS_SKEW_SECONDS = 300;

/**
 * Seconds server B's clock is ahead of server A's: from the offsets the engine measured against
 * this workstation, else from the two readings (taken in parallel).
 */
export function clockSkewSeconds(a: HostInventory, b: HostInventory): number {
  if (a.clockOffsetSeconds !== null && b.clockOffsetSeconds !== null)
    return b.clockOffsetSeconds - a.clockOffsetSeconds;
  const [x, y] = [Date.parse(a.collectedAt), Date.parse(b.collectedAt)];
  return Number.isNaN(x) || Number.isNaN(y) ? 0 : (y - x) / 1000;
}

function offsetText(seconds: number | null): string {
  if (seconds === null) return 'Not measured';
  const s = Math.round(seconds);
  return s === 0 ? 'On time' : `${Math.abs(s)} s ${s > 0 ? 'ahead' : 'behind'}`;
}

/** The clocks agree. */
export const timeSkew: RuleDef = {
  id: 'time.skew',
  category: 'Time',
  title: 'Clock difference',
  severity: { 1: 'warning', 2: 'blocker', 3: 'blocker' },
  reason:
    'The servers timestamp every mirrored operation, and past five minutes Kerberos refuses logons between them.',
  remedy:
    'Resynchronise the clocks: both servers should take their time from the domain (w32tm /resync) or from the same NTP source.',
  fixId: 'resync-time',
  passReason: 'The two clocks agree within 5 seconds.',
  check: (a, b) => {
    const skew = clockSkewSeconds(a, b);
    const ok = Math.abs(skew) <= SKEW_TOLERANCE_SECONDS;
    // The server further from this workstation's clock is the one to correct.
    const off = (h: HostInventory) => Math.abs(h.clockOffsetSeconds ?? 0);
    const fixOn: Array<0 | 1> =
      a.clockOffsetSeconds === null || b.clockOffsetSeconds === null
        ? [skew > 0 ? 1 : 0]
        : [off(b) >= off(a) ? 1 : 0];
    return {
      ok,
      values: [
        offsetText(a.clockOffsetSeconds),
        `${offsetText(b.clockOffsetSeconds)} (${Math.round(Math.abs(skew))} s apart)`,
      ],
      ...(Math.abs(skew) >= KERBEROS_SKEW_SECONDS ? { severity: 'blocker' as const } : {}),
      fixOn,
    };
  },
};

/** Same time zone. */
export const timeZone: RuleDef = {
  id: 'time.zone',
  category: 'Time',
  title: 'Time zone',
  severity: atEveryLevel('warning'),
  reason:
    'VMs take their clock from the host, so a VM that moves to a server in another time zone jumps in time.',
  remedy: 'Set the same time zone on both servers (Settings → Time & language, or Set-TimeZone).',
  fixId: null,
  passReason: 'Both servers use the same time zone.',
  check: (a, b) => ({
    ok: a.os.timeZone === '' || b.os.timeZone === '' || a.os.timeZone === b.os.timeZone,
    values: [shown(a.os.timeZone), shown(b.os.timeZone)],
  }),
};

/** Every time rule, in report order. */
export const timeRules: RuleDef[] = [timeSkew, timeZone];
