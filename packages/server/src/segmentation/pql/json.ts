/**
 * AST ↔ `pql/json`. The JSON form is the AST itself without spans (Adobe's node shapes for
 * `fnApply`, `fieldLookup`, `parameterReference`, `literal`; ours, documented in `ast.ts` and
 * `docs/pql.md`, for the rest). Incoming JSON is validated strictly — unknown node types, unknown
 * or missing properties, wrong types, unknown functions, bad arities, unbound variables, scope
 * references that climb too far — and every problem is reported with its JSON path.
 *
 * @example
 *   const json = toJson(parseOrThrow('workAddress.country = "US"'));
 *   const back = fromJson(JSON.stringify(json));
 *   back.ok && print(back.ast);  // 'workAddress.country = "US"'
 */
import { COMPARISONS, NODE_TYPES, OVER_AGGREGATES, stripSpans, TIME_UNITS, type Expr, type TimeConstraint } from './ast.ts';
import { closestFunctionName, describeArity, functionSpec, paramRange } from './functions.ts';
import { isPlainIdentifier, RESERVED_WORDS } from './lexer.ts';
import { daysInMonth } from './time.ts';

/** One problem in a `pql/json` document. */
export interface PqlJsonError {
  /** Where, as a JSON path from the root: `$.params[0].object`. */
  path: string;
  message: string;
}

export type FromJsonResult = { ok: true; ast: Expr } | { ok: false; errors: PqlJsonError[] };

/**
 * The `pql/json` form of an AST: the same node shapes, without spans.
 *
 * @example
 *   toJson(parseOrThrow('a = 1'));
 *   // { nodeType: 'fnApply', fnName: '=', params: [{ nodeType: 'fieldLookup', ... }, { nodeType: 'literal', literalType: 'Integer', value: 1 }] }
 */
export function toJson(ast: Expr): Expr {
  return stripSpans(ast);
}

/**
 * `toJson` as a JSON string, the way Adobe's API carries `expression.value` for `pql/json`.
 *
 * @example
 *   toJsonText(parseOrThrow('a = 1'));  // '{"nodeType":"fnApply","fnName":"=",...}'
 */
export function toJsonText(ast: Expr): string {
  return JSON.stringify(toJson(ast));
}

const MAX_DEPTH = 1000;

/**
 * Reads and validates a `pql/json` AST (an object, or its JSON text).
 *
 * @example
 *   fromJson({ nodeType: 'fnApply', fnName: 'frobnicate', params: [] });
 *   // { ok: false, errors: [{ path: '$.fnName', message: 'unknown function "frobnicate"' }] }
 */
export function fromJson(input: unknown): FromJsonResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { ok: false, errors: [{ path: '$', message: `not valid JSON: ${(error as Error).message}` }] };
    }
  }
  const errors: PqlJsonError[] = [];
  const validator = new Validator(errors);
  validator.root(value);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, ast: normalize(stripSpans(value as Expr)) };
}

/** `-0` never appears in an AST the parser builds. */
function normalize(ast: Expr): Expr {
  return JSON.parse(JSON.stringify(ast), (_key, v: unknown) => (Object.is(v, -0) ? 0 : v)) as Expr;
}

interface Context {
  depth: number;
  variables: ReadonlySet<string>;
  /** Inside a time slot (after `occurs`, in `WHEN`), where `this/last/next <unit>` may appear. */
  time: boolean;
}

type Json = Record<string, unknown>;

const LITERAL_TYPES = ['String', 'Integer', 'Double', 'Boolean', 'Date', 'DateTime'];
const SHAPES: Record<string, string[]> = {
  literal: ['literalType', 'value'],
  arrayLiteral: ['items'],
  objectLiteral: ['fields'],
  parameterReference: ['position'],
  scopeReference: ['up'],
  variableReference: ['name'],
  fieldLookup: ['fieldName', 'object'],
  fnApply: ['fnName', 'params'],
  filter: ['array', 'condition'],
  lambda: ['params', 'body'],
  timeAnchor: ['anchor'],
  timePeriod: ['relation', 'unit'],
  occurs: ['timestamp', 'constraint'],
  chain: ['events', 'orderBy', 'steps'],
  quantifier: ['quantifier', 'generators'],
  let: ['variable', 'value', 'body'],
  aggregateOver: ['aggregate', 'value', 'variable', 'source', 'condition?'],
};
const CONSTRAINT_SHAPES: Record<string, string[]> = {
  on: ['time'],
  direction: ['direction', 'time'],
  distance: ['comparison', 'amount', 'unit', 'direction', 'time'],
  between: ['from', 'to'],
};
const DIRECTIONS = ['before', 'after', 'from'];

