/**
 * Static facts about a parsed query, for the engines, the classifier and the API: which profile
 * and event fields it reads, which functions and audiences it uses, every place it looks at
 * events (with the time window that bounds those events and whether they are negated), and
 * whether it depends on the clock. Pure: no schema, no data.
 *
 * @example
 *   const facts = analyze(parseOrThrow('homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 24 hours before now)])'));
 *   facts.profilePaths;          // ['homeAddress.countryCode']
 *   facts.eventPaths;            // ['eventType', 'timestamp']
 *   facts.shape;                 // 'singleEvent'
 *   facts.longestLookback;       // 86_400_000
 */
import { constraintTimes, isEventsReference, type Expr } from './ast.ts';
import { functionSpec, type ResultKind } from './functions.ts';
import { conjunction, constraintWindow, NO_WINDOW, toWindow, windowOf as windowOfPredicate } from './event-windows.ts';

/** How far back from now the events a query looks at can be. */
export interface EventWindow {
  /** At most this many milliseconds before now, or 'unbounded' (no window, or open into the past). */
  lookbackMs: number | 'unbounded';
  /** Bounded by fixed dates (`date(2024, 1, 1)`), not by a window that moves with now. */
  fixedDates: boolean;
  /** Measured against an attribute (`occurs before person.signupDate`). */
  attributeRelative: boolean;
}

/** One place the query looks at the profile's events (`xEvent`). */
export interface EventReference {
  form: 'chain' | 'filter' | 'quantifier' | 'aggregateOver' | 'method' | 'reference';
  /** What is done with the matching events. */
  use: 'exists' | 'forall' | 'count' | 'aggregate' | 'collection';
  /** The chain step label, for chains. */
  step?: string;
  /** References with the same group are steps of one chain (strictly ordered). */
  group: number;
  /** Under an odd number of `not`, or a `forall`: the query is about events that did not happen. */
  negated: boolean;
  /** `COUNT(n)` of a chain step (1 otherwise). */
  minCount: number;
  window: EventWindow;
}

export interface PqlAnalysis {
  /** Dotted profile attribute paths read (`homeAddress.countryCode`), sorted. */
  profilePaths: string[];
  /** Dotted event field paths read (`eventType`, `productListItems.SKU`), sorted. */
  eventPaths: string[];
  /** Every operator and function used, sorted. */
  functions: string[];
  /** Audience ids referenced by `inSegment`, in order of first use. */
  segmentIds: string[];
  usesEvents: boolean;
  eventReferences: EventReference[];
  /** 'profileOnly' without events; 'singleEvent' with one event reference; else 'multipleEvents'. */
  shape: 'profileOnly' | 'singleEvent' | 'multipleEvents';
  /** The longest lookback over event references; null when the query reads no events. */
  longestLookback: number | 'unbounded' | null;
  usesProfileAttributes: boolean;
  hasNegation: boolean;
  /** Reads the clock (`now`, `today`, `this month`, `currentYear()`...): membership can change with time alone. */
  usesRelativeTime: boolean;
  /** Compares month or day of month without the year (`getMonth()`, `getDayOfMonth()` and no `getYear()`): Adobe's "ignore year". */
  ignoresYear: boolean;
  /** What the query returns: audiences need 'boolean' (an 'array' counts as true when non-empty). */
  resultKind: ResultKind;
}

/** Where the elements of an array, or the value of a path, come from. */
interface Origin {
  root: 'profile' | 'event' | 'other';
  path: string;
}

interface Env {
  scopes: readonly Origin[];
  variables: ReadonlyMap<string, Origin>;
  negated: boolean;
}

const OTHER: Origin = { root: 'other', path: '' };
const EVENT: Origin = { root: 'event', path: '' };
/** Methods whose result still holds (groups of) the receiver's elements. */
const ELEMENT_PRESERVING = new Set(['filter', 'distinct', 'topN', 'bottomN', 'groupBy']);
const USES: Record<string, EventReference['use']> = {
  exists: 'exists', filter: 'exists', count: 'count', sum: 'aggregate', average: 'aggregate', min: 'aggregate', max: 'aggregate',
  groupBy: 'collection', map: 'collection', topN: 'collection', bottomN: 'collection', distinct: 'collection', head: 'collection',
};

