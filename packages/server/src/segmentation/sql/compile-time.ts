/**
 * Time in SQL, drawn from the same definitions as the in-memory evaluator (pql/time.ts): time
 * words, periods and date literals are resolved to intervals in TypeScript and passed as BIGINT
 * epoch-ms parameters; only times read from the data (an attribute as the reference point) are
 * computed in SQL. `occursSql` mirrors `occursIn` case by case.
 *
 * @example
 *   compileOccurs(parseOrThrow('ts occurs < 24 hours before now') as Occurs, ctx).sql;
 *   // 'coalesce(($t0::BIGINT < pql_time(...) AND pql_time(...) <= $t1::BIGINT), false)'
 */
import type { Expr, Occurs, TimeAnchor, TimePeriod, TimeConstraint, TimeUnit, Literal } from '../pql/ast.ts';
import { addUnits, anchorInterval, dateLiteralInterval, MAX_UNIT_MS, periodInterval } from '../pql/time.ts';
import type { CompileContext } from './context.ts';
import { asTime, type SqlValue } from './values.ts';

/** One end of an interval: a constant (as a parameter) or a SQL expression computed per row. */
interface Bound {
  sql: string;
  value?: number;
}

interface IntervalSql {
  start: Bound;
  end: Bound;
  instant: boolean;
}

const MONTHS: Partial<Record<TimeUnit, number>> = { month: 1, year: 12, decade: 120, century: 1200, millennium: 12000 };

function constant(value: number, ctx: CompileContext): Bound {
  return { sql: ctx.state.param(value), value };
}

/** The interval a time expression denotes (a period for words and dates, an instant otherwise). */
function resolveTime(node: Expr, ctx: CompileContext): IntervalSql {
  const fixed = constantInterval(node, ctx.now);
  if (fixed) {
    const start = constant(fixed.start, ctx);
    return { start, end: fixed.instant ? start : constant(fixed.end, ctx), instant: fixed.instant };
  }
  const t = asTime(ctx.compile(node, ctx));
  return { start: { sql: t }, end: { sql: t }, instant: true };
}

function constantInterval(node: Expr, now: number): { start: number; end: number; instant: boolean } | undefined {
  if (node.nodeType === 'timeAnchor') return anchorInterval(node.anchor, now);
  if (node.nodeType === 'timePeriod') return periodInterval(node.relation, node.unit, now);
  if (node.nodeType === 'literal' && (node.literalType === 'Date' || node.literalType === 'DateTime')) return dateLiteralInterval(node.literalType, node.value);
  return undefined;
}

/**
 * A time word or date literal used as a value: its first instant (`ts > today` means after midnight).
 *
 * @example
 *   timeWordValue({ nodeType: 'timeAnchor', anchor: 'now' }, ctx);  // { kind: 'time', sql: '$t0::BIGINT' }
 */
export function timeWordValue(node: TimeAnchor | TimePeriod | Literal, ctx: CompileContext): SqlValue {
  const interval = constantInterval(node, ctx.now);
  if (!interval || !Number.isFinite(interval.start)) return { kind: 'time', sql: 'CAST(NULL AS BIGINT)' };
  return { kind: 'time', sql: ctx.state.param(interval.start) };
}

/** `bound ± n units`, in TypeScript for constants, in SQL (calendar-aware for months and longer) otherwise. */
function shift(bound: Bound, unit: TimeUnit, n: number, ctx: CompileContext): Bound {
  if (bound.value !== undefined) return constant(addUnits(bound.value, unit, n), ctx);
  const months = MONTHS[unit];
  if (months === undefined) return { sql: `(${bound.sql} + ${n * MAX_UNIT_MS[unit]})` };
  return { sql: `epoch_ms(epoch_ms(${bound.sql}) + to_months(${n * months}))` };
}

/**
 * Whether the epoch-ms SQL expression `ts` satisfies a constraint, as a nullable BOOLEAN (NULL when
 * `ts` or a data-dependent bound is NULL). Mirrors `occursIn` in pql/time.ts.
 */
