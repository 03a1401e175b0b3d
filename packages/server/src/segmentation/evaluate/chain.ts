/**
 * `chain(events, orderBy, [steps])`: ordered event patterns. The events are put in order of
 * their ordering field (events without a valid time are ignored; the sort is stable and skipped
 * when the events already come in order); then each step is matched greedily at its earliest:
 * step k is met by the `COUNT(n)`-th (default first) event that meets its `WHAT`, `WHERE` and
 * `WHEN` and lies strictly after the instant at which step k−1 was met.
 *
 * Why greedy is exact: the steps' predicates do not depend on earlier matches, only the
 * ordering does, so meeting each step as early as possible leaves the most events for the
 * steps after it — if any sequence of matches exists, the earliest-match sequence exists too.
 * `A then B` is therefore found whenever any A precedes any B.
 *
 * @example
 *   // chain(xEvent, timestamp, [A: WHAT(eventType = "email") , B: WHAT(eventType = "checkout") COUNT(2)])
 *   compileChain(node, env, compiler);
 */
import type { Chain, Expr } from '../pql/ast.ts';
import { pushScope, type CompileEnv, type Compiler, type Evaluator, type Frame } from './frame.ts';
import { compileConstraint, constraintHolds, type CompiledConstraint } from './time.ts';
import { elementsOf, holds, instantOf, type PqlValue } from './values.ts';

interface CompiledStep {
  what: Evaluator;
  where: Evaluator | undefined;
  when: CompiledConstraint | undefined;
  count: number;
}

/** Events in order of their ordering instant. */
interface OrderedEvents {
  times: number[];
  events: PqlValue[];
}

/**
 * Orders of event arrays already computed, per ordering path (`timestamp`): the streaming and
 * edge paths evaluate many audiences over the same events array, and event data is immutable,
 * so the order is computed once per array. Only orderings by a plain field path are cached.
 */
const ORDER_CACHE = new WeakMap<readonly PqlValue[], Map<string, OrderedEvents>>();

function orderEventsCached(f: Frame, items: readonly PqlValue[], depth: number, orderBy: Evaluator, cacheKey: string | undefined): OrderedEvents {
  if (cacheKey === undefined || items.length < 2) return orderEvents(f, items, depth, orderBy);
  let byKey = ORDER_CACHE.get(items);
  if (byKey === undefined) {
    byKey = new Map();
    ORDER_CACHE.set(items, byKey);
  }
  let ordered = byKey.get(cacheKey);
  if (ordered === undefined) {
    ordered = orderEvents(f, items, depth, orderBy);
    byKey.set(cacheKey, ordered);
  }
  return ordered;
}

/** `a.b` when the ordering field is a plain path of the event (the usual `timestamp`). */
function plainPathKey(node: Expr): string | undefined {
  const keys: string[] = [];
  let current = node;
  while (current.nodeType === 'fieldLookup') {
    keys.unshift(current.fieldName);
    current = current.object;
  }
  return current.nodeType === 'scopeReference' && current.up === 0 && keys.length > 0 ? JSON.stringify(keys) : undefined;
}

function orderEvents(f: Frame, items: readonly PqlValue[], depth: number, orderBy: Evaluator): OrderedEvents {
  const times: number[] = [];
  const events: PqlValue[] = [];
  let sorted = true;
  for (let i = 0; i < items.length; i++) {
    f.scope[depth] = items[i];
    const t = instantOf(orderBy(f));
    if (t === null || !Number.isFinite(t)) continue;
    if (times.length > 0 && t < times[times.length - 1]) sorted = false;
    times.push(t);
    events.push(items[i]);
  }
  if (sorted) return { times, events };
  const order = times.map((_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  return { times: order.map((i) => times[i]), events: order.map((i) => events[i]) };
}

/** Compiles a `chain`. */
export function compileChain(node: Chain, env: CompileEnv, compiler: Compiler): Evaluator {
  const events = compiler.compile(node.events, env);
  const inner = pushScope(env);
  compiler.noteDepth(inner.depth);
  const orderBy = compiler.compile(node.orderBy, inner);
  const steps: CompiledStep[] = node.steps.map((s) => ({
    what: compiler.compile(s.what, inner),
    where: s.where ? compiler.compile(s.where, inner) : undefined,
    when: s.when ? compileConstraint(s.when, inner, compiler) : undefined,
    count: s.count ?? 1,
  }));
  const depth = env.depth;
  const cacheKey = plainPathKey(node.orderBy);
  return (f) => {
    const ordered = orderEventsCached(f, elementsOf(events(f)), depth, orderBy, cacheKey);
    const { times } = ordered;
    const n = times.length;
    let pos = 0;
    let last = -Infinity;
    for (const step of steps) {
      let found = 0;
      while (pos < n && found < step.count) {
        const t = times[pos];
        const event = ordered.events[pos];
        pos++;
        if (t <= last) continue;
        f.scope[depth] = event;
        if (!holds(step.what(f))) continue;
        if (step.where !== undefined && !holds(step.where(f))) continue;
        if (step.when !== undefined && !constraintHolds(step.when, f, t)) continue;
        found++;
        if (found === step.count) last = t;
      }
      if (found < step.count) return false;
    }
    return true;
  };
}
