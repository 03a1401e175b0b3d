/**
 * The PQL abstract syntax tree that every engine walks (in-memory evaluator, SQL compiler,
 * analysis, printer). Node shapes follow Adobe's `pql/json` where Adobe published them
 * (`fnApply`, `fieldLookup`, `parameterReference`, `literal`); the rest are ours, in the same
 * style: a `nodeType` discriminator and plain JSON-able fields. Every node the parser builds
 * carries a `span`; nodes built from JSON may not.
 *
 * Reference rules the parser guarantees, so engines never re-resolve names:
 * - a bare path at the top level, `$1.path` and `(Profile) => Profile.path` all become
 *   `fieldLookup(..., parameterReference(1))`; `xEvent` is always
 *   `fieldLookup("xEvent", parameterReference(1))` (see `isEventsReference`);
 * - inside an implicit scope (a filter `arr[...]`, an element argument such as `sum(expr)`,
 *   a chain's `WHAT`/`WHERE`/ordering field) a bare path starts at `scopeReference(0)`, the
 *   current element; `^` climbs one scope (`scopeReference(1)`), and climbing out of every scope
 *   lands on `parameterReference(1)`;
 * - names bound by `exists`/`forall`/`select`/`let`/`over`/inner lambdas are `variableReference`.
 *
 * @example
 *   const ast: Expr = {
 *     nodeType: 'fnApply', fnName: '=',
 *     params: [
 *       { nodeType: 'fieldLookup', fieldName: 'country', object: { nodeType: 'parameterReference', position: 1 } },
 *       { nodeType: 'literal', literalType: 'String', value: 'US' },
 *     ],
 *   };
 */

/** Where a node came from in the source text: offsets are UTF-16 indexes, line and column 1-based. */
export interface Span {
  start: number;
  end: number;
  line: number;
  column: number;
}

interface NodeBase {
  span?: Span;
}

// ---------------------------------------------------------------------------------------------
// Literals

export interface StringLiteral extends NodeBase {
  nodeType: 'literal';
  literalType: 'String';
  value: string;
}
export interface IntegerLiteral extends NodeBase {
  nodeType: 'literal';
  literalType: 'Integer';
  /** A safe integer; negative literals (`-201`) are folded here by the parser. */
  value: number;
}
export interface DoubleLiteral extends NodeBase {
  nodeType: 'literal';
  literalType: 'Double';
  /** A finite number written with a decimal point or exponent (`3.14`, `-51.24`, `2.0`). */
  value: number;
}
export interface BooleanLiteral extends NodeBase {
  nodeType: 'literal';
  literalType: 'Boolean';
  value: boolean;
}
/** `date(2020, 3, 14)`: the whole UTC calendar day; `value` is `YYYY-MM-DD`. */
export interface DateLiteral extends NodeBase {
  nodeType: 'literal';
  literalType: 'Date';
  value: string;
}
/** `date(2020, 3, 14, 9, 30, 0)` (Meridian extension): one UTC instant; `value` is `YYYY-MM-DDTHH:MM:SSZ`. */
export interface DateTimeLiteral extends NodeBase {
  nodeType: 'literal';
  literalType: 'DateTime';
  value: string;
}
export type Literal = StringLiteral | IntegerLiteral | DoubleLiteral | BooleanLiteral | DateLiteral | DateTimeLiteral;
export type LiteralType = Literal['literalType'];

/** `[1, 4, 7]`, `["US", "CA"]`; items may be any expression. */
export interface ArrayLiteral extends NodeBase {
  nodeType: 'arrayLiteral';
  items: Expr[];
}

/** `{"count": G.count(), "sum": G.sum(price)}` (computed-attribute values). */
export interface ObjectLiteral extends NodeBase {
  nodeType: 'objectLiteral';
  fields: { name: string; value: Expr }[];
}

// ---------------------------------------------------------------------------------------------
// References and paths

/** `$1` (the merged profile), `$2`... Bare top-level paths start here too. */
export interface ParameterReference extends NodeBase {
  nodeType: 'parameterReference';
  position: number;
}

/** The current element of the `up`-th enclosing implicit scope (0 = innermost; `^` = 1, `^^` = 2). */
export interface ScopeReference extends NodeBase {
  nodeType: 'scopeReference';
  up: number;
}

/** A name bound by `exists`, `forall`, `select`, `let`, `over` or an inner lambda. */
export interface VariableReference extends NodeBase {
  nodeType: 'variableReference';
  name: string;
}

