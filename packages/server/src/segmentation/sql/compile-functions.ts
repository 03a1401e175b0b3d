/**
 * `fnApply` nodes: boolean logic and `if`, comparisons and membership, arithmetic (exact division,
 * null on a zero divisor), string tests with the case flag, regular expressions (RE2), maps and
 * objects, date parts, `inSegment`; array methods are delegated to compile-array-functions.ts.
 *
 * @example
 *   compileFunction(parseOrThrow('city like "%es%"') as FnApply, ctx).sql;  // "coalesce(pql_str(...) LIKE '%es%', false)"
 */
import type { Comparison, Expr, FnApply } from '../pql/ast.ts';
import { compileArrayFunction } from './compile-array-functions.ts';
import { compare, membership, nonMembership } from './compare.ts';
import { ROOTS, type CompileContext } from './context.ts';
import { PqlSqlCompileError } from './errors.ts';
import { sqlNumber, sqlString } from './sql-text.ts';
import { asCondition, asJson, asNumber, asString, asTime, isPresent, NULL_JSON, type SqlValue } from './values.ts';

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const ARITHMETIC: Record<string, string> = { '+': '+', '-': '-', '*': '*' };

/**
 * Compiles any function application.
 *
 * @example
 *   compileFunction(parseOrThrow('1 + 2') as FnApply, ctx);  // { kind: 'num', sql: '(... + ...)' }
 */
export function compileFunction(node: FnApply, ctx: CompileContext): SqlValue {
  const arg = (i: number) => ctx.compile(node.params[i], ctx);
  const bool = (sql: string): SqlValue => ({ kind: 'bool', sql });
  const name = node.fnName;
  if (COMPARISONS.has(name)) return compare(name as Comparison, arg(0), arg(1));
  if (name in ARITHMETIC) return { kind: 'num', sql: `(${asNumber(arg(0))} ${ARITHMETIC[name]} ${asNumber(arg(1))})` };
  switch (name) {
    case 'and': return bool(`(${asCondition(arg(0))} AND ${asCondition(arg(1))})`);
    case 'or': return bool(`(${asCondition(arg(0))} OR ${asCondition(arg(1))})`);
    case 'not': return bool(`(NOT ${asCondition(arg(0))})`);
    case 'if': return compileIf(node, ctx);
    case '/': case '%': {
      const [a, b] = [asNumber(arg(0)), asNumber(arg(1))];
      return { kind: 'num', sql: `(CASE WHEN ${b} <> 0 THEN ${a} ${name} ${b} END)` };
    }
    case 'negate': return { kind: 'num', sql: `(- ${asNumber(arg(0))})` };
    case 'in': return membership(arg(0), arg(1), node.params[1]);
    case 'notIn': return nonMembership(arg(0), arg(1), node.params[1]);
    case 'like': return bool(`coalesce(${asString(arg(0))} LIKE ${asString(arg(1))}, false)`);
    case 'matches': return bool(`coalesce(regexp_matches(${asString(arg(0))}, ${regexArg(node.params[1], ctx)}), false)`);
    case 'regexGroup': {
      const s = asString(arg(0));
      const pattern = regexArg(node.params[1], ctx);
      const group = node.params[2]?.nodeType === 'literal' ? Number(node.params[2].value) : 0;
      return { kind: 'str', sql: `(CASE WHEN regexp_matches(${s}, ${pattern}) THEN regexp_extract(${s}, ${pattern}, ${group}) END)` };
    }
    case 'isNull': return bool(`(NOT ${isPresent(arg(0))})`);
    case 'isNotNull': return bool(isPresent(arg(0)));
    case 'get': return mapGet(arg(0), arg(1));
    case 'keys': case 'values': return mapParts(name, arg(0));
    case 'mapEntry': throw new PqlSqlCompileError('mapEntry', 'mapEntry is only supported as the result of groupBy(...).map((K, G) => mapEntry(K, value))');
    case 'getYear': case 'getMonth': case 'getDayOfMonth': {
      const part = name === 'getYear' ? 'year' : name === 'getMonth' ? 'month' : 'day';
      return { kind: 'num', sql: `CAST(${part}(epoch_ms(${asTime(arg(0))})) AS DOUBLE)` };
    }
    case 'currentYear': return { kind: 'num', sql: sqlNumber(new Date(ctx.now).getUTCFullYear()) };
    case 'currentMonth': return { kind: 'num', sql: sqlNumber(new Date(ctx.now).getUTCMonth() + 1) };
    case 'currentDayOfMonth': return { kind: 'num', sql: sqlNumber(new Date(ctx.now).getUTCDate()) };
    case 'inSegment': {
      ctx.state.readsSegments = true;
      return bool(`list_contains(${ROOTS.segments}, ${asString(arg(0))})`);
    }
  }
  const stringTest = compileStringTest(node, ctx);
  if (stringTest) return stringTest;
  const arrayFunction = compileArrayFunction(node, ctx);
  if (arrayFunction) return arrayFunction;
  throw new PqlSqlCompileError(`function ${name}`, 'no SQL translation');
}

