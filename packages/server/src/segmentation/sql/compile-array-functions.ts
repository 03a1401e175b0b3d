/**
 * Array, set, aggregation and grouping methods as DuckDB list functions and lambdas: `filter`,
 * `map`, `exists`, `count`, `sum`/`average`/`min`/`max`, `distinct`, `head`, `topN`/`bottomN`,
 * set tests (`intersects`, `subsetOf`, ...), `groupBy` and `groupBy(...).map((K, G) => mapEntry(K, v))`.
 * Per-element arguments are compiled with the element as the implicit scope.
 *
 * @example
 *   compileArrayFunction(parseOrThrow('orders.sum(price)') as FnApply, ctx)?.sql;
 *   // "coalesce(list_sum(list_transform(..., lambda pql_a0: pql_num(json_extract(pql_a0, '/price')))), CAST(0 AS DOUBLE))"
 */
import type { Expr, FnApply } from '../pql/ast.ts';
import { jsonList } from './compare.ts';
import { elementOf, withElement, withVariable, type CompileContext } from './context.ts';
import { PqlSqlCompileError } from './errors.ts';
import { aggregateNumbers } from './lists.ts';
import { asHolds, asJson, asList, asNumber, emptyList, type SqlValue } from './values.ts';

interface Receiver {
  list: SqlValue;
  kind: 'list' | 'events';
}

function receiver(node: FnApply, ctx: CompileContext): Receiver {
  const list = asList(ctx.compile(node.params[0], ctx));
  return { list, kind: list.kind === 'events' ? 'events' : 'list' };
}

/** `lambda name: <arg compiled with the element as implicit scope>` pieces. */
function perElement(r: Receiver, arg: Expr | undefined, ctx: CompileContext, prefix: string): { name: string; value: SqlValue } {
  const name = ctx.state.fresh(prefix);
  const element = elementOf(r.kind, name);
  return { name, value: arg ? ctx.compile(arg, withElement(ctx, element)) : element };
}

const orEmpty = (r: Receiver) => `coalesce(${r.list.sql}, ${emptyList(r.kind)})`;

/**
 * Compiles an array/aggregation method, or returns undefined when `node` is not one.
 *
 * @example
 *   compileArrayFunction(parseOrThrow('tags.count()') as FnApply, ctx);  // { kind: 'num', sql: ... }
 */
export function compileArrayFunction(node: FnApply, ctx: CompileContext): SqlValue | undefined {
  const [, arg0, arg1] = node.params;
  switch (node.fnName) {
    case 'count': {
      const target = ctx.compile(node.params[0], ctx);
      if (target.kind === 'groups' || target.kind === 'entries') return { kind: 'num', sql: `CAST(len(${target.sql}) AS DOUBLE)` };
      return { kind: 'num', sql: `CAST(coalesce(len(${asList(target).sql}), 0) AS DOUBLE)` };
    }
    case 'sum': case 'average': case 'min': case 'max': {
      const r = receiver(node, ctx);
      const { name, value } = perElement(r, arg0, ctx, 'a');
      return aggregateNumbers(node.fnName, `list_transform(${r.list.sql}, lambda ${name}: ${asNumber(value)})`);
    }
    case 'filter': case 'exists': {
      const r = receiver(node, ctx);
      const { name, value } = perElement(r, arg0, ctx, 'a');
      if (node.fnName === 'filter') return { kind: r.kind, sql: `list_filter(${orEmpty(r)}, lambda ${name}: ${asHolds(value)})` };
      return { kind: 'bool', sql: `coalesce(list_bool_or(list_transform(${r.list.sql}, lambda ${name}: ${asHolds(value)})), false)` };
    }
    case 'map': {
      const target = ctx.compile(node.params[0], ctx);
      if (target.kind === 'groups') return mapGroups(target, arg0, ctx);
      const r: Receiver = { list: asList(target), kind: asList(target).kind === 'events' ? 'events' : 'list' };
      const { name, value } = perElement(r, arg0, ctx, 'a');
      return { kind: 'list', sql: `list_transform(${r.list.sql}, lambda ${name}: CAST(${asJson(value)} AS JSON))` };
    }
    case 'distinct': {
      const r = receiver(node, ctx);
      return r.kind === 'events' ? r.list : { kind: 'list', sql: `pql_distinct(${r.list.sql})` };
    }
    case 'head': {
      const r = receiver(node, ctx);
      return r.kind === 'events' ? { kind: 'event', sql: `(${r.list.sql})[1]` } : { kind: 'json', sql: `(${r.list.sql})[1]` };
    }
    case 'topN': case 'bottomN': {
      const r = receiver(node, ctx);
      const { name, value } = perElement(r, arg0, ctx, 'a');
      const n = arg1 && arg1.nodeType === 'literal' ? Number(arg1.value) : 0;
      const sign = node.fnName === 'topN' ? '-' : '';
      // Sort by (value, position): ties keep array order; elements without a numeric value are left out.
      const ranked = `list_sort(list_filter(list_transform(${r.list.sql}, lambda ${name}, pql_i: {'v': ${sign}${asNumber(value)}, 'i': pql_i, 'x': ${name}}), lambda pql_r: pql_r.v IS NOT NULL))`;
      return { kind: r.kind, sql: `list_transform(list_slice(${ranked}, 1, ${n}), lambda pql_r: pql_r.x)` };
    }
    case 'groupBy': return groupBy(node, ctx);
    case 'intersects': return { kind: 'bool', sql: `coalesce(list_has_any(pql_keys(${setOf(node.params[0], ctx)}), pql_keys(${setOf(arg0, ctx)})), false)` };
    case 'subsetOf': return { kind: 'bool', sql: `coalesce(list_has_all(pql_keys(${setOf(arg0, ctx)}), pql_keys(${setOf(node.params[0], ctx)})), false)` };
    case 'supersetOf': return { kind: 'bool', sql: `coalesce(list_has_all(pql_keys(${setOf(node.params[0], ctx)}), pql_keys(${setOf(arg0, ctx)})), false)` };
    case 'intersection': {
      const name = ctx.state.fresh('a');
      return { kind: 'list', sql: `list_filter(${setOf(node.params[0], ctx)}, lambda ${name}: list_contains(pql_keys(${setOf(arg0, ctx)}), pql_key(${name})))` };
    }
    case 'includes': {
      const needle = asJson(ctx.compile(arg0, ctx));
      return { kind: 'bool', sql: `coalesce(list_contains(pql_keys(${setOf(node.params[0], ctx)}), pql_key(${needle})), false)` };
    }
    default: return undefined;
  }
}