/** `object.fieldName`; on an array it projects the field over the elements. */
export interface FieldLookup extends NodeBase {
  nodeType: 'fieldLookup';
  fieldName: string;
  object: Expr;
}

// ---------------------------------------------------------------------------------------------
// Function application: operators, methods (receiver first), global functions

/**
 * Every operator and function: `a = b` is `fnApply("=", [a, b])`, `not q` is `fnApply("not", [q])`,
 * `-x` is `fnApply("negate", [x])`, `s.contains("a", false)` is `fnApply("contains", [s, "a", false])`,
 * `if(t, a, b)` is `fnApply("if", [t, a, b])`. The names and arities are in `functions.ts`.
 */
export interface FnApply extends NodeBase {
  nodeType: 'fnApply';
  fnName: string;
  params: Expr[];
}

/** `array[condition]`: the elements for which `condition` (in a new implicit scope) is true. */
export interface Filter extends NodeBase {
  nodeType: 'filter';
  array: Expr;
  condition: Expr;
}

/**
 * `(K, G) => mapEntry(K, G.count())`. At the root of a query, `(Profile) => ...` names the query
 * inputs: its parameters are referenced as `parameterReference(i + 1)`, never as variables.
 */
export interface Lambda extends NodeBase {
  nodeType: 'lambda';
  params: string[];
  body: Expr;
}

// ---------------------------------------------------------------------------------------------
// Time