/**
 * Collects the static facts of a query.
 *
 * @example
 *   analyze(parseOrThrow('inSegment("a") and inSegment("b")')).segmentIds;  // ['a', 'b']
 */
export function analyze(ast: Expr): PqlAnalysis {
  return new Analyzer().run(ast);
}

class Analyzer {
  private profilePaths = new Set<string>();
  private eventPaths = new Set<string>();
  private functions = new Set<string>();
  private segmentIds: string[] = [];
  private references: EventReference[] = [];
  private claimed = new Set<Expr>();
  private usesEvents = false;
  private hasNegation = false;
  private usesRelativeTime = false;
  private groups = 0;

  run(ast: Expr): PqlAnalysis {
    const root = ast.nodeType === 'lambda' ? ast.body : ast;
    this.visit(root, { scopes: [], variables: new Map(), negated: false });
    const lookbacks = this.references.map((r) => r.window.lookbackMs);
    const longestLookback = lookbacks.length === 0 ? null : lookbacks.includes('unbounded') ? 'unbounded' : Math.max(...(lookbacks as number[]));
    const fns = this.functions;
    return {
      profilePaths: [...this.profilePaths].sort(),
      eventPaths: [...this.eventPaths].sort(),
      functions: [...fns].sort(),
      segmentIds: this.segmentIds,
      usesEvents: this.usesEvents,
      eventReferences: this.references,
      shape: this.references.length === 0 ? 'profileOnly' : this.references.length === 1 ? 'singleEvent' : 'multipleEvents',
      longestLookback,
      usesProfileAttributes: this.profilePaths.size > 0,
      hasNegation: this.hasNegation,
      usesRelativeTime: this.usesRelativeTime,
      ignoresYear: (fns.has('getMonth') || fns.has('getDayOfMonth')) && !fns.has('getYear'),
      resultKind: resultKindOf(ast),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Walking

  private visit(node: Expr, env: Env): void {
    if (!this.claimed.has(node)) this.recordEventUse(node, env);
    switch (node.nodeType) {
      case 'fieldLookup': {
        const origin = pathOrigin(node, env);
        if (origin) return this.recordPath(origin);
        return this.visit(node.object, env);
      }
      case 'fnApply': return this.visitCall(node.fnName, node.params, env);
      case 'filter':
        this.visit(node.array, env);
        return this.visit(node.condition, pushScope(env, elementOrigin(node.array, env)));
      case 'chain': {
        this.visit(node.events, env);
        const stepEnv = pushScope(env, elementOrigin(node.events, env));
        this.visit(node.orderBy, stepEnv);
        for (const step of node.steps) {
          this.visit(step.what, stepEnv);
          if (step.where) this.visit(step.where, stepEnv);
          if (step.when) constraintTimes(step.when).forEach((t) => this.visit(t, stepEnv));
        }
        return;
      }
      case 'quantifier': {
        let inner = env;
        for (const g of node.generators) {
          this.visit(g.source, inner);
          inner = bind(inner, g.variable, elementOrigin(g.source, inner));
          if (g.condition) this.visit(g.condition, inner);
        }
        return;
      }
      case 'aggregateOver': {
        this.visit(node.source, env);
        const inner = bind(env, node.variable, elementOrigin(node.source, env));
        this.visit(node.value, inner);
        if (node.condition) this.visit(node.condition, inner);
        return;
      }
      case 'let':
        this.visit(node.value, env);
        return this.visit(node.body, bind(env, node.variable, OTHER));
      case 'lambda':
        return this.visit(node.body, node.params.reduce((e, p) => bind(e, p, OTHER), env));
      case 'occurs':
        this.visit(node.timestamp, env);
        return constraintTimes(node.constraint).forEach((t) => this.visit(t, env));
      case 'arrayLiteral': return node.items.forEach((i) => this.visit(i, env));
      case 'objectLiteral': return node.fields.forEach((f) => this.visit(f.value, env));
      case 'timeAnchor': case 'timePeriod':
        this.usesRelativeTime = true;
        return;
      case 'literal': case 'parameterReference': case 'scopeReference': case 'variableReference':
        return;
    }
  }

  private visitCall(fnName: string, params: Expr[], env: Env): void {
    this.functions.add(fnName);
    const spec = functionSpec(fnName);
    if (spec?.readsClock) this.usesRelativeTime = true;
    if (fnName === 'inSegment') {
      const id = params[0];
      if (id?.nodeType === 'literal' && typeof id.value === 'string' && !this.segmentIds.includes(id.value)) this.segmentIds.push(id.value);
      return;
    }
    if (fnName === 'not') {
      this.hasNegation = true;
      return params.forEach((p) => this.visit(p, { ...env, negated: !env.negated }));
    }
    if (spec?.syntax !== 'method' || !spec.elementArgs || params.length === 0) return params.forEach((p) => this.visit(p, env));
    const [receiver, ...args] = params;
    this.visit(receiver, env);
    const elements = elementOrigin(receiver, env);
    args.forEach((arg, i) => {
      if (!spec.elementArgs?.includes(i)) return this.visit(arg, env);
      if (arg.nodeType !== 'lambda') return this.visit(arg, pushScope(env, elements));
      // groupBy(...).map((K, G) => ...): K is a key, G the group's elements.
      const isGroups = receiver.nodeType === 'fnApply' && receiver.fnName === 'groupBy';
      const origins = isGroups ? [OTHER, elements] : arg.params.map(() => elements);
      const bodyEnv = arg.params.reduce((e, p, j) => bind(e, p, origins[j] ?? OTHER), env);
      this.visit(arg.body, bodyEnv);
    });
  }

  private recordPath(origin: Origin): void {
    if (origin.root === 'profile') {
      if (origin.path === 'xEvent' || origin.path.startsWith('xEvent.')) this.usesEvents = true;
      else if (origin.path !== '') this.profilePaths.add(origin.path);
    } else if (origin.root === 'event' && origin.path !== '') {
      this.eventPaths.add(origin.path);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Event references

  /** If `node` is the outermost node of a use of `xEvent`, records one reference per event it looks at. */
  private recordEventUse(node: Expr, env: Env): void {
    const eventEnv = pushScope(env, EVENT);
    if (node.nodeType === 'chain') {
      const source = peelToEvents(node.events);
      if (!source) return;
      this.claim(...source.nodes);
      const group = this.groups++;
      const sourceWindows = source.conditions.map((c) => windowOf(c, eventEnv));
      for (const step of node.steps) {
        const parts = [...sourceWindows, windowOf(step.what, eventEnv), step.where ? windowOf(step.where, eventEnv) : NO_WINDOW];
        if (step.when) parts.push(constraintWindow(step.when));
        this.references.push({ form: 'chain', use: 'exists', step: step.label, group, negated: env.negated, minCount: step.count ?? 1, window: toWindow(conjunction(parts)) });
      }
      return;
    }
    if (node.nodeType === 'quantifier' || node.nodeType === 'aggregateOver') {
      const generators = node.nodeType === 'quantifier' ? node.generators : [{ variable: node.variable, source: node.source, condition: node.condition }];
      let inner = env;
      generators.forEach((g) => {
        const chain = peelToEvents(g.source);
        if (chain) {
          this.claim(...chain.nodes);
          const varEnv = bind(inner, g.variable, EVENT);
          const parts = [...chain.conditions.map((c) => windowOf(c, eventEnv)), g.condition ? windowOf(g.condition, varEnv) : NO_WINDOW];
          const use = node.nodeType === 'aggregateOver' ? (node.aggregate === 'count' ? 'count' : 'aggregate') : node.quantifier === 'forall' ? 'forall' : 'exists';
          this.references.push({ form: node.nodeType, use, group: this.groups++, negated: env.negated !== (use === 'forall'), minCount: 1, window: toWindow(conjunction(parts)) });
        }
        inner = bind(inner, g.variable, OTHER);
      });
      return;
    }
    const use = eventUseOf(node);
    if (!use) return;
    const chain = peelToEvents(use.base);
    if (!chain) return;
    this.claim(node, ...chain.nodes);
    const conditions = use.condition ? [...chain.conditions, use.condition] : chain.conditions;
    const form = node.nodeType === 'filter' ? 'filter' : node.nodeType === 'fnApply' ? 'method' : 'reference';
    const kind = chain.collection && use.kind === 'exists' ? 'collection' : use.kind;
    this.references.push({ form, use: kind, group: this.groups++, negated: env.negated, minCount: 1, window: toWindow(conjunction(conditions.map((c) => windowOf(c, eventEnv)))) });
  }

  private claim(...nodes: Expr[]): void {
    for (const n of nodes) this.claimed.add(n);
    this.usesEvents = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Origins of paths and elements

function pushScope(env: Env, origin: Origin): Env {
  return { ...env, scopes: [...env.scopes, origin] };
}

function bind(env: Env, name: string, origin: Origin): Env {
  return { ...env, variables: new Map([...env.variables, [name, origin]]) };
}

/** The origin of a reference path (`person.name`, `E.commerce.order`, `^.x`), or undefined for computed values. */
function pathOrigin(node: Expr, env: Env): Origin | undefined {
  switch (node.nodeType) {
    case 'parameterReference': return node.position === 1 ? { root: 'profile', path: '' } : OTHER;
    case 'scopeReference': return env.scopes[env.scopes.length - 1 - node.up] ?? OTHER;
    case 'variableReference': return env.variables.get(node.name) ?? OTHER;
    case 'fieldLookup': {
      const base = pathOrigin(node.object, env);
      return base && { root: base.root, path: base.path ? `${base.path}.${node.fieldName}` : node.fieldName };
    }
    default: return undefined;
  }
}

/** The event window a predicate imposes, with `occurs` subjects resolved in `env`. */
function windowOf(predicate: Expr, env: Env) {
  return windowOfPredicate(predicate, (subject) => pathOrigin(subject, env)?.root === 'event');
}

/** Where the elements of an array expression come from. */
function elementOrigin(node: Expr, env: Env): Origin {
  if (isEventsReference(node)) return EVENT;
  if (node.nodeType === 'filter') return elementOrigin(node.array, env);
  if (node.nodeType === 'fnApply' && ELEMENT_PRESERVING.has(node.fnName) && node.params[0]) return elementOrigin(node.params[0], env);
  return pathOrigin(node, env) ?? OTHER;
}

/** Follows filters and element-preserving methods down to `xEvent`, collecting the filter conditions. */
function peelToEvents(node: Expr): { conditions: Expr[]; nodes: Expr[]; collection: boolean } | undefined {
  const conditions: Expr[] = [];
  const nodes: Expr[] = [];
  let collection = false;
  let current = node;
  for (;;) {
    nodes.push(current);
    if (isEventsReference(current)) return { conditions, nodes, collection };
    if (current.nodeType === 'filter') {
      conditions.push(current.condition);
      current = current.array;
    } else if (current.nodeType === 'fnApply' && (ELEMENT_PRESERVING.has(current.fnName) || current.fnName === 'map' || current.fnName === 'head') && current.params[0]) {
      if (current.fnName === 'filter' && current.params[1]) conditions.push(current.params[1]);
      else collection = true;
      current = current.params[0];
    } else {
      return undefined;
    }
  }
}

/** A node that consumes an event array: `xEvent`, `xEvent[...]`, `xEvent.count()`, `.sum(...)`, `.exists(...)`, `.topN(...)`... */
function eventUseOf(node: Expr): { kind: EventReference['use']; base: Expr; condition?: Expr } | undefined {
  if (isEventsReference(node) || node.nodeType === 'filter') return { kind: 'exists', base: node };
  if (node.nodeType !== 'fnApply' || !(node.fnName in USES) || !node.params[0]) return undefined;
  const kind = USES[node.fnName];
  if (node.fnName === 'exists') return { kind, base: node.params[0], condition: node.params[1] };
  if (node.fnName === 'filter') return { kind, base: node };
  return { kind, base: node.params[0] };
}

// ---------------------------------------------------------------------------------------------
// Result kind

function resultKindOf(node: Expr): ResultKind {
  switch (node.nodeType) {
    case 'literal':
      return node.literalType === 'String' ? 'string' : node.literalType === 'Boolean' ? 'boolean' : node.literalType === 'Integer' || node.literalType === 'Double' ? 'number' : 'any';
    case 'arrayLiteral': case 'filter': return 'array';
    case 'objectLiteral': return 'map';
    case 'fnApply': return functionSpec(node.fnName)?.result ?? 'any';
    case 'occurs': case 'chain': case 'quantifier': return 'boolean';
    case 'let': return resultKindOf(node.body);
    case 'lambda': return resultKindOf(node.body);
    case 'aggregateOver': return node.aggregate === 'sum' || node.aggregate === 'count' || node.aggregate === 'average' ? 'number' : 'any';
    default: return 'any';
  }
}
