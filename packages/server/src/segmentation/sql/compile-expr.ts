/**
 * The walker from PQL AST nodes to SQL expressions over one profile row: literals, references
 * and paths (JSON Pointers with array projection), filters, quantifiers, `let` and the legacy
 * `... over ...` aggregates. Functions, time and chains live in their own modules; this file
 * dispatches to them.
 *
 * @example
 *   const ctx = rootContext(now, compileExpr);
 *   compileExpr(parseOrThrow('homeAddress.countryCode'), ctx).sql;
 *   // "json_extract(p.attributes, '/homeAddress/countryCode')"
 */
import type { Expr, FieldLookup, Literal, Quantifier, AggregateOver } from '../pql/ast.ts';
import { compileChain } from './compile-chain.ts';
import { compileFunction } from './compile-functions.ts';
import { compileOccurs, timeWordValue } from './compile-time.ts';
import { ROOTS, elementOf, withElement, withVariable, type CompileContext } from './context.ts';
import { PqlSqlCompileError } from './errors.ts';
import { aggregateNumbers, lookupFields } from './lists.ts';
import { sqlNumber, sqlString } from './sql-text.ts';
import { asHolds, asJson, asList, asNumber, emptyList, isPresent, type SqlValue } from './values.ts';

/**
 * Compiles one expression in a context.
 *
 * @example
 *   compileExpr(parseOrThrow('1 + 2'), ctx);  // { kind: 'num', sql: '(CAST(1 AS DOUBLE) + CAST(2 AS DOUBLE))' }
 */
export function compileExpr(node: Expr, ctx: CompileContext): SqlValue {
  switch (node.nodeType) {
    case 'literal': return compileLiteral(node, ctx);
    case 'arrayLiteral': {
      if (node.items.length === 0) return { kind: 'list', sql: '[]::JSON[]' };
      return { kind: 'list', sql: `[${node.items.map((item) => `CAST(${asJson(ctx.compile(item, ctx))} AS JSON)`).join(', ')}]` };
    }
    case 'objectLiteral': {
      const fields = node.fields.map((f) => `${sqlString(f.name)}, ${asJson(ctx.compile(f.value, ctx))}`);
      return { kind: 'json', sql: `json_object(${fields.join(', ')})` };
    }
    case 'parameterReference':
      if (node.position !== 1) throw new PqlSqlCompileError(`$${node.position}`, 'a query has one input, the profile ($1)');
      return { kind: 'json', sql: ROOTS.profile };
    case 'scopeReference': return scopeElement(node.up, ctx);
    case 'variableReference': return variable(node.name, ctx);
    case 'fieldLookup': return compilePath(node, ctx);
    case 'fnApply': return compileFunction(node, ctx);
    case 'filter': {
      const list = asList(ctx.compile(node.array, ctx));
      const name = ctx.state.fresh('f');
      const cond = asHolds(ctx.compile(node.condition, withElement(ctx, elementOf(list.kind === 'events' ? 'events' : 'list', name))));
      const kind = list.kind === 'events' ? 'events' : 'list';
      return { kind, sql: `list_filter(coalesce(${list.sql}, ${emptyList(kind)}), lambda ${name}: ${cond})` };
    }
    case 'lambda':
      // At the root, `(Profile) => body` only names $1; the parser already resolved the references.
      if (ctx.scopes.length === 0 && ctx.vars.size === 0 && node.params.length === 1) return ctx.compile(node.body, ctx);
      throw new PqlSqlCompileError('lambda', 'a lambda is only supported at the root or as groupBy(...).map((K, G) => mapEntry(K, ...))');
    case 'timeAnchor': case 'timePeriod': return timeWordValue(node, ctx);
    case 'occurs': return compileOccurs(node, ctx);
    case 'chain': return compileChain(node, ctx);
    case 'quantifier': return compileQuantifier(node, ctx);
    case 'let': {
      // Bind once: the value is computed a single time per row, then named inside a one-element list's lambda.
      const value = ctx.compile(node.value, ctx);
      const name = ctx.state.fresh('let');
      const body = ctx.compile(node.body, withVariable(ctx, node.variable, { kind: value.kind, sql: name, ...(value.groupKind ? { groupKind: value.groupKind } : {}) }));
      return { ...body, sql: `list_transform([${value.sql}], lambda ${name}: ${body.sql})[1]` };
    }
    case 'aggregateOver': return compileAggregateOver(node, ctx);
  }
}

