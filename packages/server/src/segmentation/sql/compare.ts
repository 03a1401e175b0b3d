/**
 * Comparisons and membership with PQL's rules: a null side makes every comparison false, values of
 * different types are never equal nor ordered, numbers compare by value, arrays compare as sets,
 * `!=` is the negation of `=` only between two present values, `notIn` needs a present value and
 * list. Static kinds pick a typed comparison; two untyped JSON values go through `pql_eq`/`pql_cmp`.
 *
 * @example
 *   compare('=', { kind: 'json', sql: 'j' }, { kind: 'str', sql: "'US'" });  // "coalesce(pql_str(j) = 'US', false)"
 */
import type { ArrayLiteral, Comparison, Expr } from '../pql/ast.ts';
import { sqlNumber, sqlString } from './sql-text.ts';
import { asJson, asList, asNumber, asString, asTime, asBooleanValue, isListKind, isPresent, type SqlValue } from './values.ts';

const SCALAR = new Set(['bool', 'num', 'str']);

/** A JSON list for set operations (events become their bodies). */
export function jsonList(v: SqlValue): string {
  const list = asList(v);
  return list.kind === 'events' ? `list_transform(${list.sql}, lambda pql_e: pql_e.body)` : list.sql;
}

function isArrayValue(v: SqlValue): boolean {
  return isListKind(v.kind);
}

/**
 * `a <op> b` as a non-null BOOLEAN.
 *
 * @example
 *   compare('<', num, num).sql;  // 'coalesce(a < b, false)'
 */
export function compare(op: Comparison, a: SqlValue, b: SqlValue): SqlValue {
  if (op === '!=') return { kind: 'bool', sql: `(${isPresent(a)} AND ${isPresent(b)} AND NOT ${compare('=', a, b).sql})` };
  const bool = (sql: string): SqlValue => ({ kind: 'bool', sql: `coalesce(${sql}, false)` });
  if (isArrayValue(a) || isArrayValue(b)) {
    if (op !== '=') return { kind: 'bool', sql: 'false' };
    const side = (v: SqlValue) => (isArrayValue(v) ? jsonList(v) : v.kind === 'json' ? `CASE WHEN json_type(${v.sql}) = 'ARRAY' THEN from_json(${v.sql}, '["json"]') END` : 'CAST(NULL AS JSON[])');
    return bool(`pql_set_eq(${side(a)}, ${side(b)})`);
  }
  if (a.kind === 'time' || b.kind === 'time') return bool(`${asTime(a)} ${op} ${asTime(b)}`);
  if (SCALAR.has(a.kind) && SCALAR.has(b.kind)) {
    if (a.kind !== b.kind) return { kind: 'bool', sql: 'false' };
    if (a.kind === 'bool' && op !== '=') return { kind: 'bool', sql: 'false' };
    return bool(`${a.sql} ${op} ${b.sql}`);
  }
  if (a.kind === 'json' && b.kind === 'json') {
    return bool(op === '=' ? `pql_eq(${a.sql}, ${b.sql})` : `pql_cmp(${a.sql}, ${b.sql}) ${op} 0`);
  }
  if (a.kind === 'json' || b.kind === 'json') {
    const typed = a.kind === 'json' ? b : a;
    const convert = (v: SqlValue) => (v.kind !== 'json' ? v.sql : typed.kind === 'num' ? asNumber(v) : typed.kind === 'str' ? asString(v) : typed.kind === 'bool' ? asBooleanValue(v) : 'NULL');
    if (!SCALAR.has(typed.kind) || (typed.kind === 'bool' && op !== '=')) return { kind: 'bool', sql: 'false' };
    return bool(`${convert(a)} ${op} ${convert(b)}`);
  }
  return { kind: 'bool', sql: 'false' };
}

/** The literal type shared by every item of an array literal, if any. */
function uniformLiteralList(node: Expr): { kind: 'str' | 'num'; items: string[] } | undefined {
  if (node.nodeType !== 'arrayLiteral' || node.items.length === 0) return undefined;
  const items = (node as ArrayLiteral).items;
  if (items.every((i) => i.nodeType === 'literal' && i.literalType === 'String')) return { kind: 'str', items: items.map((i) => sqlString((i as { value: string }).value)) };
  if (items.every((i) => i.nodeType === 'literal' && (i.literalType === 'Integer' || i.literalType === 'Double'))) return { kind: 'num', items: items.map((i) => sqlNumber((i as { value: number }).value)) };
  return undefined;
}

/**
 * `value in list` (false for a null value or list); a literal list of strings or numbers becomes SQL `IN`.
 *
 * @example
 *   membership(value, list, listNode).sql;  // "coalesce(pql_str(j) IN ('US', 'CA'), false)"
 */
export function membership(value: SqlValue, list: SqlValue, listNode: Expr): SqlValue {
  const literal = uniformLiteralList(listNode);
  if (literal && (value.kind === 'json' || value.kind === literal.kind)) {
    const typed = literal.kind === 'str' ? asString(value) : asNumber(value);
    return { kind: 'bool', sql: `coalesce(${typed} IN (${literal.items.join(', ')}), false)` };
  }
  const needle = asJson(value);
  return { kind: 'bool', sql: `coalesce(list_contains(pql_keys(${jsonList(list)}), pql_key(${needle})), false)` };
}

/** `value notIn list`: a present value, a present list, and not a member. */
export function nonMembership(value: SqlValue, list: SqlValue, listNode: Expr): SqlValue {
  return { kind: 'bool', sql: `(${isPresent(value)} AND (${asList(list).sql}) IS NOT NULL AND NOT ${membership(value, list, listNode).sql})` };
}
