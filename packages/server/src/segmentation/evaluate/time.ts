/**
 * Time in the engine: `occurs` (and a chain's `WHEN`) compiled to bounds resolved once per
 * evaluation, time words and date literals as values, the clock functions (`currentMonth()`...),
 * date parts (`getYear()`...), and the change notes that feed `nextChangeAt`. The calendar rules
 * are `pql/time.ts`'s; nothing here redefines them.
 *
 * Change notes (`nextChangeAt`): a window measured from a period (`today`, `last week`,
 * `< 3 days before today`) can only change when that period rolls over, so it notes the rollover;
 * a window measured from `now` notes, for each timestamp it checks, the instants at which `now`
 * carries one of the window's edges across that timestamp.
 *
 * @example
 *   const check = compileOccurs(parseOrThrow('ts occurs < 3 hours before now'), env, compiler);
 */
import type { Expr, Occurs, TimeConstraint, TimeUnit } from '../pql/ast.ts';
import { addUnits, anchorInterval, dateLiteralInterval, DAY_MS, MAX_UNIT_MS, periodInterval, startOfUnit, type ResolvedConstraint, type TimeInterval } from '../pql/time.ts';
import { constraintBounds, inBounds, type Bounds } from './bounds.ts';
import { noteChange, type CompileEnv, type Compiler, type Evaluator, type Frame } from './frame.ts';
import { instantOf, TimeValue, type PqlValue } from './values.ts';

/** How a time in a constraint depends on the clock. */
type TimeRef =
  | { kind: 'now' }
  | { kind: 'clock'; interval: (now: number) => TimeInterval; rollsAt: (now: number) => number }
  | { kind: 'fixed'; interval: TimeInterval }
  | { kind: 'dynamic'; value: Evaluator };

const nextMidnight = (now: number) => startOfUnit(now, 'day') + DAY_MS;

function timeRefOf(node: Expr, env: CompileEnv, compiler: Compiler): TimeRef {
  if (node.nodeType === 'timeAnchor') {
    if (node.anchor === 'now') return { kind: 'now' };
    const anchor = node.anchor;
    return { kind: 'clock', interval: (now) => anchorInterval(anchor, now), rollsAt: nextMidnight };
  }
  if (node.nodeType === 'timePeriod') {
    const { relation, unit } = node;
    return { kind: 'clock', interval: (now) => periodInterval(relation, unit, now), rollsAt: (now) => addUnits(startOfUnit(now, unit), unit, 1) };
  }
  if (node.nodeType === 'literal' && (node.literalType === 'Date' || node.literalType === 'DateTime')) {
    return { kind: 'fixed', interval: dateLiteralInterval(node.literalType, node.value) };
  }
  return { kind: 'dynamic', value: compiler.compile(node, env) };
}

/** The interval of a time at evaluation, or null when it is not a time. */
function resolveRef(ref: TimeRef, f: Frame): TimeInterval | null {
  switch (ref.kind) {
    case 'now': return { start: f.now, end: f.now, instant: true };
    case 'clock':
      noteChange(f, ref.rollsAt(f.now));
      return ref.interval(f.now);
    case 'fixed': return ref.interval;
    case 'dynamic': {
      const v: PqlValue = ref.value(f);
      if (v instanceof TimeValue) return v;
      const ms = instantOf(v);
      return ms === null ? null : { start: ms, end: ms, instant: true };
    }
  }
}

/** A compiled constraint: its bounds at evaluation (null: a time is not a time) and how `now` moves them. */
export interface CompiledConstraint {
  bounds: (f: Frame) => Bounds | null;
  /** Unit offsets whose edges move with `now` (`[0, -3, -2]` days for `< 3 days before now`), or null. */
  nowEdges: { unit: TimeUnit; offsets: number[] } | null;
}

/**
 * Compiles an `occurs`/`WHEN` constraint. Times that do not depend on the data (time words,
 * periods, date literals) are resolved once per instant and shared by identical constraints.
 */
