/**
 * Random, valid PQL ASTs from a seed, for property tests: the printer/parser round trip, the JSON
 * round trip, and (later) differential tests between engines. "Valid" means what the parser can
 * produce: names resolve through scopes, `^` never climbs out of the open scopes, `this/last/next`
 * periods only sit where a time is expected, arguments respect the function table. Field names
 * deliberately include keywords, bound variable names and characters that need quoting.
 *
 * @example
 *   const ast = randomAst(42);          // the same tree for the same seed
 *   assert.deepEqual(stripSpans(parseOrThrow(print(ast))), ast);
 */
import { COMPARISONS, TIME_UNITS, type AggregateOver, type ChainStep, type Expr, type Generator, type Literal, type TimeConstraint } from './ast.ts';
import { FUNCTIONS, type FunctionSpec } from './functions.ts';
import { seededRandom } from '../../storage/seeded-random.ts';

interface Context {
  depth: number;
  variables: string[];
  budget: { nodes: number };
}


const FIELD_NAMES = ['country', 'eventType', 'timestamp', 'SKU', '_experience', 'from', 'now', 'count', 'last', 'E', 'X', 'a b', 'é', 'xEvent', 'Profile', 'on'];
const VARIABLE_NAMES = ['E', 'I', 'X', 'S', 'K', 'G', 'var1'];
const STRINGS = ['', 'US', 'a"b', 'back\\slash', 'line\nbreak', '%es_', 'ünïcødé', '\u0001', '\ud83d\ude00', '@(\\w+)'];
const NUMBERS = [0, 1, -1, 42, -201, 2.5, -0.5, 2, 1e25, 5e-7, Number.MAX_SAFE_INTEGER];
const CALLABLE = [...FUNCTIONS.values()];

/**
 * A random valid AST; `size` bounds the number of nodes (roughly).
 *
 * @example
 *   randomAst(7, 20).nodeType;  // e.g. 'fnApply'
 */