function setOf(node: Expr, ctx: CompileContext): string {
  return jsonList(ctx.compile(node, ctx));
}

/** A list of STRUCT(k, g): each non-null key as text (first-seen order) with its elements. */
function groupBy(node: FnApply, ctx: CompileContext): SqlValue {
  const r = receiver(node, ctx);
  const { name, value } = perElement(r, node.params[1], ctx, 'g');
  const keyOf = `pql_group_key(${asJson(value)})`;
  const keys = `list_transform(${orEmpty(r)}, lambda ${name}: ${keyOf})`;
  const members = `list_filter(${orEmpty(r)}, lambda ${name}: ${keyOf} = pql_k)`;
  // A null receiver groups to null (not an empty map), as in the evaluator.
  const sql = `CASE WHEN (${r.list.sql}) IS NOT NULL THEN list_transform([${keys}], lambda pql_ks: list_transform(list_filter(pql_ks, lambda pql_k, pql_i: pql_k IS NOT NULL AND list_position(pql_ks, pql_k) = pql_i), lambda pql_k: {'k': pql_k, 'g': ${members}}))[1] END`;
  return { kind: 'groups', sql, groupKind: r.kind };
}

/** `groups.map((K, G) => mapEntry(K, value))`: a map from each key to the value computed for its group. */
function mapGroups(groups: SqlValue, lambdaNode: Expr | undefined, ctx: CompileContext): SqlValue {
  if (!lambdaNode || lambdaNode.nodeType !== 'lambda' || lambdaNode.params.length !== 2) {
    throw new PqlSqlCompileError('map on a grouping', 'expected groupBy(...).map((K, G) => mapEntry(K, value))');
  }
  const body = lambdaNode.body;
  if (body.nodeType !== 'fnApply' || body.fnName !== 'mapEntry') throw new PqlSqlCompileError('map on a grouping', 'the lambda must return mapEntry(K, value)');
  const name = ctx.state.fresh('s');
  let inner = withVariable(ctx, lambdaNode.params[0], { kind: 'str', sql: `${name}.k` });
  inner = withVariable(inner, lambdaNode.params[1], { kind: groups.groupKind ?? 'list', sql: `${name}.g` });
  const key = inner.compile(body.params[0], inner);
  const value = inner.compile(body.params[1], inner);
  const keySql = key.kind === 'str' ? key.sql : `pql_group_key(${asJson(key)})`;
  return { kind: 'entries', sql: `list_transform(${groups.sql}, lambda ${name}: {'k': ${keySql}, 'v': CAST(${asJson(value)} AS JSON)})` };
}
