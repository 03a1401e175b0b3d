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
import { inBounds, type Bounds } from './bounds.ts';
import { pushScope, type CompileEnv, type Compiler, type Evaluator, type Frame } from './frame.ts';
import { readPath } from './paths.ts';
import { lowerCase } from './strings.ts';
import { compileConstraint, constraintHolds, type CompiledConstraint } from './time.ts';
import { elementsOf, holds, instantOf, TimeValue, type PqlValue } from './values.ts';

/**
 * A necessary condition of a step read from its `WHAT`/`WHERE` at compile time: the event's field
 * at `keys` is the string `value` (`eventType = "x"`, `eventType.equals("x", false)`, possibly as
 * one side of an `and`). Only the events the shared index lists for it are tried.
 */
interface StepKey {
  keys: readonly string[];
  /** Index identity: the path and whether values are compared lower-cased. */
  id: string;
  value: string;
  fold: boolean;
}

interface CompiledStep {
  what: Evaluator;
  where: Evaluator | undefined;
  when: CompiledConstraint | undefined;
  count: number;
  key: StepKey | undefined;
  /** `WHAT` is exactly the key's test, so an indexed candidate meets it without evaluating it. */
  keyIsWhat: boolean;
}

/** Events in order of their ordering instant, with lazily built indexes shared by every chain that reads them. */
interface OrderedEvents {
  times: number[];
  events: PqlValue[];
  /** Positions of the events per string value of a field (see `StepKey`); null: not shared, not worth indexing. */
  indexes: Map<string, Map<string, number[]> | null> | null;
}

/** Below this many events a plain scan is as cheap as an index look-up. */
const INDEX_MIN_EVENTS = 8;
const NO_EVENTS: OrderedEvents = { times: [], events: [], indexes: null };

/**
 * Orders of the last event array seen, per ordering path (`timestamp`): the streaming and edge
 * paths evaluate many audiences over one person's events one after another, and event data is
 * immutable, so the order (and the indexes built over it) is computed once per array and ordering.
 * Only orderings by a plain field path are cached, and only for the last array: a WeakMap of every
 * array seen kept each order, its times and its indexes alive until the next full collection, so
 * scavenges copied and promoted them, for orders no later array could reuse (edge bench,
 * 2-connection phase, 4 alternating pairs: scavenges 3.3–3.8 ms on average with it, 2.4–3.3 without).
 */
let lastItems: readonly PqlValue[] | null = null;
const lastOrders = new Map<string, OrderedEvents>();

function orderEventsCached(f: Frame, items: readonly PqlValue[], depth: number, orderBy: Evaluator, cacheKey: string | undefined): OrderedEvents {
  if (items.length === 0) return NO_EVENTS;
  if (cacheKey === undefined) return orderEvents(f, items, depth, orderBy, false);
  if (items !== lastItems) {
    lastItems = items;
    lastOrders.clear();
  }
  let ordered = lastOrders.get(cacheKey);
  if (ordered === undefined) {
    ordered = orderEvents(f, items, depth, orderBy, true);
    lastOrders.set(cacheKey, ordered);
  }
  return ordered;
}

/** `a.b` when the ordering field is a plain path of the event (the usual `timestamp`). */
function plainPathKey(node: Expr): string | undefined {
  const keys = elementPath(node);
  return keys !== undefined && keys.length > 0 ? JSON.stringify(keys) : undefined;
}

/** The keys of a path from the current element (`scopeReference(0).a.b`), else undefined. */
function elementPath(node: Expr): string[] | undefined {
  const keys: string[] = [];
  let current = node;
  while (current.nodeType === 'fieldLookup') {
    keys.unshift(current.fieldName);
    current = current.object;
  }
  return current.nodeType === 'scopeReference' && current.up === 0 ? keys : undefined;
}