class Validator {
  constructor(private readonly errors: PqlJsonError[]) {}

  root(value: unknown): void {
    const ctx: Context = { depth: 0, variables: new Set(), time: false };
    if (isObject(value) && value.nodeType === 'lambda') {
      // A root lambda names the query inputs; its body refers to them as parameterReference.
      if (!this.shape(value, '$', SHAPES.lambda)) return;
      this.names(value.params, '$.params', false);
      this.node(value.body, '$.body', ctx, 1);
      return;
    }
    this.node(value, '$', ctx, 1);
  }

  private fail(path: string, message: string): false {
    this.errors.push({ path, message });
    return false;
  }

  /**
   * Checks the exact set of keys (`name?` optional; `span` and the discriminator always allowed).
   * Returns false when a required key is missing; extra keys are reported but checking goes on.
   */
  private shape(value: Json, path: string, keys: string[], discriminator = 'nodeType'): boolean {
    let complete = true;
    const allowed = new Set([discriminator, 'span', ...keys.map((k) => k.replace('?', ''))]);
    for (const key of keys) {
      if (!key.endsWith('?') && !(key in value)) complete = this.fail(path, `missing property "${key}"`);
    }
    for (const key of Object.keys(value)) {
      if (!allowed.has(key)) this.fail(`${path}.${key}`, `unexpected property "${key}"`);
    }
    if ('span' in value && !isSpan(value.span)) this.fail(`${path}.span`, 'span must be { start, end, line, column } numbers');
    return complete;
  }

