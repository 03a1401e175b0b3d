/**
 * Window arithmetic of computed attributes: what each event contributed is kept (sequence,
 * timestamp, value), so a value is re-aggregated as events age out of the window without reading
 * the timeline again, and new events only add their own contributions. Pure.
 *
 * @example
 *   const r = aggregateContributions({ fn: 'SUM', n: 1, windowMs: DAY }, [[1, now - 2 * DAY, 10], [2, now - 1000, 5]], now);
 *   r.value;      // 5 (the first event is out of the window)
 *   r.expiresAt;  // now - 1000 + DAY: when the second one leaves
 */
import type { JsonValue } from '../../storage/json.ts';
import type { MergeFunctionName } from './model.ts';

/** One event's part in a value: its log position, its timestamp (epoch ms) and what it adds. */
export type Contribution = [seq: number, ts: number, value: JsonValue];

export interface Aggregation {
  value: JsonValue;
  /** The contributions still inside the window, oldest first. */
  kept: Contribution[];
  /** When the oldest kept contribution leaves the window (the value may change then); null when none is kept. */
  expiresAt: number | null;
}

/** An event counts while it is younger than the window: `ts > now - windowMs`. */
export function inWindow(ts: number, now: number, windowMs: number): boolean {
  return ts > now - windowMs;
}

/** The value with no events in the window. */
export function emptyValue(fn: MergeFunctionName): JsonValue {
  return fn === 'COUNT' || fn === 'SUM' ? 0 : fn === 'TOP_N' ? [] : null;
}

function byTime(a: Contribution, b: Contribution): number {
  return a[1] - b[1] || a[0] - b[0];
}

/**
 * The value at `now` of the contributions still in the window.
 *
 * @example
 *   aggregateContributions({ fn: 'TOP_N', n: 1, windowMs: DAY }, [[1, now, ['a', 'b']], [2, now, ['b']]], now).value;  // ['b']
 */
export function aggregateContributions(plan: { fn: MergeFunctionName; n: number; windowMs: number }, contributions: readonly Contribution[], now: number): Aggregation {
  const kept = contributions.filter((c) => inWindow(c[1], now, plan.windowMs)).sort(byTime);
  const expiresAt = kept.length > 0 ? kept[0][1] + plan.windowMs : null;
  return { value: kept.length === 0 ? emptyValue(plan.fn) : valueOf(plan.fn, plan.n, kept), kept, expiresAt };
}

function valueOf(fn: MergeFunctionName, n: number, kept: readonly Contribution[]): JsonValue {
  const numbers = () => kept.map((c) => c[2]).filter((v): v is number => typeof v === 'number');
  switch (fn) {
    case 'COUNT':
      return kept.length;
    case 'SUM':
      return finite(numbers().reduce((s, v) => s + v, 0));
    case 'AVERAGE': {
      const list = numbers();
      return list.length === 0 ? null : finite(list.reduce((s, v) => s + v, 0) / list.length);
    }
    case 'MIN': case 'MAX': {
      const list = numbers();
      return list.length === 0 ? null : fn === 'MIN' ? Math.min(...list) : Math.max(...list);
    }
    case 'MOST_RECENT':
      return kept[kept.length - 1][2];
    case 'TOP_N':
      return topValues(kept, n);
  }
}

/** Values by how often they occur (each list item once); ties go to the most recently seen, then to the smaller key. */
function topValues(kept: readonly Contribution[], n: number): JsonValue[] {
  const tally = new Map<string, { value: JsonValue; count: number; last: number }>();
  kept.forEach(([, , value], position) => {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || typeof item === 'object') continue;
      const key = `${typeof item}:${String(item)}`;
      const entry = tally.get(key);
      if (entry) {
        entry.count++;
        entry.last = position;
      } else tally.set(key, { value: item, count: 1, last: position });
    }
  });
  return [...tally.entries()]
    .sort(([ka, a], [kb, b]) => b.count - a.count || b.last - a.last || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, n)
    .map(([, e]) => e.value);
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? (n === 0 ? 0 : n) : null;
}