export function occursSql(ts: string, constraint: TimeConstraint, ctx: CompileContext): string {
  switch (constraint.kind) {
    case 'on': {
      const t = resolveTime(constraint.time, ctx);
      return t.instant ? `(${ts} = ${t.start.sql})` : `(${ts} >= ${t.start.sql} AND ${ts} < ${t.end.sql})`;
    }
    case 'between': {
      const from = resolveTime(constraint.from, ctx);
      const to = resolveTime(constraint.to, ctx);
      return `(${ts} >= ${from.start.sql} AND ${to.instant ? `${ts} <= ${to.start.sql}` : `${ts} < ${to.end.sql}`})`;
    }
    case 'direction': {
      const t = resolveTime(constraint.time, ctx);
      if (constraint.direction === 'before') return `(${ts} < ${t.start.sql})`;
      if (constraint.direction === 'from') return `(${ts} >= ${t.start.sql})`;
      return t.instant ? `(${ts} > ${t.start.sql})` : `(${ts} >= ${t.end.sql})`;
    }
    case 'distance': {
      const { comparison, amount, unit, direction } = constraint;
      if (comparison === '!=') return `(${ts} IS NOT NULL AND NOT coalesce(${occursSql(ts, { ...constraint, comparison: '=' }, ctx)}, false))`;
      const t = resolveTime(constraint.time, ctx);
      if (direction === 'before') {
        const ref = t.start;
        const bound = shift(ref, unit, -amount, ctx);
        switch (comparison) {
          case '<': return `(${bound.sql} < ${ts} AND ${ts} <= ${ref.sql})`;
          case '<=': return `(${bound.sql} <= ${ts} AND ${ts} <= ${ref.sql})`;
          case '>': return `(${ts} < ${bound.sql})`;
          case '>=': return `(${ts} <= ${bound.sql})`;
          case '=': return `(${bound.sql} <= ${ts} AND ${ts} < ${shift(ref, unit, -(amount - 1), ctx).sql})`;
        }
      }
      const ref = direction === 'after' && !t.instant ? t.end : t.start;
      const bound = shift(ref, unit, amount, ctx);
      switch (comparison) {
        case '<': return `(${ref.sql} <= ${ts} AND ${ts} < ${bound.sql})`;
        case '<=': return `(${ref.sql} <= ${ts} AND ${ts} <= ${bound.sql})`;
        case '>': return `(${ts} > ${bound.sql})`;
        case '>=': return `(${ts} >= ${bound.sql})`;
        case '=': return `(${shift(ref, unit, amount - 1, ctx).sql} <= ${ts} AND ${ts} < ${bound.sql})`;
      }
    }
  }
}

/**
 * `timestamp occurs <constraint>` as a non-null BOOLEAN (a missing or unparsable time never occurs).
 *
 * @example
 *   compileOccurs(parseOrThrow('ts occurs today') as Occurs, ctx).kind;  // 'bool'
 */
export function compileOccurs(node: Occurs, ctx: CompileContext): SqlValue {
  const ts = asTime(ctx.compile(node.timestamp, ctx));
  if (SIMPLE_TIME.test(ts)) return { kind: 'bool', sql: `coalesce(${occursSql(ts, node.constraint, ctx)}, false)` };
  // A time computed per row (an attribute's ISO text parsed by pql_time) is computed once and bound
  // through a one-element list: the interval tests name it two or more times, and DuckDB inlines
  // every mention (1M profiles, `signupDate occurs < 90 days before now`: 1.8 s with it parsed twice).
  const name = ctx.state.fresh('t');
  return { kind: 'bool', sql: `coalesce(list_transform([${ts}], lambda ${name}: ${occursSql(name, node.constraint, ctx)})[1], false)` };
}

/** A column, a lambda field or a parameter: cheap to name more than once. */
const SIMPLE_TIME = /^[\w.$]+(::BIGINT)?$/;