  private names(value: unknown, path: string, allowEmpty: boolean): value is string[] {
    if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) return this.fail(path, 'must be a non-empty array of names');
    const seen = new Set<string>();
    value.forEach((name, i) => {
      if (typeof name !== 'string' || !isPlainIdentifier(name) || RESERVED_WORDS.has(name)) this.fail(`${path}[${i}]`, 'must be a name (letters, digits, _) that is not a reserved word');
      else if (seen.has(name)) this.fail(`${path}[${i}]`, `"${name}" appears twice`);
      else seen.add(name);
    });
    return true;
  }

  private variableName(value: unknown, path: string): value is string {
    if (typeof value === 'string' && isPlainIdentifier(value) && !RESERVED_WORDS.has(value)) return true;
    return this.fail(path, 'must be a variable name (letters, digits, _) that is not a reserved word');
  }

  private node(value: unknown, path: string, ctx: Context, level: number): void {
    if (level > MAX_DEPTH) {
      this.fail(path, `nested too deeply (more than ${MAX_DEPTH} levels)`);
      return;
    }
    if (!isObject(value)) {
      this.fail(path, 'must be a node object with a "nodeType"');
      return;
    }
    const type = value.nodeType;
    if (typeof type !== 'string' || !(NODE_TYPES as readonly string[]).includes(type)) {
      this.fail(`${path}.nodeType`, `unknown nodeType ${JSON.stringify(type)} (expected one of ${NODE_TYPES.join(', ')})`);
      return;
    }
    if (!this.shape(value, path, SHAPES[type])) return;
    const child = (v: unknown, p: string, c: Context = ctx) => this.node(v, `${path}.${p}`, { ...c, time: false }, level + 1);
    const inScope: Context = { ...ctx, depth: ctx.depth + 1 };
    const withVariable = (c: Context, name: string): Context => ({ ...c, variables: new Set([...c.variables, name]) });

    switch (type) {
      case 'literal': return this.literal(value, path);
      case 'arrayLiteral':
        if (!Array.isArray(value.items)) return void this.fail(`${path}.items`, 'must be an array of nodes');
        value.items.forEach((item, i) => child(item, `items[${i}]`));
        return;
      case 'objectLiteral': {
        if (!Array.isArray(value.fields)) return void this.fail(`${path}.fields`, 'must be an array of { name, value }');
        const seen = new Set<string>();
        value.fields.forEach((field, i) => {
          const p = `${path}.fields[${i}]`;
          if (!isObject(field)) return void this.fail(p, 'must be { name, value }');
          if (!this.shape(field, p, ['value'], 'name')) return;
          if (typeof field.name !== 'string') return void this.fail(`${p}.name`, 'must be a string');
          if (seen.has(field.name)) this.fail(`${p}.name`, `"${field.name}" appears twice`);
          seen.add(field.name);
          this.node(field.value, `${p}.value`, ctx, level + 1);
        });
        return;
      }
      case 'parameterReference':
        if (!Number.isSafeInteger(value.position) || Number(value.position) < 1) this.fail(`${path}.position`, 'must be a whole number from 1');
        return;
      case 'scopeReference':
        this.fail(path, 'a scopeReference can only be the object of a fieldLookup');
        return;
      case 'variableReference':
        if (typeof value.name !== 'string' || !ctx.variables.has(value.name)) this.fail(`${path}.name`, `variable ${JSON.stringify(value.name)} is not bound here`);
        return;
      case 'fieldLookup':
        if (typeof value.fieldName !== 'string' || value.fieldName === '' || /[`\n]/.test(value.fieldName)) this.fail(`${path}.fieldName`, 'must be a non-empty field name without ` or line breaks');
        if (isObject(value.object) && value.object.nodeType === 'scopeReference') return this.scopeReference(value.object, `${path}.object`, ctx);
        return child(value.object, 'object');
      case 'fnApply': return this.fnApply(value, path, ctx, level);
      case 'filter':
        child(value.array, 'array');
        child(value.condition, 'condition', inScope);
        return;
      case 'lambda': {
        if (!this.names(value.params, `${path}.params`, false)) return;
        const bodyCtx = (value.params as string[]).reduce(withVariable, ctx);
        return child(value.body, 'body', bodyCtx);
      }
      case 'timeAnchor':
        if (!['now', 'today', 'yesterday', 'tomorrow'].includes(String(value.anchor))) this.fail(`${path}.anchor`, 'must be now, today, yesterday or tomorrow');
        return;
      case 'timePeriod':
        if (!ctx.time) this.fail(path, 'a timePeriod (this/last/next <unit>) can only be the time of an occurs or WHEN');
        if (!['this', 'last', 'next'].includes(String(value.relation))) this.fail(`${path}.relation`, 'must be this, last or next');
        if (!(TIME_UNITS as readonly string[]).includes(String(value.unit))) this.fail(`${path}.unit`, `must be one of ${TIME_UNITS.join(', ')}`);
        return;
      case 'occurs':
        child(value.timestamp, 'timestamp');
        return this.constraint(value.constraint, `${path}.constraint`, ctx, level);
      case 'chain': return this.chain(value, path, ctx, level);
      case 'quantifier': return this.quantifier(value, path, ctx, level);
      case 'let':
        if (!this.variableName(value.variable, `${path}.variable`)) return;
        child(value.value, 'value');
        return child(value.body, 'body', withVariable(ctx, value.variable));
      case 'aggregateOver': {
        if (!(OVER_AGGREGATES as readonly string[]).includes(String(value.aggregate))) this.fail(`${path}.aggregate`, `must be one of ${OVER_AGGREGATES.join(', ')}`);
        if (!this.variableName(value.variable, `${path}.variable`)) return;
        const bound = withVariable(ctx, value.variable);
        child(value.value, 'value', bound);
        child(value.source, 'source');
        if (value.condition !== undefined) child(value.condition, 'condition', bound);
        return;
      }
    }
  }

  private scopeReference(value: Json, path: string, ctx: Context): void {
    if (!this.shape(value, path, SHAPES.scopeReference)) return;
    const up = value.up;
    if (!Number.isSafeInteger(up) || Number(up) < 0) return void this.fail(`${path}.up`, 'must be a whole number from 0');
    if (Number(up) >= ctx.depth) {
      this.fail(`${path}.up`, ctx.depth === 0 ? 'no implicit scope is open here (use parameterReference for the profile)' : `only ${ctx.depth} implicit scope(s) are open; climbing ${String(up)} reaches the profile, which is parameterReference 1`);
    }
  }

  private literal(value: Json, path: string): void {
    const { literalType: type, value: v } = value;
    const bad = (expected: string) => this.fail(`${path}.value`, `${type === 'Integer' ? 'an' : 'a'} ${String(type)} literal needs ${expected}`);
    if (!LITERAL_TYPES.includes(String(type))) return void this.fail(`${path}.literalType`, `must be one of ${LITERAL_TYPES.join(', ')}`);
    if (type === 'String' && typeof v !== 'string') bad('a string');
    if (type === 'Boolean' && typeof v !== 'boolean') bad('true or false');
    if (type === 'Integer' && !Number.isSafeInteger(v)) bad('a safe integer');
    if (type === 'Double' && !(typeof v === 'number' && Number.isFinite(v))) bad('a finite number');
    if (type === 'Date' && !(typeof v === 'string' && isCalendarDate(v, false))) bad('a valid date "YYYY-MM-DD"');
    if (type === 'DateTime' && !(typeof v === 'string' && isCalendarDate(v, true))) bad('a valid UTC time "YYYY-MM-DDTHH:MM:SSZ"');
  }

  private fnApply(value: Json, path: string, ctx: Context, level: number): void {
    const name = value.fnName;
    const params = value.params;
    if (typeof name !== 'string') return void this.fail(`${path}.fnName`, 'must be a string');
    const spec = functionSpec(name);
    if (!spec) {
      const hint = closestFunctionName(name);
      return void this.fail(`${path}.fnName`, `unknown function "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    if (!Array.isArray(params)) return void this.fail(`${path}.params`, 'must be an array of nodes');
    const { min, max } = paramRange(spec);
    if (params.length < min || params.length > max) {
      const receiver = spec.syntax === 'method' ? ' after the receiver' : '';
      return void this.fail(`${path}.params`, `${name} takes ${describeArity(spec)}${receiver} but got ${params.length - (spec.syntax === 'method' ? 1 : 0)}`);
    }
    const offset = spec.syntax === 'method' ? 1 : 0;
    params.forEach((param, i) => {
      const argIndex = i - offset;
      const isElementArg = argIndex >= 0 && spec.elementArgs?.includes(argIndex) === true && !(isObject(param) && param.nodeType === 'lambda');
      this.node(param, `${path}.params[${i}]`, { ...ctx, time: false, depth: isElementArg ? ctx.depth + 1 : ctx.depth }, level + 1);
      const literal = isObject(param) && param.nodeType === 'literal' ? param : undefined;
      if (argIndex === spec.caseFlagArg && literal?.literalType !== 'Boolean') this.fail(`${path}.params[${i}]`, `the case-sensitivity flag of ${name} must be a Boolean literal`);
      if (spec.integerLiteralArgs?.includes(argIndex) && !(literal?.literalType === 'Integer' && Number(literal.value) >= 0)) this.fail(`${path}.params[${i}]`, `argument ${argIndex + 1} of ${name} must be a non-negative Integer literal`);
      if (spec.stringLiteralArgs?.includes(argIndex) && literal?.literalType !== 'String') this.fail(`${path}.params[${i}]`, `argument ${argIndex + 1} of ${name} must be a String literal`);
    });
  }

  private constraint(value: unknown, path: string, ctx: Context, level: number): void {
    if (!isObject(value) || typeof value.kind !== 'string' || !(value.kind in CONSTRAINT_SHAPES)) {
      return void this.fail(path, 'must be a time constraint with kind on, direction, distance or between');
    }
    if (!this.shape(value, path, CONSTRAINT_SHAPES[value.kind], 'kind')) return;
    const c = value as Partial<Record<string, unknown>> & { kind: TimeConstraint['kind'] };
    const time = (v: unknown, p: string) => this.node(v, `${path}.${p}`, { ...ctx, time: true }, level + 1);
    if (c.kind === 'between') {
      time(c.from, 'from');
      time(c.to, 'to');
      return;
    }
    if ((c.kind === 'direction' || c.kind === 'distance') && !DIRECTIONS.includes(String(c.direction))) this.fail(`${path}.direction`, 'must be before, after or from');
    if (c.kind === 'distance') {
      if (!(COMPARISONS as readonly string[]).includes(String(c.comparison))) this.fail(`${path}.comparison`, `must be one of ${COMPARISONS.join(' ')}`);
      if (!Number.isSafeInteger(c.amount) || Number(c.amount) < 0) this.fail(`${path}.amount`, 'must be a whole number from 0');
      if (!(TIME_UNITS as readonly string[]).includes(String(c.unit))) this.fail(`${path}.unit`, `must be one of ${TIME_UNITS.join(', ')}`);
    }
    time(c.time, 'time');
  }

  private chain(value: Json, path: string, ctx: Context, level: number): void {
    const stepCtx: Context = { ...ctx, depth: ctx.depth + 1, time: false };
    this.node(value.events, `${path}.events`, ctx, level + 1);
    this.node(value.orderBy, `${path}.orderBy`, stepCtx, level + 1);
    if (!Array.isArray(value.steps) || value.steps.length === 0) return void this.fail(`${path}.steps`, 'must be a non-empty array of steps');
    const labels = new Set<string>();
    value.steps.forEach((step, i) => {
      const p = `${path}.steps[${i}]`;
      if (!isObject(step)) return void this.fail(p, 'must be a step { label, what, where?, when?, count? }');
      if (!this.shape(step, p, ['what', 'where?', 'when?', 'count?'], 'label')) return;
      if (typeof step.label !== 'string' || !isPlainIdentifier(step.label)) this.fail(`${p}.label`, 'must be a label name (letters, digits, _)');
      else if (labels.has(step.label)) this.fail(`${p}.label`, `label "${step.label}" is used twice`);
      else labels.add(step.label);
      this.node(step.what, `${p}.what`, stepCtx, level + 1);
      if (step.where !== undefined) this.node(step.where, `${p}.where`, stepCtx, level + 1);
      if (step.when !== undefined) this.constraint(step.when, `${p}.when`, stepCtx, level);
      if (step.count !== undefined && !(Number.isSafeInteger(step.count) && Number(step.count) >= 1)) this.fail(`${p}.count`, 'must be a whole number from 1');
    });
  }

  private quantifier(value: Json, path: string, ctx: Context, level: number): void {
    const kind = String(value.quantifier);
    if (!['exists', 'forall', 'select'].includes(kind)) this.fail(`${path}.quantifier`, 'must be exists, forall or select');
    const generators = value.generators;
    if (!Array.isArray(generators) || generators.length === 0) return void this.fail(`${path}.generators`, 'must be a non-empty array of generators');
    if (kind === 'select' && generators.length !== 1) this.fail(`${path}.generators`, 'select takes exactly one generator');
    let inner = ctx;
    generators.forEach((g, i) => {
      const p = `${path}.generators[${i}]`;
      if (!isObject(g)) return void this.fail(p, 'must be a generator { variable, source, condition? }');
      if (!this.shape(g, p, ['source', 'condition?'], 'variable') || !this.variableName(g.variable, `${p}.variable`)) return;
      this.node(g.source, `${p}.source`, inner, level + 1);
      inner = { ...inner, variables: new Set([...inner.variables, g.variable]) };
      if (g.condition !== undefined) this.node(g.condition, `${p}.condition`, inner, level + 1);
    });
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSpan(value: unknown): boolean {
  return isObject(value) && ['start', 'end', 'line', 'column'].every((k) => typeof value[k] === 'number');
}

function isCalendarDate(value: string, withTime: boolean): boolean {
  const match = withTime ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(value) : /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [y, m, d, h = 0, mi = 0, s = 0] = match.slice(1).map(Number);
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m) && h <= 23 && mi <= 59 && s <= 59;
}