export function compileConstraint(c: TimeConstraint, env: CompileEnv, compiler: Compiler): CompiledConstraint {
  const refs = c.kind === 'between' ? [timeRefOf(c.from, env, compiler), timeRefOf(c.to, env, compiler)] : [timeRefOf(c.time, env, compiler)];
  const resolve = (f: Frame): Bounds | null => {
    const intervals: TimeInterval[] = [];
    for (const ref of refs) {
      const interval = resolveRef(ref, f);
      if (interval === null) return null;
      intervals.push(interval);
    }
    return constraintBounds(withIntervals(c, intervals));
  };
  const usesNow = refs.some((r) => r.kind === 'now');
  let nowEdges: CompiledConstraint['nowEdges'] = null;
  if (usesNow) {
    nowEdges = { unit: 'millisecond', offsets: [0] };
    if (c.kind === 'distance') {
      const sign = c.direction === 'before' ? -1 : 1;
      const exact = c.comparison === '=' || c.comparison === '!=';
      nowEdges = { unit: c.unit, offsets: exact ? [0, sign * c.amount, sign * (c.amount - 1)] : [0, sign * c.amount] };
    }
  }
  if (refs.some((r) => r.kind === 'dynamic')) return { bounds: resolve, nowEdges };
  // No time depends on the data: the bounds are a function of the clock alone, shared by every
  // compiled constraint of the same form (100 audiences with `WHEN(today)` resolve it once per
  // instant). The recording run of `nextChangeAt` still notes each period's rollover.
  const shared = sharedBounds(c, resolve);
  const rollovers = refs.flatMap((r) => (r.kind === 'clock' ? [r.rollsAt] : []));
  const bounds = rollovers.length === 0
    ? (f: Frame): Bounds | null => shared(f)
    : (f: Frame): Bounds | null => {
        if (f.recorder !== null) for (const rollsAt of rollovers) noteChange(f, rollsAt(f.now));
        return shared(f);
      };
  return { bounds, nowEdges };
}

/** The last instant's bounds of one constraint form. */
interface BoundsAtInstant {
  now: number;
  bounds: Bounds | null;
  resolve: (f: Frame) => Bounds | null;
}

const SHARED_BOUNDS = new Map<string, BoundsAtInstant>();
const SHARED_BOUNDS_LIMIT = 10_000;

/** Bounds of a clock-only constraint, resolved once per instant and shared by identical forms. */
function sharedBounds(c: TimeConstraint, resolve: (f: Frame) => Bounds | null): (f: Frame) => Bounds | null {
  const form = JSON.stringify(c, (key, value: unknown) => (key === 'span' ? undefined : value));
  let entry = SHARED_BOUNDS.get(form);
  if (entry === undefined) {
    entry = { now: NaN, bounds: null, resolve };
    if (SHARED_BOUNDS.size < SHARED_BOUNDS_LIMIT) SHARED_BOUNDS.set(form, entry);
  }
  const e = entry;
  return (f) => {
    if (e.now !== f.now) {
      e.bounds = e.resolve(f);
      e.now = f.now;
    }
    return e.bounds;
  };
}

function withIntervals(c: TimeConstraint, t: TimeInterval[]): ResolvedConstraint {
  switch (c.kind) {
    case 'on': return { kind: 'on', time: t[0] };
    case 'direction': return { kind: 'direction', direction: c.direction, time: t[0] };
    case 'distance': return { kind: 'distance', comparison: c.comparison, amount: c.amount, unit: c.unit, direction: c.direction, time: t[0] };
    case 'between': return { kind: 'between', from: t[0], to: t[1] };
  }
}

/**
 * Whether timestamp `ts` meets a compiled constraint now; notes change instants when recording.
 *
 * @example
 *   constraintHolds(compiled, frame, Date.parse('2025-06-18T12:00:00Z'));
 */
export function constraintHolds(c: CompiledConstraint, f: Frame, ts: number): boolean {
  const b = c.bounds(f);
  if (b === null) return false;
  if (f.recorder !== null && c.nowEdges !== null) noteNowEdges(f, ts, c.nowEdges.unit, c.nowEdges.offsets);
  return inBounds(b, ts);
}