function compileLiteral(node: Literal, ctx: CompileContext): SqlValue {
  switch (node.literalType) {
    case 'String': return { kind: 'str', sql: sqlString(node.value) };
    case 'Integer': case 'Double': return { kind: 'num', sql: sqlNumber(node.value) };
    case 'Boolean': return { kind: 'bool', sql: node.value ? 'true' : 'false' };
    case 'Date': case 'DateTime': return timeWordValue(node, ctx);
  }
}

function scopeElement(up: number, ctx: CompileContext): SqlValue {
  const index = ctx.scopes.length - 1 - up;
  return index >= 0 ? ctx.scopes[index] : { kind: 'json', sql: ROOTS.profile };
}

function variable(name: string, ctx: CompileContext): SqlValue {
  const value = ctx.vars.get(name);
  if (!value) throw new PqlSqlCompileError(`variable ${name}`, 'it is not bound here');
  return value;
}

/** `a.b.c` from its base: the profile, `xEvent`, an element, a variable or any expression. */
function compilePath(node: FieldLookup, ctx: CompileContext): SqlValue {
  const fields: string[] = [];
  let base: Expr = node;
  while (base.nodeType === 'fieldLookup') {
    fields.unshift(base.fieldName);
    base = base.object;
  }
  if (base.nodeType === 'parameterReference' && base.position === 1 && fields[0] === 'xEvent') {
    ctx.state.readsEvents = true;
    return lookupFields({ kind: 'events', sql: ROOTS.events }, fields.slice(1), false, ctx.state.fields?.events);
  }
  const root = ctx.compile(base, ctx);
  // A job extracted the profile paths its audiences read into columns (profile-fields.ts).
  if (root.sql === ROOTS.profile && ctx.state.fields) return ctx.state.fields.profile.value(fields);
  return lookupFields(root, fields, root.sql === ROOTS.profile, ctx.state.fields?.events);
}

/** `exists`/`select`: some binding satisfies every condition; `forall`: every binding does. */
function compileQuantifier(node: Quantifier, ctx: CompileContext): SqlValue {
  const all = node.quantifier === 'forall';
  const build = (index: number, inner: CompileContext): string => {
    if (index === node.generators.length) return 'true';
    const generator = node.generators[index];
    const list = asList(inner.compile(generator.source, inner));
    const kind = list.kind === 'events' ? 'events' : 'list';
    const name = inner.state.fresh('q');
    const scoped = withVariable(inner, generator.variable, elementOf(kind, name));
    const cond = generator.condition ? asHolds(scoped.compile(generator.condition, scoped)) : 'true';
    const body = `(${cond}) AND (${build(index + 1, scoped)})`;
    return all
      ? `coalesce(list_bool_and(list_transform(${list.sql}, lambda ${name}: ${body})), true)`
      : `coalesce(list_bool_or(list_transform(${list.sql}, lambda ${name}: ${body})), false)`;
  };
  return { kind: 'bool', sql: build(0, ctx) };
}

/** `sum X.f over X from source where cond` (and count, average, min, max). */
function compileAggregateOver(node: AggregateOver, ctx: CompileContext): SqlValue {
  const list = asList(ctx.compile(node.source, ctx));
  const kind = list.kind === 'events' ? 'events' : 'list';
  const name = ctx.state.fresh('o');
  const scoped = withVariable(ctx, node.variable, elementOf(kind, name));
  const filtered = node.condition
    ? `list_filter(coalesce(${list.sql}, ${emptyList(kind)}), lambda ${name}: ${asHolds(scoped.compile(node.condition, scoped))})`
    : `coalesce(${list.sql}, ${emptyList(kind)})`;
  const value = scoped.compile(node.value, scoped);
  if (node.aggregate === 'count') return { kind: 'num', sql: `CAST(len(list_filter(${filtered}, lambda ${name}: ${isPresent(value)})) AS DOUBLE)` };
  return aggregateNumbers(node.aggregate, `list_transform(${filtered}, lambda ${name}: ${asNumber(value)})`);
}