export const TIME_UNITS = ['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'year', 'decade', 'century', 'millennium'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

/** `now` (an instant) or `today`, `yesterday`, `tomorrow` (UTC calendar days). */
export interface TimeAnchor extends NodeBase {
  nodeType: 'timeAnchor';
  anchor: 'now' | 'today' | 'yesterday' | 'tomorrow';
}

/** `this week`, `last month`, `next year`: a calendar period around now. Only valid where a time is expected. */
export interface TimePeriod extends NodeBase {
  nodeType: 'timePeriod';
  relation: 'this' | 'last' | 'next';
  unit: TimeUnit;
}

export const COMPARISONS = ['=', '!=', '<', '<=', '>', '>='] as const;
export type Comparison = (typeof COMPARISONS)[number];
export type TimeDirection = 'before' | 'after' | 'from';

/**
 * What follows `occurs` (or sits inside a chain's `WHEN(...)`):
 * - `on`: `occurs [on] today`, `occurs last week`, `occurs date(2019, 12, 31)`;
 * - `direction`: `occurs before today`;
 * - `distance`: `occurs <= 3 days before now`;
 * - `between`: `occurs between date(2015, 1, 8) and date(2017, 7, 1)`.
 * Each `time` is a `timeAnchor`, a `timePeriod`, a date literal or any timestamp expression.
 */
export type TimeConstraint =
  | { kind: 'on'; time: Expr }
  | { kind: 'direction'; direction: TimeDirection; time: Expr }
  | { kind: 'distance'; comparison: Comparison; amount: number; unit: TimeUnit; direction: TimeDirection; time: Expr }
  | { kind: 'between'; from: Expr; to: Expr };

/** `timestamp occurs <constraint>`. */
export interface Occurs extends NodeBase {
  nodeType: 'occurs';
  timestamp: Expr;
  constraint: TimeConstraint;
}

// ---------------------------------------------------------------------------------------------
// Event patterns, quantifiers, bindings

/** One step of a chain: `A: WHAT(...) WHERE(...) WHEN(...) COUNT(n)`. */
export interface ChainStep {
  label: string;
  /** The event predicate, in the event's implicit scope. */
  what: Expr;
  /** An extra predicate on the same event (same scope as `what`). */
  where?: Expr;
  /** A time constraint on the event's ordering field. */
  when?: TimeConstraint;
  /** At least this many matching events (default 1). */
  count?: number;
  span?: Span;
}

/** `chain(xEvent, timestamp, [steps])`: the steps happen in this order, each strictly after the previous. */
export interface Chain extends NodeBase {
  nodeType: 'chain';
  events: Expr;
  /** The ordering field, evaluated in the event's implicit scope (usually `scopeReference(0).timestamp`). */
  orderBy: Expr;
  steps: ChainStep[];
}

/** `V from source [where condition]`; `V` is visible in `condition` and in later generators. */
export interface Generator {
  variable: string;
  source: Expr;
  condition?: Expr;
  span?: Span;
}

/**
 * `exists E from xEvent where ..., I from E.productListItems where ...`, `forall ...`, and the
 * legacy `select var1 from xEvent where ...` (same meaning as `exists`; one generator).
 */
export interface Quantifier extends NodeBase {
  nodeType: 'quantifier';
  quantifier: 'exists' | 'forall' | 'select';
  generators: Generator[];
}

/** `let S = (value) in (body)`. */
export interface Let extends NodeBase {
  nodeType: 'let';
  variable: string;
  value: Expr;
  body: Expr;
}

export const OVER_AGGREGATES = ['sum', 'count', 'average', 'min', 'max'] as const;
export type OverAggregate = (typeof OVER_AGGREGATES)[number];

/** Legacy `sum X.commerce.order.priceTotal over X from xEvent where ...`. */
export interface AggregateOver extends NodeBase {
  nodeType: 'aggregateOver';
  aggregate: OverAggregate;
  value: Expr;
  variable: string;
  source: Expr;
  condition?: Expr;
}

export type Expr =
  | Literal
  | ArrayLiteral
  | ObjectLiteral
  | ParameterReference
  | ScopeReference
  | VariableReference
  | FieldLookup
  | FnApply
  | Filter
  | Lambda
  | TimeAnchor
  | TimePeriod
  | Occurs
  | Chain
  | Quantifier
  | Let
  | AggregateOver;

export type NodeType = Expr['nodeType'];

export const NODE_TYPES: readonly NodeType[] = [
  'literal', 'arrayLiteral', 'objectLiteral', 'parameterReference', 'scopeReference', 'variableReference', 'fieldLookup',
  'fnApply', 'filter', 'lambda', 'timeAnchor', 'timePeriod', 'occurs', 'chain', 'quantifier', 'let', 'aggregateOver',
];

// ---------------------------------------------------------------------------------------------
// Helpers shared by every walker

/**
 * True for the profile's event array, `xEvent` (also reached as `$1.xEvent` or `^^.xEvent`).
 *
 * @example
 *   isEventsReference(parseOrThrow('xEvent'));  // true
 */
export function isEventsReference(node: Expr): boolean {
  return node.nodeType === 'fieldLookup' && node.fieldName === 'xEvent' && node.object.nodeType === 'parameterReference' && node.object.position === 1;
}

/**
 * The expressions a time constraint reads.
 *
 * @example
 *   constraintTimes({ kind: 'between', from: a, to: b });  // [a, b]
 */
export function constraintTimes(constraint: TimeConstraint): Expr[] {
  return constraint.kind === 'between' ? [constraint.from, constraint.to] : [constraint.time];
}

/**
 * The direct child expressions of a node, in source order. Walkers that do not care about
 * scopes can recurse with this alone.
 *
 * @example
 *   childExpressions(parseOrThrow('a = 1')).length;  // 2
 */
export function childExpressions(node: Expr): Expr[] {
  switch (node.nodeType) {
    case 'literal': case 'parameterReference': case 'scopeReference': case 'variableReference': case 'timeAnchor': case 'timePeriod':
      return [];
    case 'arrayLiteral': return node.items;
    case 'objectLiteral': return node.fields.map((f) => f.value);
    case 'fieldLookup': return [node.object];
    case 'fnApply': return node.params;
    case 'filter': return [node.array, node.condition];
    case 'lambda': return [node.body];
    case 'occurs': return [node.timestamp, ...constraintTimes(node.constraint)];
    case 'chain': return [node.events, node.orderBy, ...node.steps.flatMap(stepExpressions)];
    case 'quantifier': return node.generators.flatMap((g) => (g.condition ? [g.source, g.condition] : [g.source]));
    case 'let': return [node.value, node.body];
    case 'aggregateOver': return node.condition ? [node.value, node.source, node.condition] : [node.value, node.source];
  }
}

function stepExpressions(step: ChainStep): Expr[] {
  const out = [step.what];
  if (step.where) out.push(step.where);
  if (step.when) out.push(...constraintTimes(step.when));
  return out;
}

/**
 * A deep copy without `span` fields: two parses of equivalent text compare equal with this.
 *
 * @example
 *   assert.deepEqual(stripSpans(parseOrThrow('a=1')), stripSpans(parseOrThrow('a = 1')));
 */
export function stripSpans<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => stripSpans(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === 'span' || v === undefined) continue;
      out[key] = stripSpans(v);
    }
    return out as T;
  }
  return value;
}
