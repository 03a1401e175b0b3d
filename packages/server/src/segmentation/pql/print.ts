/**
 * AST → canonical `pql/text`. The output parses back to the same AST (spans aside): operators
 * get parentheses only where precedence needs them, prefix forms (`exists`, `let`, lambdas...)
 * are parenthesized whenever something could follow them, and names are written the way the
 * parser resolves them (bare at the top level, `$1.x` or the lambda's name inside scopes, `^.x`
 * for enclosing elements, backquotes for field names that read as keywords or variables).
 *
 * @example
 *   print(parseOrThrow('homeAddress.countryISO="CA" and(person.birthYear=1985)'));
 *   // 'homeAddress.countryISO = "CA" and person.birthYear = 1985'
 */
import type { ChainStep, Expr, Literal, TimeConstraint, TimeUnit } from './ast.ts';
import { functionSpec } from './functions.ts';
import { isPlainIdentifier, RESERVED_WORDS } from './lexer.ts';

/** Binding strength of a printed form; a child weaker than its slot requires is parenthesized. */
const Level = {
  /** Prefix forms that extend to the right (`exists`, `let`, lambdas...). */
  Open: 0,
  Or: 1,
  And: 2,
  Not: 3,
  Comparison: 4,
  Additive: 5,
  Multiplicative: 6,
  Unary: 7,
  Postfix: 8,
  Primary: 9,
} as const;
type Level = (typeof Level)[keyof typeof Level];

const INFIX_LEVEL: Record<string, Level> = {
  or: Level.Or, and: Level.And,
  '=': Level.Comparison, '!=': Level.Comparison, '<': Level.Comparison, '<=': Level.Comparison, '>': Level.Comparison, '>=': Level.Comparison,
  in: Level.Comparison, notIn: Level.Comparison, like: Level.Comparison,
  '+': Level.Additive, '-': Level.Additive, '*': Level.Multiplicative, '/': Level.Multiplicative, '%': Level.Multiplicative,
};

interface Context {
  /** Open implicit scopes (filters, element arguments, chain steps). */
  depth: number;
  /** Names bound by quantifiers, `let`, `over` and inner lambdas. */
  variables: ReadonlySet<string>;
  /** Names of the root lambda's parameters (`(Profile) => ...`), by position - 1. */
  params: readonly string[];
}

interface Printed {
  text: string;
  level: Level;
}

/**
 * Prints an AST as canonical PQL text.
 *
 * @example
 *   print({ nodeType: 'fnApply', fnName: 'inSegment', params: [{ nodeType: 'literal', literalType: 'String', value: 'abc' }] });
 *   // 'inSegment("abc")'
 */
export function print(ast: Expr): string {
  if (ast.nodeType === 'lambda') {
    const ctx: Context = { depth: 0, variables: new Set(), params: ast.params };
    return `(${ast.params.join(', ')}) => ${printNode(ast.body, ctx).text}`;
  }
  return printNode(ast, { depth: 0, variables: new Set(), params: [] }).text;
}

function at(node: Expr, ctx: Context, minimum: Level): string {
  const printed = printNode(node, ctx);
  return printed.level < minimum ? `(${printed.text})` : printed.text;
}

/** A slot closed on both sides (argument, array item, parenthesized): anything fits. */
const closed = (node: Expr, ctx: Context) => printNode(node, ctx).text;

const inScope = (ctx: Context): Context => ({ ...ctx, depth: ctx.depth + 1 });
const withVariables = (ctx: Context, names: string[]): Context => ({ ...ctx, variables: new Set([...ctx.variables, ...names]) });

