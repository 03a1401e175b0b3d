/**
 * PQL → SQL for batch audiences: one set-oriented DuckDB query per audience over the input
 * tables of input-layout.ts, returning the qualifying `profile_id`s (audience mode) or each
 * profile's value as JSON (value mode, for computed attributes and tests). Null semantics follow
 * docs/pql.md; constructs without a translation throw `PqlSqlCompileError`. The `pql_*` macros
 * (prelude.ts) must be installed on the connection.
 *
 * @example
 *   const { sql, params } = compileToSql(parseOrThrow('homeAddress.countryCode = "US"'), { now: Date.now() });
 *   const rows = await connection.runAndReadAll(sql, params);  // one row per member: profile_id
 */
import type { Expr } from '../pql/ast.ts';
import { compileExpr } from './compile-expr.ts';
import type { InputFields } from './input-fields.ts';
import { rootContext } from './context.ts';
import { PQL_TABLES } from './input-layout.ts';
import { PROFILE_FIELDS_TABLE } from './profile-fields.ts';
import { sqlString } from './sql-text.ts';
import { asAudience, asJson } from './values.ts';

export interface CompileToSqlOptions {
  /** The evaluation instant: epoch ms or an ISO 8601 string. */
  now: number | string;
  /** `audience` (default): `SELECT profile_id` of members; `value`: `SELECT profile_id, value` (JSON) for every profile. */
  mode?: 'audience' | 'value';
  /** Restrict to one profile (tests, previews). */
  profileId?: string;
  /**
   * The fields a job extracted from its input (input-fields.ts): profiles are then read from
   * `pql_profile_fields` and events hold those fields; without it, the documents are read.
   */
  fields?: InputFields;
  /**
   * Audience mode: the column members are given by, `profile_id` (default) or `profile_key` (a
   * job's integer key, carried by its profile fields table: jobs/profile-keys.ts). Needs `fields`.
   */
  select?: 'profile_id' | 'profile_key';
}

export interface CompiledSql {
  sql: string;
  /** Named parameters (`$t0`...): `now` and the window bounds, epoch ms, computed by pql/time.ts. */
  params: Record<string, number>;
  readsEvents: boolean;
  readsSegments: boolean;
}

/**
 * Compiles an audience (or a value expression) to one DuckDB query.
 *
 * @example
 *   const compiled = compileToSql(parseOrThrow('chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(< 7 days before now)])'), { now: '2025-06-18T15:00:00Z' });
 *   // compiled.sql: SELECT p.profile_id FROM pql_profiles p LEFT JOIN pql_event_lists ev ... WHERE (len(list_filter(...)) >= 1)
 *   // compiled.params: { t0: 1749654000000, t1: 1750258800000 }
 */
export function compileToSql(ast: Expr, options: CompileToSqlOptions): CompiledSql {
  const now = typeof options.now === 'number' ? options.now : Date.parse(options.now);
  if (!Number.isFinite(now)) throw new Error(`invalid evaluation instant: ${String(options.now)}`);
  if (options.select === 'profile_key' && !options.fields) throw new Error('members are selected by profile key only from the profile fields table');
  const ctx = rootContext(now, compileExpr, options.fields);
  const value = compileExpr(ast, ctx);
  const joins = [
    ctx.state.readsEvents ? `LEFT JOIN ${PQL_TABLES.eventLists} ev ON ev.profile_id = p.profile_id` : '',
    ctx.state.readsSegments ? `LEFT JOIN (SELECT profile_id, list(segment_id) AS segments FROM ${PQL_TABLES.segmentMembers} GROUP BY profile_id) sm ON sm.profile_id = p.profile_id` : '',
  ].filter(Boolean);
  const from = [`FROM ${options.fields ? PROFILE_FIELDS_TABLE : PQL_TABLES.profiles} p`, ...joins].join('\n');
  const only = options.profileId === undefined ? '' : `p.profile_id = ${sqlString(options.profileId)}`;
  const sql = options.mode === 'value'
    ? `SELECT p.profile_id, CAST(${asJson(value)} AS JSON) AS value\n${from}${only ? `\nWHERE ${only}` : ''}`
    : `SELECT p.${options.select ?? 'profile_id'}\n${from}\nWHERE ${only ? `${only} AND ` : ''}${asAudience(value)}`;
  // Constants prepared but not used (an interval end a constraint did not need) must not be bound.
  const params = Object.fromEntries(Object.entries(ctx.state.params).filter(([name]) => sql.includes(`$${name}::`)));
  return { sql, params, readsEvents: ctx.state.readsEvents, readsSegments: ctx.state.readsSegments };
}
