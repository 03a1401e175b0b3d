/**
 * PQL time semantics as pure functions, so every engine draws the same boundaries: UTC
 * calendar arithmetic, the interval a time word denotes (`today`, `last week`, `date(...)`),
 * timestamp parsing, and what each `occurs` form accepts. The SQL compiler mirrors these rules;
 * the in-memory evaluator can call them directly. The rules are written out in `docs/pql.md`.
 *
 * @example
 *   const now = Date.parse('2025-06-18T15:00:00Z');
 *   const lastWeek = periodInterval('last', 'week', now);  // Mon 2025-06-09 00:00 → Mon 2025-06-16 00:00
 *   occursIn(Date.parse('2025-06-10T08:00:00Z'), { kind: 'on', time: lastWeek });  // true
 */
import type { Comparison, TimeDirection, TimeUnit } from './ast.ts';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const FIXED_UNIT_MS: Partial<Record<TimeUnit, number>> = { millisecond: 1, second: SECOND_MS, minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS };
const MONTHS_PER_UNIT: Partial<Record<TimeUnit, number>> = { month: 1, year: 12, decade: 120, century: 1200, millennium: 12000 };

/** The longest a unit can last, for upper bounds (a month ≤ 31 days, a year ≤ 366 days...). */
export const MAX_UNIT_MS: Record<TimeUnit, number> = {
  millisecond: 1, second: SECOND_MS, minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS,
  month: 31 * DAY_MS, year: 366 * DAY_MS, decade: 3653 * DAY_MS, century: 36525 * DAY_MS, millennium: 365243 * DAY_MS,
};

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Epoch milliseconds of a UTC calendar time (month 1-12), valid for years 0-99 too. */
export function utcTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/**
 * Adds `n` units (negative to subtract); `addUnits(Date.parse('2025-03-31T12:00:00Z'), 'month', -1)` is 28 February 12:00. Months and longer move the calendar month and keep the
 * day of month, clamped to the target month's length (31 March − 1 month = 28/29 February).
 */
