/**
 * Turns a computed-attribute definition into a plan: checks that the PQL expression aggregates the
 * profile's events in one of the supported shapes (every problem with its position in the text),
 * infers the merge function, and compiles what one event contributes with the in-memory engine, so
 * values can be kept per event and re-aggregated as the window slides. Pure: no storage.
 *
 * @example
 *   const r = planComputedAttribute({ expression: { type: 'PQL', format: 'pql/text', value: 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)' }, duration: { count: 30, unit: 'DAYS' } });
 *   r.ok && r.plan.fn;                                        // 'SUM'
 *   r.ok && r.plan.contribute({ eventType: 'commerce.purchases', commerce: { order: { priceTotal: 12 } } });  // 12
 */
import { analyze, isEventsReference, parse, print, type Expr, type Span } from '../pql/index.ts';
import { compileExpression, toJsonValue, type CompiledExpression } from '../evaluate/index.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { MAX_WINDOW_MS, windowMs, type DefinitionIssue, type Duration, type MergeFunction, type MergeFunctionName } from './model.ts';

export interface ComputedPlan {
  fn: MergeFunctionName;
  /** TOP_N: how many values are kept. */
  n: number;
  windowMs: number;
  /** Canonical PQL text. */
  text: string;
  /** Event types the filter pins (`eventType = "..."` / `in [...]`), to narrow timeline reads; undefined: any. */
  eventTypes?: string[];
  /**
   * What one event adds: 1 (COUNT), a number (SUM/AVERAGE/MIN/MAX), a value or list (MOST_RECENT),
   * a list of values (TOP_N); undefined when the event does not count.
   */
  contribute(event: JsonObject): JsonValue | undefined;
}

export type PlanResult = { ok: true; plan: ComputedPlan } | { ok: false; code: 'PQL_INVALID' | 'COMPUTED_ATTRIBUTE_INVALID'; errors: DefinitionIssue[] };

const AGGREGATES: Record<string, MergeFunctionName> = { count: 'COUNT', sum: 'SUM', average: 'AVERAGE', min: 'MIN', max: 'MAX' };
const VALUE_PATH = 'expression.value';
const SHAPES = 'xEvent[<condition>].count(), .sum(<value>), .average(<value>), .min(<value>), .max(<value>), or xEvent[<condition>].<field> with mergeFunction MOST_RECENT or TOP_N';

function at(span: Span | undefined, message: string, path = VALUE_PATH): DefinitionIssue {
  return span ? { path, message, line: span.line, column: span.column, offset: span.start } : { path, message };
}

/** `xEvent` or `xEvent[condition]`: the events an attribute aggregates. */
function isEventSource(node: Expr): boolean {
  return isEventsReference(node) || (node.nodeType === 'filter' && isEventsReference(node.array));
}

/** The events part under a field path (`xEvent[...].a.b` → `xEvent[...]`), if the node is such a path. */
function pathBase(node: Expr): Expr | undefined {
  let current = node;
  let depth = 0;
  while (current.nodeType === 'fieldLookup' && !isEventsReference(current)) {
    current = current.object;
    depth++;
  }
  return depth > 0 && isEventSource(current) ? current : undefined;
}

/**
 * Checks a definition and compiles its plan.
 *
 * @example
 *   planComputedAttribute({ expression: { type: 'PQL', format: 'pql/text', value: 'xEvent.count()' }, duration: { count: 7, unit: 'DAYS' } }).ok;  // true
 */