function orderEvents(f: Frame, items: readonly PqlValue[], depth: number, orderBy: Evaluator, shared: boolean): OrderedEvents {
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
  const indexes = shared && times.length >= INDEX_MIN_EVENTS ? new Map<string, Map<string, number[]> | null>() : null;
  if (sorted) return { times, events, indexes };
  const order = times.map((_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  return { times: order.map((i) => times[i]), events: order.map((i) => events[i]), indexes };
}

/**
 * The ordered positions of the events whose field at `key.keys` is the string `key.value`, or
 * undefined when the events are not indexed (then every event is tried). An index is built once
 * per ordered array and field; it is abandoned (null) if the field holds a time value anywhere,
 * because `=` compares a time value with a string by instant.
 */
function candidates(ordered: OrderedEvents, key: StepKey): readonly number[] | undefined {
  const indexes = ordered.indexes;
  if (indexes === null) return undefined;
  let index = indexes.get(key.id);
  if (index === undefined) {
    index = buildIndex(ordered.events, key);
    indexes.set(key.id, index);
  }
  if (index === null) return undefined;
  return index.get(key.value) ?? NO_POSITIONS;
}

const NO_POSITIONS: readonly number[] = Object.freeze([]);

function buildIndex(events: readonly PqlValue[], key: StepKey): Map<string, number[]> | null {
  const index = new Map<string, number[]>();
  for (let i = 0; i < events.length; i++) {
    const v = readPath(events[i], key.keys);
    if (v instanceof TimeValue) return null;
    if (typeof v !== 'string') continue;
    const k = key.fold ? lowerCase(v) : v;
    const list = index.get(k);
    if (list === undefined) index.set(k, [i]);
    else list.push(i);
  }
  return index;
}

function stringLiteral(node: Expr | undefined): string | undefined {
  return node?.nodeType === 'literal' && node.literalType === 'String' ? node.value : undefined;
}

/**
 * Finds a `StepKey` in a step condition: `path = "lit"` (either side), `path.equals("lit"[, flag])`
 * (lower-cased when the flag is the literal false, as `strings.ts` does), or one side of an `and`.
 * Both operators are false unless the field is that string (or, for `=`, a time value: see
 * `candidates`), and the condition must hold for the step to be met, so skipping the other
 * events changes nothing.
 */
function stepKeyOf(node: Expr | undefined): StepKey | undefined {
  if (node === undefined || node.nodeType !== 'fnApply') return undefined;
  const params = node.params;
  if (node.fnName === 'and' && params.length === 2) return stepKeyOf(params[0]) ?? stepKeyOf(params[1]);
  let pathNode: Expr | undefined;
  let value: string | undefined;
  let fold = false;
  if (node.fnName === '=' && params.length === 2) {
    value = stringLiteral(params[1]);
    pathNode = params[0];
    if (value === undefined) {
      value = stringLiteral(params[0]);
      pathNode = params[1];
    }
  } else if (node.fnName === 'equals' && (params.length === 2 || params.length === 3)) {
    value = stringLiteral(params[1]);
    pathNode = params[0];
    const flag = params[2];
    fold = flag?.nodeType === 'literal' && flag.value === false;
  }
  if (value === undefined || pathNode === undefined) return undefined;
  const keys = elementPath(pathNode);
  if (keys === undefined || keys.length === 0) return undefined;
  return { keys, id: `${JSON.stringify(keys)}${fold ? '/i' : ''}`, value: fold ? value.toLowerCase() : value, fold };
}

/** The first position in `[from, to)` of ascending `times` that is after `lo` (or at it, when closed). */
function firstFrom(times: readonly number[], from: number, to: number, lo: number, open: boolean): number {
  let a = from;
  let b = to;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (open ? times[mid] > lo : times[mid] >= lo) b = mid;
    else a = mid + 1;
  }
  return a;
}

/** The first index of ascending `positions` that is `>= from`. */
function firstPosition(positions: readonly number[], from: number): number {
  let a = 0;
  let b = positions.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (positions[mid] >= from) b = mid;
    else a = mid + 1;
  }
  return a;
}