export function addUnits(ms: number, unit: TimeUnit, n: number): number {
  const fixed = FIXED_UNIT_MS[unit];
  if (fixed !== undefined) return ms + n * fixed;
  const d = new Date(ms);
  const totalMonths = d.getUTCFullYear() * 12 + d.getUTCMonth() + n * (MONTHS_PER_UNIT[unit] ?? 1);
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12 + 1;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
  return utcTime(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/**
 * Start of the calendar unit containing `ms`: weeks start on Monday; a decade is 2020-2029, a
 * century 2000-2099, a millennium 2000-2999.
 *
 * @example
 *   startOfUnit(Date.parse('2025-06-18T15:00:00Z'), 'week');  // Monday 2025-06-16 00:00 UTC
 */
export function startOfUnit(ms: number, unit: TimeUnit): number {
  const fixed = FIXED_UNIT_MS[unit];
  if (unit === 'week') {
    const day = Math.floor(ms / DAY_MS) * DAY_MS;
    const mondayOffset = (new Date(day).getUTCDay() + 6) % 7;
    return day - mondayOffset * DAY_MS;
  }
  if (fixed !== undefined) return Math.floor(ms / fixed) * fixed;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (unit === 'month') return utcTime(year, d.getUTCMonth() + 1, 1);
  const span = unit === 'year' ? 1 : unit === 'decade' ? 10 : unit === 'century' ? 100 : 1000;
  return utcTime(year - (((year % span) + span) % span), 1, 1);
}

/** A time as `occurs` sees it: an instant (`start === end`) or a half-open period `[start, end)`. */
export interface TimeInterval {
  start: number;
  end: number;
  instant: boolean;
}

export const instantAt = (ms: number): TimeInterval => ({ start: ms, end: ms, instant: true });

/**
 * `now` is the evaluation instant; `today`, `yesterday`, `tomorrow` are UTC calendar days.
 *
 * @example
 *   anchorInterval('today', Date.parse('2025-06-18T15:00:00Z'));  // [2025-06-18 00:00, 2025-06-19 00:00)
 */
export function anchorInterval(anchor: 'now' | 'today' | 'yesterday' | 'tomorrow', now: number): TimeInterval {
  if (anchor === 'now') return instantAt(now);
  const today = startOfUnit(now, 'day');
  const start = anchor === 'today' ? today : anchor === 'yesterday' ? today - DAY_MS : today + DAY_MS;
  return { start, end: start + DAY_MS, instant: false };
}

/**
 * `this|last|next <unit>`: the calendar unit containing now, the one before, or the one after.
 *
 * @example
 *   periodInterval('last', 'month', Date.parse('2025-06-18T15:00:00Z'));  // [2025-05-01, 2025-06-01)
 */
export function periodInterval(relation: 'this' | 'last' | 'next', unit: TimeUnit, now: number): TimeInterval {
  const current = startOfUnit(now, unit);
  const shift = relation === 'this' ? 0 : relation === 'last' ? -1 : 1;
  return { start: addUnits(current, unit, shift), end: addUnits(current, unit, shift + 1), instant: false };
}

/**
 * `date(y, m, d)` is the whole UTC day; `date(y, m, d, h, mi, s)` one instant.
 *
 * @example
 *   dateLiteralInterval('Date', '2019-12-31');  // [2019-12-31 00:00, 2020-01-01 00:00)
 */
export function dateLiteralInterval(literalType: 'Date' | 'DateTime', value: string): TimeInterval {
  const ms = parseTimestamp(value) ?? NaN;
  return literalType === 'Date' ? { start: ms, end: ms + DAY_MS, instant: false } : instantAt(ms);
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Epoch milliseconds of an ISO-8601 timestamp string, or null. A date alone is midnight UTC; a
 * time without a zone is UTC; `2021-03-10 10:03:08` (space) is accepted. Anything else
 * (numbers included) is not a timestamp.
 *
 * @example
 *   parseTimestamp('2025-06-18T15:00:00+02:00');  // Date.parse('2025-06-18T13:00:00Z')
 */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  }
  return utcTime(y, mo, d, h, mi, s, ms) - offsetMinutes * MINUTE_MS;
}

/** A time constraint with its times already resolved to intervals. */
export type ResolvedConstraint =
  | { kind: 'on'; time: TimeInterval }
  | { kind: 'direction'; direction: TimeDirection; time: TimeInterval }
  | { kind: 'distance'; comparison: Comparison; amount: number; unit: TimeUnit; direction: TimeDirection; time: TimeInterval }
  | { kind: 'between'; from: TimeInterval; to: TimeInterval };

/**
 * Whether timestamp `ts` satisfies an `occurs` constraint:
 * - `on T`: inside the period (or at the instant);
 * - `before T`: before T starts; `after T`: after T ends (after the instant); `from T`: at or after T starts;
 * - `between T1 and T2`: from T1's start through T2's end (T2's instant included);
 * - `<cmp> n units before T`: with ref = T's start and B = ref − n units: `<` B < ts ≤ ref,
 *   `<=` B ≤ ts ≤ ref, `>` ts < B, `>=` ts ≤ B, `=` the n-th unit before ref (B ≤ ts < ref − (n−1) units), `!=` not `=`;
 * - `<cmp> n units after T` (ref = T's end, or the instant) and `from T` (ref = T's start) mirror it:
 *   B = ref + n units; `<` ref ≤ ts < B, `<=` ref ≤ ts ≤ B, `>` ts > B, `>=` ts ≥ B, `=` ref + (n−1) units ≤ ts < B.
 */
export function occursIn(ts: number, c: ResolvedConstraint): boolean {
  switch (c.kind) {
    case 'on': return c.time.instant ? ts === c.time.start : ts >= c.time.start && ts < c.time.end;
    case 'between': return ts >= c.from.start && (c.to.instant ? ts <= c.to.start : ts < c.to.end);
    case 'direction':
      if (c.direction === 'before') return ts < c.time.start;
      if (c.direction === 'from') return ts >= c.time.start;
      return c.time.instant ? ts > c.time.start : ts >= c.time.end;
    case 'distance': {
      if (c.comparison === '!=') return !occursIn(ts, { ...c, comparison: '=' });
      if (c.direction === 'before') {
        const ref = c.time.start;
        const bound = addUnits(ref, c.unit, -c.amount);
        switch (c.comparison) {
          case '<': return bound < ts && ts <= ref;
          case '<=': return bound <= ts && ts <= ref;
          case '>': return ts < bound;
          case '>=': return ts <= bound;
          case '=': return bound <= ts && ts < addUnits(ref, c.unit, -(c.amount - 1));
        }
      }
      const ref = c.direction === 'after' && !c.time.instant ? c.time.end : c.time.start;
      const bound = addUnits(ref, c.unit, c.amount);
      switch (c.comparison) {
        case '<': return ref <= ts && ts < bound;
        case '<=': return ref <= ts && ts <= bound;
        case '>': return ts > bound;
        case '>=': return ts >= bound;
        case '=': return addUnits(ref, c.unit, c.amount - 1) <= ts && ts < bound;
      }
    }
  }
}
