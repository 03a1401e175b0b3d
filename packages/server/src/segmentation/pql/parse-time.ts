/**
 * Time syntax: what follows `occurs` and what sits inside a chain's `WHEN(...)`, plus the
 * relative time references (`now`, `today`, `this week`, `last month`...) and unit words
 * (singular and plural, `century`/`centuries`, `millennium`/`millennia`).
 *
 * @example
 *   // `occurs <= 3 days before now`  → { kind: 'distance', comparison: '<=', amount: 3, unit: 'day', direction: 'before', time: now }
 *   // `occurs between date(2015, 1, 8) and date(2017, 7, 1)` → { kind: 'between', from, to }
 */
import { COMPARISONS, type Comparison, type Expr, type TimeConstraint, type TimeDirection, type TimeUnit } from './ast.ts';
import type { Parser } from './parser.ts';

const UNIT_WORDS: Record<string, TimeUnit> = {
  millisecond: 'millisecond', milliseconds: 'millisecond',
  second: 'second', seconds: 'second',
  minute: 'minute', minutes: 'minute',
  hour: 'hour', hours: 'hour',
  day: 'day', days: 'day',
  week: 'week', weeks: 'week',
  month: 'month', months: 'month',
  year: 'year', years: 'year',
  decade: 'decade', decades: 'decade',
  century: 'century', centuries: 'century',
  millennium: 'millennium', millennia: 'millennium',
};

const DIRECTIONS: readonly TimeDirection[] = ['before', 'after', 'from'];

/** The unit a word names (`days` → `day`), or undefined. */
export function timeUnitOf(word: string): TimeUnit | undefined {
  return Object.hasOwn(UNIT_WORDS, word) ? UNIT_WORDS[word] : undefined;
}

/** Parses one of the four `occurs` forms (the `occurs` keyword already consumed). */
export function parseTimeConstraint(p: Parser): TimeConstraint {
  const t = p.peek();
  if (t.kind === 'symbol' && (COMPARISONS as readonly string[]).includes(String(t.value))) {
    p.next();
    const comparison = String(t.value) as Comparison;
    const amountToken = p.peek();
    if (amountToken.kind !== 'integer') p.fail(['a whole number of time units (as in 3 days)']);
    p.next();
    const unit = expectUnit(p);
    const directionToken = p.peek();
    const direction = DIRECTIONS.find((d) => p.atWord(d));
    if (!direction) p.fail(['"before"', '"after"', '"from"'], directionToken);
    p.next();
    const time = parseTimeReference(p);
    return { kind: 'distance', comparison, amount: Number(amountToken.value), unit, direction, time };
  }
  const direction = DIRECTIONS.find((d) => p.atWord(d));
  if (direction) {
    p.next();
    return { kind: 'direction', direction, time: parseTimeReference(p) };
  }
  if (p.atWord('between')) {
    p.next();
    const from = parseTimeReference(p);
    p.expectWord('and');
    return { kind: 'between', from, to: parseTimeReference(p) };
  }
  if (p.atWord('on')) p.next();
  return { kind: 'on', time: parseTimeReference(p) };
}

/** A time: `this|last|next <unit>`, or any additive expression (`now`, `today`, `date(...)`, an attribute). */
export function parseTimeReference(p: Parser): Expr {
  const start = p.peek();
  const relation = (['this', 'last', 'next'] as const).find((r) => p.atWord(r));
  const unitToken = p.peek(1);
  const unit = unitToken.kind === 'identifier' ? timeUnitOf(String(unitToken.value)) : undefined;
  if (relation && unit) {
    p.next();
    p.next();
    return { nodeType: 'timePeriod', relation, unit, span: p.spanFrom(start) };
  }
  if (start.kind === 'end' || (start.kind === 'symbol' && !['(', '[', '{', '^', '-'].includes(String(start.value)))) {
    p.fail(['a time (now, today, yesterday, tomorrow, this/last/next <unit>, date(...) or a timestamp field)']);
  }
  return p.parseAdditive();
}

function expectUnit(p: Parser): TimeUnit {
  const t = p.peek();
  const unit = t.kind === 'identifier' ? timeUnitOf(String(t.value)) : undefined;
  if (!unit) p.fail(['a time unit (millisecond, second, minute, hour, day, week, month, year, decade, century, millennium)']);
  p.next();
  return unit;
}