function compileIf(node: FnApply, ctx: CompileContext): SqlValue {
  const test = asCondition(ctx.compile(node.params[0], ctx));
  const a = ctx.compile(node.params[1], ctx);
  const b = ctx.compile(node.params[2], ctx);
  if (a.kind === b.kind && a.kind !== 'groups') return { kind: a.kind, sql: `(CASE WHEN ${test} THEN ${a.sql} ELSE ${b.sql} END)` };
  return { kind: 'json', sql: `(CASE WHEN ${test} THEN CAST(${asJson(a)} AS JSON) ELSE CAST(${asJson(b)} AS JSON) END)` };
}

/** RE2 has no look-around and no back-references; refuse them up front rather than fail in DuckDB. */
function regexArg(node: Expr, ctx: CompileContext): string {
  if (node.nodeType === 'literal' && node.literalType === 'String') {
    if (/\(\?<?[=!]|\\[1-9]|\\k</.test(node.value)) {
      throw new PqlSqlCompileError('matches/regexGroup', `the pattern ${JSON.stringify(node.value)} uses look-around or a back-reference, which RE2 (DuckDB) does not support`);
    }
    return sqlString(node.value);
  }
  return asString(ctx.compile(node, ctx));
}

const STRING_TESTS: Record<string, { negate: boolean; test: (s: string, t: string) => string }> = {
  contains: { negate: false, test: (s, t) => `contains(${s}, ${t})` },
  doesNotContain: { negate: true, test: (s, t) => `contains(${s}, ${t})` },
  startsWith: { negate: false, test: (s, t) => `starts_with(${s}, ${t})` },
  doesNotStartWith: { negate: true, test: (s, t) => `starts_with(${s}, ${t})` },
  endsWith: { negate: false, test: (s, t) => `ends_with(${s}, ${t})` },
  doesNotEndWith: { negate: true, test: (s, t) => `ends_with(${s}, ${t})` },
  equals: { negate: false, test: (s, t) => `(${s} = ${t})` },
  notEqualTo: { negate: true, test: (s, t) => `(${s} = ${t})` },
};

/** `s.contains(t[, caseSensitive])` and friends: false when either side is not a string. */
function compileStringTest(node: FnApply, ctx: CompileContext): SqlValue | undefined {
  const spec = STRING_TESTS[node.fnName];
  if (!spec) return undefined;
  const flag = node.params[2];
  const caseSensitive = !(flag && flag.nodeType === 'literal' && flag.value === false);
  if (flag && !(flag.nodeType === 'literal' && flag.literalType === 'Boolean')) throw new PqlSqlCompileError(node.fnName, 'the case-sensitivity flag must be a boolean literal');
  let s = asString(ctx.compile(node.params[0], ctx));
  let t = asString(ctx.compile(node.params[1], ctx));
  if (!caseSensitive) [s, t] = [`lower(${s})`, `lower(${t})`];
  const test = spec.test(s, t);
  return { kind: 'bool', sql: `coalesce(${spec.negate ? `NOT ${test}` : test}, false)` };
}

function mapGet(target: SqlValue, key: SqlValue): SqlValue {
  if (target.kind === 'json') return { kind: 'json', sql: `pql_key_of(${target.sql}, ${asString(key)})` };
  if (target.kind === 'entries') return { kind: 'json', sql: `list_filter(${target.sql}, lambda pql_s: pql_s.k = ${asString(key)})[1].v` };
  if (target.kind === 'groups') {
    const group = asJson({ kind: target.groupKind ?? 'list', sql: 'pql_s.g' });
    return { kind: 'json', sql: `list_transform(list_filter(${target.sql}, lambda pql_s: pql_s.k = ${asString(key)}), lambda pql_s: ${group})[1]` };
  }
  return { kind: 'json', sql: NULL_JSON };
}

function mapParts(which: 'keys' | 'values', target: SqlValue): SqlValue {
  if (target.kind === 'json') {
    const each = which === 'keys' ? 'to_json(pql_mk)' : `pql_key_of(${target.sql}, pql_mk)`;
    return { kind: 'list', sql: `(CASE WHEN json_type(${target.sql}) = 'OBJECT' THEN list_transform(json_keys(${target.sql}), lambda pql_mk: CAST(${each} AS JSON)) END)` };
  }
  if (target.kind === 'entries') return { kind: 'list', sql: `list_transform(${target.sql}, lambda pql_s: ${which === 'keys' ? 'to_json(pql_s.k)' : 'pql_s.v'})` };
  if (target.kind === 'groups') {
    const group = asJson({ kind: target.groupKind ?? 'list', sql: 'pql_s.g' });
    return { kind: 'list', sql: `list_transform(${target.sql}, lambda pql_s: ${which === 'keys' ? 'to_json(pql_s.k)' : group})` };
  }
  return { kind: 'list', sql: 'CAST(NULL AS JSON[])' };
}