function noteNowEdges(f: Frame, ts: number, unit: TimeUnit, offsets: number[]): void {
  for (const k of offsets) {
    if (k === 0 || MAX_UNIT_MS[unit] <= 7 * DAY_MS) {
      // A fixed unit: the edge is now + k units, so it reaches ts at ts - k units (and passes it 1 ms later).
      const t = ts - k * MAX_UNIT_MS[unit];
      noteChange(f, t);
      noteChange(f, t + 1);
    } else {
      noteCalendarEdges(f, ts, unit, k);
    }
  }
}

/**
 * Months and longer: the edge `addUnits(now, unit, k)` is not monotone in now (clamping to a
 * month's end keeps the time of day, so on the 29th-31st the edge jumps back to the start of
 * the shorter month's last day). Day by day it is `now + c` for a constant c, so each day's
 * crossings of ts (and ts + 1) are exact, and a midnight where the edge jumps across ts is noted
 * too. Only the eight days around the estimate can hold a crossing (clamping moves a date by at
 * most three days).
 */
function noteCalendarEdges(f: Frame, ts: number, unit: TimeUnit, k: number): void {
  const estimate = startOfUnit(addUnits(ts, unit, -k), 'day');
  for (let day = estimate - 4 * DAY_MS; day <= estimate + 4 * DAY_MS; day += DAY_MS) {
    const shift = addUnits(day, unit, k) - day;
    for (const target of [ts, ts + 1]) {
      const t = target - shift;
      if (t >= day && t < day + DAY_MS) noteChange(f, t);
      if (addUnits(day, unit, k) >= target !== addUnits(day - 1, unit, k) >= target) noteChange(f, day);
    }
  }
}

/** Compiles `timestamp occurs <constraint>`: false when the subject is not a time. */
export function compileOccurs(node: Occurs, env: CompileEnv, compiler: Compiler): Evaluator {
  const subject = compiler.compile(node.timestamp, env);
  const constraint = compileConstraint(node.constraint, env, compiler);
  return (f) => {
    const ts = instantOf(subject(f));
    return ts !== null && constraintHolds(constraint, f, ts);
  };
}

/** Compiles a time word or period used as a value: a `TimeValue` (a period stands for its first instant in comparisons). */
export function compileTimeValue(node: Expr, env: CompileEnv, compiler: Compiler): Evaluator {
  const ref = timeRefOf(node, env, compiler);
  if (ref.kind === 'fixed') {
    const value = new TimeValue(ref.interval.start, ref.interval.end, ref.interval.instant);
    return () => value;
  }
  return (f) => {
    const interval = resolveRef(ref, f);
    return interval === null ? null : new TimeValue(interval.start, interval.end, interval.instant);
  };
}

type DatePart = 'getYear' | 'getMonth' | 'getDayOfMonth';

/** `ts.getYear()`, `getMonth()` (1-12), `getDayOfMonth()`, in UTC; null when not a time. */
export function compileDatePart(part: DatePart, receiver: Evaluator): Evaluator {
  return (f) => {
    const ms = instantOf(receiver(f));
    if (ms === null || !Number.isFinite(ms)) return null;
    const d = new Date(ms);
    return part === 'getYear' ? d.getUTCFullYear() : part === 'getMonth' ? d.getUTCMonth() + 1 : d.getUTCDate();
  };
}

type ClockFunction = 'currentYear' | 'currentMonth' | 'currentDayOfMonth';

/** `currentYear()`, `currentMonth()`, `currentDayOfMonth()` of now (UTC); notes the next rollover. */
export function compileClock(name: ClockFunction): Evaluator {
  const unit: TimeUnit = name === 'currentYear' ? 'year' : name === 'currentMonth' ? 'month' : 'day';
  return (f) => {
    if (f.recorder !== null) noteChange(f, addUnits(startOfUnit(f.now, unit), unit, 1));
    const d = new Date(f.now);
    return name === 'currentYear' ? d.getUTCFullYear() : name === 'currentMonth' ? d.getUTCMonth() + 1 : d.getUTCDate();
  };
}