/** Compiles a `chain`. */
export function compileChain(node: Chain, env: CompileEnv, compiler: Compiler): Evaluator {
  const events = compiler.compile(node.events, env);
  const inner = pushScope(env);
  compiler.noteDepth(inner.depth);
  const orderBy = compiler.compile(node.orderBy, inner);
  const steps: CompiledStep[] = node.steps.map((s) => {
    const whatKey = s.what.nodeType === 'fnApply' && s.what.fnName !== 'and' ? stepKeyOf(s.what) : undefined;
    return {
      what: compiler.compile(s.what, inner),
      where: s.where ? compiler.compile(s.where, inner) : undefined,
      when: s.when ? compileConstraint(s.when, inner, compiler) : undefined,
      count: s.count ?? 1,
      key: whatKey ?? stepKeyOf(s.what) ?? stepKeyOf(s.where),
      keyIsWhat: whatKey !== undefined,
    };
  });
  const depth = env.depth;
  const cacheKey = plainPathKey(node.orderBy);
  return (f) => {
    const ordered = orderEventsCached(f, elementsOf(events(f)), depth, orderBy, cacheKey);
    return f.recorder === null ? matchFast(f, ordered, steps, depth) : matchRecording(f, ordered, steps, depth);
  };
}

/**
 * Greedy matching while recording change instants (`nextChangeAt`): every event the step's
 * condition accepts has its time checked against `WHEN`, which notes the instants at which the
 * window's edges cross it. Events the step key rules out fail `WHAT`/`WHERE` before `WHEN` is
 * looked at, so skipping them notes nothing less.
 */
function matchRecording(f: Frame, ordered: OrderedEvents, steps: readonly CompiledStep[], depth: number): boolean {
  const { times } = ordered;
  const n = times.length;
  let pos = 0;
  let last = -Infinity;
  for (const step of steps) {
    const positions = step.key === undefined ? undefined : candidates(ordered, step.key);
    let j = positions === undefined ? 0 : firstPosition(positions, pos);
    let found = 0;
    while (found < step.count) {
      let i: number;
      if (positions === undefined) {
        if (pos >= n) break;
        i = pos;
      } else {
        if (j >= positions.length) break;
        i = positions[j++];
      }
      pos = i + 1;
      const t = times[i];
      if (t <= last) continue;
      f.scope[depth] = ordered.events[i];
      if (!holds(step.what(f))) continue;
      if (step.where !== undefined && !holds(step.where(f))) continue;
      if (step.when !== undefined && !constraintHolds(step.when, f, t)) continue;
      found++;
      if (found === step.count) last = t;
    }
    if (found < step.count) return false;
  }
  return true;
}

/**
 * Greedy matching when no change instants are recorded: the same matches as `matchRecording`,
 * but a step with a `WHEN` window looks only at the events inside it (the events are in time
 * order: a binary search finds the first, the scan stops after the last), and a step with a key
 * only at the events the shared index lists.
 */
function matchFast(f: Frame, ordered: OrderedEvents, steps: readonly CompiledStep[], depth: number): boolean {
  const { times, events } = ordered;
  const n = times.length;
  let pos = 0;
  let last = -Infinity;
  for (const step of steps) {
    const count = step.count;
    if (count < 1) continue;
    let start = pos;
    let bounds: Bounds | null = null;
    let hi = Infinity;
    let hiOpen = false;
    if (step.when !== undefined) {
      bounds = step.when.bounds(f);
      if (bounds === null) return false;
      if (!bounds.negated) {
        start = firstFrom(times, pos, n, bounds.lo, bounds.loOpen);
        hi = bounds.hi;
        hiOpen = bounds.hiOpen;
      }
    }
    const positions = step.key === undefined ? undefined : candidates(ordered, step.key);
    let j = positions === undefined ? start : firstPosition(positions, start);
    const end = positions === undefined ? n : positions.length;
    const what = positions !== undefined && step.keyIsWhat ? undefined : step.what;
    const where = step.where;
    let found = 0;
    for (; j < end; j++) {
      const i = positions === undefined ? j : positions[j];
      const t = times[i];
      if (hiOpen ? t >= hi : t > hi) break;
      if (t <= last) continue;
      if (bounds !== null && !inBounds(bounds, t)) continue;
      if (what !== undefined || where !== undefined) {
        f.scope[depth] = events[i];
        if (what !== undefined && !holds(what(f))) continue;
        if (where !== undefined && !holds(where(f))) continue;
      }
      if (++found === count) {
        last = t;
        pos = i + 1;
        break;
      }
    }
    if (found < count) return false;
  }
  return true;
}
