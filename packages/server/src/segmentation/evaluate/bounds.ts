/**
 * `occurs` as numeric bounds: every form of `time.ts`'s `occursIn` is an interval of
 * timestamps (or, for `!=`, the complement of one), so a constraint is resolved once per
 * evaluation and each timestamp is then checked with two comparisons. A test checks this
 * function against `occursIn` itself over random constraints and timestamps.
 *
 * @example
 *   const b = constraintBounds({ kind: 'direction', direction: 'before', time: instantAt(100) });
 *   inBounds(b, 99);   // true
 *   inBounds(b, 100);  // false
 */
import { addUnits, type ResolvedConstraint } from '../pql/time.ts';

/** `lo ≤/< ts ≤/< hi`, negated for `!=`. */
export interface Bounds {
  lo: number;
  loOpen: boolean;
  hi: number;
  hiOpen: boolean;
  negated: boolean;
}

const bounds = (lo: number, loOpen: boolean, hi: number, hiOpen: boolean, negated = false): Bounds => ({ lo, loOpen, hi, hiOpen, negated });

/**
 * Whether a timestamp lies in the bounds.
 *
 * @example
 *   inBounds({ lo: 0, loOpen: false, hi: 10, hiOpen: true, negated: false }, 10);  // false
 */
export function inBounds(b: Bounds, ts: number): boolean {
  const inside = (b.loOpen ? ts > b.lo : ts >= b.lo) && (b.hiOpen ? ts < b.hi : ts <= b.hi);
  return inside !== b.negated;
}

/**
 * The bounds of a resolved constraint, mirroring `occursIn` form by form.
 *
 * @example
 *   constraintBounds({ kind: 'on', time: { start: 0, end: 86_400_000, instant: false } });  // [0, 86_400_000)
 */
export function constraintBounds(c: ResolvedConstraint): Bounds {
  switch (c.kind) {
    case 'on': return c.time.instant ? bounds(c.time.start, false, c.time.start, false) : bounds(c.time.start, false, c.time.end, true);
    case 'between': return bounds(c.from.start, false, c.to.instant ? c.to.start : c.to.end, !c.to.instant);
    case 'direction':
      if (c.direction === 'before') return bounds(-Infinity, false, c.time.start, true);
      if (c.direction === 'from') return bounds(c.time.start, false, Infinity, false);
      return c.time.instant ? bounds(c.time.start, true, Infinity, false) : bounds(c.time.end, false, Infinity, false);
    case 'distance': {
      if (c.comparison === '!=') return { ...constraintBounds({ ...c, comparison: '=' }), negated: true };
      if (c.direction === 'before') {
        const ref = c.time.start;
        const bound = addUnits(ref, c.unit, -c.amount);
        switch (c.comparison) {
          case '<': return bounds(bound, true, ref, false);
          case '<=': return bounds(bound, false, ref, false);
          case '>': return bounds(-Infinity, false, bound, true);
          case '>=': return bounds(-Infinity, false, bound, false);
          case '=': return bounds(bound, false, addUnits(ref, c.unit, -(c.amount - 1)), true);
        }
      }
      const ref = c.direction === 'after' && !c.time.instant ? c.time.end : c.time.start;
      const bound = addUnits(ref, c.unit, c.amount);
      switch (c.comparison) {
        case '<': return bounds(ref, false, bound, true);
        case '<=': return bounds(ref, false, bound, false);
        case '>': return bounds(bound, true, Infinity, false);
        case '>=': return bounds(bound, false, Infinity, false);
        case '=': return bounds(addUnits(ref, c.unit, c.amount - 1), false, bound, true);
      }
    }
  }
}