function printNode(node: Expr, ctx: Context): Printed {
  switch (node.nodeType) {
    case 'literal': return printLiteral(node);
    case 'arrayLiteral': return { text: `[${node.items.map((i) => closed(i, ctx)).join(', ')}]`, level: Level.Primary };
    case 'objectLiteral': return { text: `{${node.fields.map((f) => `${JSON.stringify(f.name)}: ${closed(f.value, ctx)}`).join(', ')}}`, level: Level.Primary };
    case 'parameterReference': return { text: parameterName(node.position, ctx), level: Level.Primary };
    case 'scopeReference': return { text: node.up === 0 ? '^0' : '^'.repeat(node.up), level: Level.Primary };
    case 'variableReference': return { text: node.name, level: Level.Primary };
    case 'fieldLookup': return printFieldLookup(node.fieldName, node.object, ctx);
    case 'fnApply': return printCall(node.fnName, node.params, ctx);
    case 'filter': return { text: `${at(node.array, ctx, Level.Postfix)}[${closed(node.condition, inScope(ctx))}]`, level: Level.Postfix };
    case 'lambda': return { text: `(${node.params.join(', ')}) => ${closed(node.body, withVariables(ctx, node.params))}`, level: Level.Open };
    case 'timeAnchor': return { text: node.anchor, level: Level.Primary };
    case 'timePeriod': return { text: `${node.relation} ${node.unit}`, level: Level.Primary };
    case 'occurs': return { text: `${at(node.timestamp, ctx, Level.Additive)} occurs ${printConstraint(node.constraint, ctx)}`, level: Level.Comparison };
    case 'chain': {
      const stepCtx = inScope(ctx);
      const steps = node.steps.map((s) => printStep(s, stepCtx)).join(', ');
      return { text: `chain(${closed(node.events, ctx)}, ${closed(node.orderBy, stepCtx)}, [${steps}])`, level: Level.Primary };
    }
    case 'quantifier': {
      let inner = ctx;
      const parts = node.generators.map((g, i) => {
        const source = at(g.source, inner, Level.Additive);
        inner = withVariables(inner, [g.variable]);
        if (!g.condition) return `${g.variable} from ${source}`;
        const isLast = i === node.generators.length - 1;
        return `${g.variable} from ${source} where ${isLast ? closed(g.condition, inner) : at(g.condition, inner, Level.Or)}`;
      });
      return { text: `${node.quantifier} ${parts.join(', ')}`, level: Level.Open };
    }
    case 'let': {
      const body = closed(node.body, withVariables(ctx, [node.variable]));
      return { text: `let ${node.variable} = (${closed(node.value, ctx)}) in (${body})`, level: Level.Open };
    }
    case 'aggregateOver': {
      const inner = withVariables(ctx, [node.variable]);
      const isPath = node.value.nodeType === 'fieldLookup' || node.value.nodeType === 'variableReference';
      const value = isPath ? at(node.value, inner, Level.Additive) : `(${closed(node.value, inner)})`;
      const head = `${node.aggregate} ${value} over ${node.variable} from ${at(node.source, ctx, Level.Additive)}`;
      return { text: node.condition ? `${head} where ${closed(node.condition, inner)}` : head, level: Level.Open };
    }
  }
}

function printLiteral(node: Literal): Printed {
  switch (node.literalType) {
    case 'String': return { text: JSON.stringify(node.value), level: Level.Primary };
    case 'Boolean': return { text: String(node.value), level: Level.Primary };
    case 'Integer': return { text: String(node.value), level: node.value < 0 ? Level.Unary : Level.Primary };
    case 'Double': {
      const text = Number.isInteger(node.value) && Math.abs(node.value) < 1e21 ? `${node.value}.0` : String(node.value);
      return { text, level: node.value < 0 ? Level.Unary : Level.Primary };
    }
    case 'Date': case 'DateTime': {
      const parts = node.value.match(/\d+/g)?.map(Number) ?? [];
      return { text: `date(${parts.join(', ')})`, level: Level.Primary };
    }
  }
}

function parameterName(position: number, ctx: Context): string {
  const name = ctx.params[position - 1];
  return name !== undefined && !ctx.variables.has(name) ? name : `$${position}`;
}

/** A field name where it starts a path: quoted when it would read as a keyword or a bound name. */
function rootFieldName(name: string, ctx: Context): string {
  const ambiguous = RESERVED_WORDS.has(name) || ctx.variables.has(name) || ctx.params.includes(name) || !isPlainIdentifier(name);
  return ambiguous ? `\`${name}\`` : name;
}

function memberName(name: string): string {
  return isPlainIdentifier(name) ? name : `\`${name}\``;
}