export function randomAst(seed: number, size = 40): Expr {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const chance = (p: number) => random() < p;

  const ctx: Context = { depth: 0, variables: [], budget: { nodes: size } };
  if (chance(0.1)) return { nodeType: 'lambda', params: chance(0.5) ? ['Profile'] : ['P', 'Q'], body: expr(ctx) };
  return expr(ctx);

  function literal(): Literal {
    switch (int(6)) {
      case 0: return { nodeType: 'literal', literalType: 'String', value: pick(STRINGS) };
      case 1: return { nodeType: 'literal', literalType: 'Boolean', value: chance(0.5) };
      case 2: {
        const value = pick(NUMBERS);
        return Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER && chance(0.7)
          ? { nodeType: 'literal', literalType: 'Integer', value }
          : { nodeType: 'literal', literalType: 'Double', value };
      }
      case 3: return { nodeType: 'literal', literalType: 'Date', value: pick(['2020-03-14', '0001-01-01', '2024-02-29', '9999-12-31']) };
      case 4: return { nodeType: 'literal', literalType: 'DateTime', value: pick(['2019-12-31T23:59:59Z', '2025-06-18T00:00:00Z']) };
      default: return { nodeType: 'literal', literalType: 'Integer', value: int(100) };
    }
  }

  function path(c: Context): Expr {
    let root: Expr;
    const roll = int(10);
    if (roll < 3 && c.variables.length > 0) root = { nodeType: 'variableReference', name: pick(c.variables) };
    else if (roll < 6 && c.depth > 0) root = { nodeType: 'scopeReference', up: int(c.depth) };
    else root = { nodeType: 'parameterReference', position: chance(0.95) ? 1 : 2 };
    let node: Expr = { nodeType: 'fieldLookup', fieldName: pick(FIELD_NAMES), object: root };
    while (chance(0.4)) node = { nodeType: 'fieldLookup', fieldName: pick(FIELD_NAMES), object: node };
    if (root.nodeType === 'variableReference' && chance(0.2)) return root;
    return node;
  }

  function time(c: Context): Expr {
    switch (int(4)) {
      case 0: return { nodeType: 'timeAnchor', anchor: pick(['now', 'today', 'yesterday', 'tomorrow'] as const) };
      case 1: return { nodeType: 'timePeriod', relation: pick(['this', 'last', 'next'] as const), unit: pick(TIME_UNITS) };
      case 2: return { nodeType: 'literal', literalType: 'Date', value: '2015-01-08' };
      default: return expr(c);
    }
  }

  function constraint(c: Context): TimeConstraint {
    switch (int(4)) {
      case 0: return { kind: 'on', time: time(c) };
      case 1: return { kind: 'direction', direction: pick(['before', 'after', 'from'] as const), time: time(c) };
      case 2: return { kind: 'distance', comparison: pick(COMPARISONS), amount: int(30), unit: pick(TIME_UNITS), direction: pick(['before', 'after', 'from'] as const), time: time(c) };
      default: return { kind: 'between', from: time(c), to: time(c) };
    }
  }

  function call(c: Context, spec: FunctionSpec): Expr {
    const count = spec.minArgs + int(spec.maxArgs - spec.minArgs + 1);
    const args: Expr[] = [];
    for (let i = 0; i < count; i++) {
      if (i === spec.caseFlagArg) args.push({ nodeType: 'literal', literalType: 'Boolean', value: chance(0.5) });
      else if (spec.integerLiteralArgs?.includes(i)) args.push({ nodeType: 'literal', literalType: 'Integer', value: int(10) });
      else if (spec.stringLiteralArgs?.includes(i)) args.push({ nodeType: 'literal', literalType: 'String', value: pick(STRINGS) });
      else if (spec.elementArgs?.includes(i) && spec.name === 'map' && chance(0.4)) {
        const params = chance(0.5) ? ['K', 'G'] : ['X'];
        args.push({ nodeType: 'lambda', params, body: expr({ ...c, variables: [...c.variables, ...params] }) });
      } else if (spec.elementArgs?.includes(i)) args.push(expr({ ...c, depth: c.depth + 1 }));
      else args.push(expr(c));
    }
    const params = spec.syntax === 'method' ? [expr(c), ...args] : args;
    return { nodeType: 'fnApply', fnName: spec.name, params };
  }

  function generators(c: Context, max: number): { list: Generator[]; inner: Context } {
    const list: Generator[] = [];
    let inner = c;
    for (let i = 0, n = 1 + int(max); i < n; i++) {
      const variable = pick(VARIABLE_NAMES);
      const source = expr(inner);
      inner = { ...inner, variables: [...inner.variables, variable] };
      list.push(chance(0.8) ? { variable, source, condition: expr(inner) } : { variable, source });
    }
    return { list, inner };
  }

  function expr(c: Context): Expr {
    if (--c.budget.nodes <= 0) return chance(0.5) ? literal() : path(c);
    switch (int(16)) {
      case 0: case 1: return literal();
      case 2: case 3: return path(c);
      case 4: return { nodeType: 'arrayLiteral', items: Array.from({ length: int(3) }, () => expr(c)) };
      case 5: return { nodeType: 'objectLiteral', fields: [{ name: pick(FIELD_NAMES), value: expr(c) }] };
      case 6: case 7: case 8: return call(c, pick(CALLABLE));
      case 9: return { nodeType: 'filter', array: expr(c), condition: expr({ ...c, depth: c.depth + 1 }) };
      case 10: return { nodeType: 'timeAnchor', anchor: pick(['now', 'today', 'yesterday', 'tomorrow'] as const) };
      case 11: return { nodeType: 'occurs', timestamp: expr(c), constraint: constraint(c) };
      case 12: {
        const stepCtx = { ...c, depth: c.depth + 1 };
        const steps: ChainStep[] = ['A', 'B', 'C0'].slice(0, 1 + int(3)).map((label) => {
          const step: ChainStep = { label, what: expr(stepCtx) };
          if (chance(0.3)) step.where = expr(stepCtx);
          if (chance(0.6)) step.when = constraint(stepCtx);
          if (chance(0.3)) step.count = 1 + int(5);
          return step;
        });
        return { nodeType: 'chain', events: expr(c), orderBy: path(stepCtx), steps };
      }
      case 13: {
        const quantifier = pick(['exists', 'forall', 'select'] as const);
        return { nodeType: 'quantifier', quantifier, generators: generators(c, quantifier === 'select' ? 1 : 2).list };
      }
      case 14: {
        const variable = pick(VARIABLE_NAMES);
        return { nodeType: 'let', variable, value: expr(c), body: expr({ ...c, variables: [...c.variables, variable] }) };
      }
      default: {
        const variable = pick(VARIABLE_NAMES);
        const inner = { ...c, variables: [...c.variables, variable] };
        const node: AggregateOver = { nodeType: 'aggregateOver', aggregate: pick(['sum', 'count', 'average', 'min', 'max'] as const), value: expr(inner), variable, source: expr(c) };
        if (chance(0.7)) node.condition = expr(inner);
        return node;
      }
    }
  }
}
