/**
 * How far back from now the events a query looks at can reach: the window each `occurs` form or
 * chain `WHEN` allows, combined through `and` (the narrower) and `or` (the wider). Upper bounds
 * use the longest unit lengths (a month is at most 31 days). Used by the analysis and, through
 * it, by the evaluation-method classifier.
 *
 * @example
 *   const now: Expr = { nodeType: 'timeAnchor', anchor: 'now' };
 *   constraintWindow({ kind: 'distance', comparison: '<', amount: 24, unit: 'hour', direction: 'before', time: now }).lookback;  // 86_400_000
 *   constraintWindow({ kind: 'on', time: { nodeType: 'timeAnchor', anchor: 'yesterday' } }).lookback;  // 172_800_000: yesterday began up to 48 h ago
 */
import type { Expr, TimeConstraint } from './ast.ts';
import type { EventWindow } from './analysis.ts';
import { DAY_MS, MAX_UNIT_MS } from './time.ts';

/** Lookback in ms (Infinity = unbounded), with what bounds it. */
export interface WindowBound {
  lookback: number;
  fixedDates: boolean;
  attributeRelative: boolean;
}

export const NO_WINDOW: WindowBound = { lookback: Infinity, fixedDates: false, attributeRelative: false };

export function toWindow(w: WindowBound): EventWindow {
  return { lookbackMs: Number.isFinite(w.lookback) ? w.lookback : 'unbounded', fixedDates: w.fixedDates, attributeRelative: w.attributeRelative };
}

export function conjunction(parts: WindowBound[]): WindowBound {
  const bounded = parts.filter((p) => Number.isFinite(p.lookback) || p.fixedDates || p.attributeRelative);
  if (bounded.length === 0) return NO_WINDOW;
  return {
    lookback: Math.min(...parts.map((p) => p.lookback)),
    fixedDates: bounded.some((p) => p.fixedDates),
    attributeRelative: bounded.some((p) => p.attributeRelative),
  };
}

function disjunction(a: WindowBound, b: WindowBound): WindowBound {
  return { lookback: Math.max(a.lookback, b.lookback), fixedDates: a.fixedDates || b.fixedDates, attributeRelative: a.attributeRelative || b.attributeRelative };
}

/**
 * The window a predicate imposes on the event it is evaluated for: its `occurs` tests on the
 * event's own fields (`isEventTime` says which subjects those are), through `and` and `or`.
 *
 * @example
 *   windowOf(parseOrThrow('timestamp occurs < 3 days before now and x = 1'), () => true).lookback;  // 3 days in ms
 */
export function windowOf(predicate: Expr, isEventTime: (subject: Expr) => boolean): WindowBound {
  if (predicate.nodeType === 'occurs') return isEventTime(predicate.timestamp) ? constraintWindow(predicate.constraint) : NO_WINDOW;
  if (predicate.nodeType === 'fnApply' && (predicate.fnName === 'and' || predicate.fnName === 'or') && predicate.params.length === 2) {
    const [a, b] = predicate.params.map((p) => windowOf(p, isEventTime));
    return predicate.fnName === 'and' ? conjunction([a, b]) : disjunction(a, b);
  }
  return NO_WINDOW;
}

/** How a time expression relates to now: how long ago its start and its end can be, at most. */
type TimeRef = { kind: 'relative'; startAgo: number; endAgo: number } | { kind: 'fixed' } | { kind: 'attribute' };

function timeRefOf(time: Expr): TimeRef {
  if (time.nodeType === 'timeAnchor') {
    const ago = { now: [0, 0], today: [DAY_MS, 0], yesterday: [2 * DAY_MS, DAY_MS], tomorrow: [0, 0] }[time.anchor];
    return { kind: 'relative', startAgo: ago[0], endAgo: ago[1] };
  }
  if (time.nodeType === 'timePeriod') {
    const unit = MAX_UNIT_MS[time.unit];
    const ago = { this: [unit, 0], last: [2 * unit, unit], next: [0, 0] }[time.relation];
    return { kind: 'relative', startAgo: ago[0], endAgo: ago[1] };
  }
  if (time.nodeType === 'literal' && (time.literalType === 'Date' || time.literalType === 'DateTime')) return { kind: 'fixed' };
  return { kind: 'attribute' };
}

export function constraintWindow(c: TimeConstraint): WindowBound {
  const first = timeRefOf(c.kind === 'between' ? c.from : c.time);
  if (first.kind !== 'relative') return { lookback: Infinity, fixedDates: first.kind === 'fixed', attributeRelative: first.kind === 'attribute' };
  const relative = (lookback: number): WindowBound => ({ lookback, fixedDates: false, attributeRelative: false });
  switch (c.kind) {
    case 'on': case 'between': return relative(first.startAgo);
    case 'direction': return relative(c.direction === 'before' ? Infinity : c.direction === 'after' ? first.endAgo : first.startAgo);
    case 'distance': {
      if (c.comparison === '!=') return relative(Infinity);
      if (c.direction !== 'before') return relative(c.direction === 'after' ? first.endAgo : first.startAgo);
      const bounded = c.comparison === '<' || c.comparison === '<=' || c.comparison === '=';
      return relative(bounded ? first.startAgo + c.amount * MAX_UNIT_MS[c.unit] : Infinity);
    }
  }
}