export function planComputedAttribute(input: { expression: { value: string }; mergeFunction?: MergeFunction; duration: Duration }): PlanResult {
  const parsed = parse(input.expression.value);
  if (!parsed.ok) {
    return { ok: false, code: 'PQL_INVALID', errors: parsed.errors.map((e) => ({ path: VALUE_PATH, message: e.message, line: e.line, column: e.column, offset: e.offset })) };
  }
  const root = parsed.ast.nodeType === 'lambda' ? parsed.ast.body : parsed.ast;
  const errors: DefinitionIssue[] = [];
  const window = windowMs(input.duration);
  if (window > MAX_WINDOW_MS) errors.push({ path: 'duration', message: `the lookback window is at most 366 days; ${input.duration.count} ${input.duration.unit} is longer` });

  const facts = analyze(root);
  if (facts.usesProfileAttributes) errors.push(at(root.span, `a computed attribute aggregates events only; it reads profile attributes (${facts.profilePaths.join(', ')})`));
  if (facts.usesRelativeTime) errors.push(at(root.span, 'the lookback window is set by duration; the expression must not read the clock (now, today, occurs ... before now)'));
  if (facts.segmentIds.length > 0) errors.push(at(root.span, 'a computed attribute cannot use inSegment'));
  if (facts.eventReferences.length > 1) errors.push(at(root.span, 'a computed attribute reads xEvent once'));

  let fn: MergeFunctionName | undefined;
  let source: Expr | undefined;
  let valueArg: Expr | undefined;
  if (root.nodeType === 'fnApply' && AGGREGATES[root.fnName] && root.params[0] && isEventSource(root.params[0])) {
    fn = AGGREGATES[root.fnName];
    source = root.params[0];
    valueArg = root.params[1];
    if (fn !== 'COUNT' && !valueArg) errors.push(at(root.span, `${root.fnName} needs the value to aggregate, e.g. ${root.fnName}(commerce.order.priceTotal)`));
    const asked = input.mergeFunction?.value;
    if (asked && asked !== fn) errors.push({ path: 'mergeFunction.value', message: `the expression computes ${fn} (.${root.fnName}()), but mergeFunction says ${asked}` });
  } else if ((source = pathBase(root))) {
    const asked = input.mergeFunction?.value;
    if (asked === 'MOST_RECENT' || asked === 'TOP_N') fn = asked;
    else errors.push({ path: 'mergeFunction.value', message: `a field of xEvent needs mergeFunction MOST_RECENT or TOP_N${asked ? `, not ${asked}` : ''}` });
  } else {
    errors.push(at(root.span, `a computed attribute expression has one of these shapes: ${SHAPES}`));
  }
  if (input.mergeFunction?.n !== undefined && input.mergeFunction.value !== 'TOP_N') errors.push({ path: 'mergeFunction.n', message: 'n applies to TOP_N only' });
  if (errors.length > 0 || !fn || !source) return { ok: false, code: 'COMPUTED_ATTRIBUTE_INVALID', errors };

  const contribute = compileContribution(fn, source, root, valueArg);
  const eventTypes = source.nodeType === 'filter' ? pinnedEventTypes(source.condition) : undefined;
  return {
    ok: true,
    plan: { fn, n: input.mergeFunction?.n ?? 1, windowMs: window, text: print(parsed.ast), ...(eventTypes ? { eventTypes } : {}), contribute },
  };
}

function compileContribution(fn: MergeFunctionName, source: Expr, root: Expr, valueArg: Expr | undefined): (event: JsonObject) => JsonValue | undefined {
  // Each piece runs the same engine as audiences over a one-event timeline.
  const matches = compileExpression({ nodeType: 'fnApply', fnName: 'count', params: [source] });
  const run = (q: CompiledExpression, event: JsonObject) => q({ profile: {}, events: [event], now: 0 });
  if (fn === 'COUNT') return (event) => (run(matches, event) === 1 ? 1 : undefined);
  if (valueArg) {
    const value = compileExpression({ nodeType: 'fnApply', fnName: 'max', params: [source, valueArg] });
    return (event) => {
      const v = run(value, event);
      return typeof v === 'number' ? v : undefined;
    };
  }
  const path = compileExpression(root);
  return (event) => {
    const v = toJsonValue(run(path, event)) as JsonValue;
    const list = Array.isArray(v) ? v.filter((x) => x !== null) : v === null ? [] : [v];
    if (list.length === 0) return undefined;
    if (fn === 'TOP_N') return list;
    return list.length === 1 ? list[0] : list;
  };
}

/** Event types a filter condition requires: `eventType = "x"`, `eventType in [...]`, through `and`/`or`. */
export function pinnedEventTypes(condition: Expr): string[] | undefined {
  if (condition.nodeType !== 'fnApply') return undefined;
  const [a, b] = condition.params;
  const isEventType = (e: Expr | undefined) => e?.nodeType === 'fieldLookup' && e.fieldName === 'eventType' && e.object.nodeType === 'scopeReference' && e.object.up === 0;
  const stringOf = (e: Expr | undefined) => (e?.nodeType === 'literal' && e.literalType === 'String' ? e.value : undefined);
  switch (condition.fnName) {
    case '=': {
      const value = isEventType(a) ? stringOf(b) : isEventType(b) ? stringOf(a) : undefined;
      return value === undefined ? undefined : [value];
    }
    case 'in': {
      if (!isEventType(a) || b?.nodeType !== 'arrayLiteral') return undefined;
      const values = b.items.map(stringOf);
      return values.every((v) => v !== undefined) ? (values as string[]) : undefined;
    }
    case 'and':
      // Either side narrows: the events that match are among those it allows.
      return pinnedEventTypes(a) ?? pinnedEventTypes(b);
    case 'or': {
      const left = pinnedEventTypes(a);
      const right = pinnedEventTypes(b);
      return left && right ? [...new Set([...left, ...right])] : undefined;
    }
  }
  return undefined;
}