function printFieldLookup(fieldName: string, object: Expr, ctx: Context): Printed {
  const level = Level.Postfix;
  if (object.nodeType === 'parameterReference' && object.position === 1) {
    if (fieldName === 'xEvent') return { text: 'xEvent', level };
    const usesImplicitProfile = ctx.depth === 0 && ctx.params.length === 0;
    if (usesImplicitProfile) return { text: rootFieldName(fieldName, ctx), level };
  }
  if (object.nodeType === 'scopeReference') {
    if (object.up === 0) return { text: rootFieldName(fieldName, ctx), level };
    return { text: `${'^'.repeat(object.up)}.${memberName(fieldName)}`, level };
  }
  return { text: `${at(object, ctx, Level.Postfix)}.${memberName(fieldName)}`, level };
}

function printCall(fnName: string, params: Expr[], ctx: Context): Printed {
  const spec = functionSpec(fnName);
  const infixLevel = INFIX_LEVEL[fnName];
  if (infixLevel !== undefined && params.length === 2) {
    // Left-associative chains keep their shape: the right operand must bind tighter.
    const leftMinimum = infixLevel === Level.Comparison ? Level.Additive : infixLevel;
    const rightMinimum = infixLevel === Level.Comparison ? Level.Additive : ((infixLevel + 1) as Level);
    return { text: `${at(params[0], ctx, leftMinimum)} ${fnName} ${at(params[1], ctx, rightMinimum)}`, level: infixLevel };
  }
  if (fnName === 'not' && params.length === 1) return { text: `not (${closed(params[0], ctx)})`, level: Level.Not };
  if (fnName === 'negate' && params.length === 1) {
    const operand = params[0];
    const needsParens = operand.nodeType === 'literal' || (operand.nodeType === 'fnApply' && operand.fnName === 'negate');
    return { text: needsParens ? `-(${closed(operand, ctx)})` : `-${at(operand, ctx, Level.Unary)}`, level: Level.Unary };
  }
  if (spec?.syntax === 'method' && params.length > 0) {
    const [receiver, ...args] = params;
    const printedArgs = args.map((arg, i) => {
      const isElementArg = spec.elementArgs?.includes(i) === true && arg.nodeType !== 'lambda';
      return closed(arg, isElementArg ? inScope(ctx) : ctx);
    });
    return { text: `${at(receiver, ctx, Level.Postfix)}.${fnName}(${printedArgs.join(', ')})`, level: Level.Postfix };
  }
  return { text: `${fnName}(${params.map((p) => closed(p, ctx)).join(', ')})`, level: Level.Primary };
}

function unitText(unit: TimeUnit, amount: number): string {
  if (amount === 1) return unit;
  if (unit === 'century') return 'centuries';
  if (unit === 'millennium') return 'millennia';
  return `${unit}s`;
}

function printTime(time: Expr, ctx: Context): string {
  return at(time, ctx, Level.Additive);
}

/** The text after `occurs` (or inside `WHEN(...)`). */
function printConstraint(c: TimeConstraint, ctx: Context): string {
  switch (c.kind) {
    case 'on': {
      const bare = c.time.nodeType === 'timeAnchor' || c.time.nodeType === 'timePeriod';
      return bare ? printTime(c.time, ctx) : `on ${printTime(c.time, ctx)}`;
    }
    case 'direction': return `${c.direction} ${printTime(c.time, ctx)}`;
    case 'distance': return `${c.comparison} ${c.amount} ${unitText(c.unit, c.amount)} ${c.direction} ${printTime(c.time, ctx)}`;
    case 'between': return `between ${printTime(c.from, ctx)} and ${printTime(c.to, ctx)}`;
  }
}

function printStep(step: ChainStep, ctx: Context): string {
  let text = `${step.label}: WHAT(${closed(step.what, ctx)})`;
  if (step.where) text += ` WHERE(${closed(step.where, ctx)})`;
  if (step.when) text += ` WHEN(${printConstraint(step.when, ctx)})`;
  if (step.count !== undefined) text += ` COUNT(${step.count})`;
  return text;
}
