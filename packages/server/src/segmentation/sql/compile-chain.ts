/**
 * `chain(events, orderBy, [steps])` over a profile's event list. One step is a count of matching
 * events (`COUNT(n)` = at least n). Several steps are matched greedily, which is exact for "some
 * A, then some B strictly later": step k is met at the n-th earliest matching event strictly after
 * the time step k−1 was met; the chain holds when the last step is met. Each step's time is bound
 * once per row with a one-element list lambda, so the SQL grows linearly with the steps.
 *
 * @example
 *   compileChain(parseOrThrow('chain(xEvent, timestamp, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b")])') as Chain, ctx).sql;
 */
import type { Chain, ChainStep } from '../pql/ast.ts';
import { occursSql } from './compile-time.ts';
import { elementOf, withElement, type CompileContext } from './context.ts';
import { asHolds, asList, asTime, emptyList, type SqlValue } from './values.ts';

/**
 * Compiles a chain to a non-null BOOLEAN.
 *
 * @example
 *   compileChain(chainNode, ctx).kind;  // 'bool'
 */
export function compileChain(node: Chain, ctx: CompileContext): SqlValue {
  const list = asList(ctx.compile(node.events, ctx));
  const kind = list.kind === 'events' ? 'events' : 'list';
  const events = `coalesce(${list.sql}, ${emptyList(kind)})`;

  /** `lambda e: <ordering time present> AND <after previous> AND <step matches>`, and the ordering time. */
  const stepFilter = (step: ChainStep, previous: string | undefined) => {
    const name = ctx.state.fresh('c');
    const inner = withElement(ctx, elementOf(kind, name));
    const ts = asTime(inner.compile(node.orderBy, inner));
    const parts = [`${ts} IS NOT NULL`];
    if (previous) parts.push(`${ts} > ${previous}`);
    parts.push(asHolds(inner.compile(step.what, inner)));
    if (step.where) parts.push(asHolds(inner.compile(step.where, inner)));
    if (step.when) parts.push(`coalesce(${occursSql(ts, step.when, inner)}, false)`);
    return { name, ts, predicate: parts.join(' AND ') };
  };

  if (node.steps.length === 1) {
    const step = node.steps[0];
    const { name, predicate } = stepFilter(step, undefined);
    return { kind: 'bool', sql: `(len(list_filter(${events}, lambda ${name}: ${predicate})) >= ${step.count ?? 1})` };
  }

  /** True when steps[index..] can be met after `previous` (undefined for the first step). */
  const from = (index: number, previous: string | undefined): string => {
    const step = node.steps[index];
    const { name, ts, predicate } = stepFilter(step, previous);
    const count = step.count ?? 1;
    const matches = `list_filter(${events}, lambda ${name}: ${predicate})`;
    // The last step only has to be met: COUNT matches, no time. Another step's time is the
    // COUNT-th earliest match (the earliest by list_min, no sort, for COUNT 1).
    if (index === node.steps.length - 1) return `(len(${matches}) >= ${count})`;
    const times = `list_transform(${matches}, lambda ${name}: ${ts})`;
    const metAt = count === 1 ? `list_min(${times})` : `list_sort(${times})[${count}]`;
    const bound = ctx.state.fresh('t');
    return `coalesce(list_transform([${metAt}], lambda ${bound}: ${bound} IS NOT NULL AND ${from(index + 1, bound)})[1], false)`;
  };
  return { kind: 'bool', sql: from(0, undefined) };
}
