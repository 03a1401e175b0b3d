/**
 * What a compiled PQL expression is in SQL: its text and its static kind, and the coercions
 * between kinds that carry docs/pql.md's rules (a value of the wrong type reads as null, logic is
 * two-valued, a filter on a single value sees a one-element list). Every SQL BOOLEAN the compiler
 * produces is non-null: `and`/`or`/`not` never meet SQL's unknown.
 *
 * @example
 *   asNumber({ kind: 'json', sql: "json_extract(p.attributes, '/age')" });  // "pql_num(json_extract(p.attributes, '/age'))"
 */

/**
 * - `bool`: BOOLEAN, never NULL; `num`: DOUBLE; `str`: VARCHAR; `time`: BIGINT epoch ms (an instant);
 * - `json`: a JSON value of unknown type (SQL NULL or JSON null for null);
 * - `list`: JSON[] (elements may be NULL); `events`: a list of event STRUCTs; `event`: one event STRUCT;
 * - `groups`: `groupBy` result, a list of STRUCT(k VARCHAR, g <list or events>); `entries`: a map built by
 *   `.map((K, G) => mapEntry(K, v))`, a list of STRUCT(k VARCHAR, v JSON).
 */
export type SqlKind = 'bool' | 'num' | 'str' | 'time' | 'json' | 'list' | 'events' | 'event' | 'groups' | 'entries';

export interface SqlValue {
  kind: SqlKind;
  sql: string;
  /** A typed column holding the same value when it is a string (an event's `event_type`). */
  fastStr?: string;
  /** A typed column holding the parsed timestamp (an event's `ts_ms`). */
  fastTime?: string;
  /** Columns holding this JSON value read as each type (a job's extracted profile paths). */
  typed?: TypedReads;
  /** For `groups`: the kind of each group's elements. */
  groupKind?: 'list' | 'events';
}

/**
 * A JSON value read as a string, number, boolean or time, each computed once per job into a column
 * (profile-fields.ts); asking is what creates the column, so only the reads made cost one.
 */
export interface TypedReads {
  str(): string;
  num(): string;
  bool(): string;
  time(): string;
}

/**
 * `value` with its `sql` computed when first read: for a value whose JSON text is a column a job
 * adds only if some audience uses it (profile-fields.ts, an event's `eventType`).
 */
export function withLazySql(value: Omit<SqlValue, 'sql'>, sql: () => string): SqlValue {
  return Object.defineProperty(value, 'sql', { enumerable: true, get: sql }) as SqlValue;
}

export const NULL_JSON = 'CAST(NULL AS JSON)';
const TYPED_NULL: Record<'num' | 'str' | 'time', string> = { num: 'CAST(NULL AS DOUBLE)', str: 'CAST(NULL AS VARCHAR)', time: 'CAST(NULL AS BIGINT)' };

export const isListKind = (kind: SqlKind): kind is 'list' | 'events' => kind === 'list' || kind === 'events';

/** Truthiness for `and`, `or`, `not`, `if` and filters: only `true` is true. */
export function asCondition(v: SqlValue): string {
  if (v.kind === 'bool') return v.sql;
  if (v.kind === 'json') return `coalesce(${v.typed?.bool() ?? `pql_bool(${v.sql})`}, false)`;
  return 'false';
}

/**
 * Whether a condition holds where PQL tests elements (a filter's brackets, `filter`/`exists`
 * arguments, a quantifier's `where`, a chain's `WHAT`/`WHERE`): `true` or a non-empty array, so
 * `xEvent[productListItems[SKU = "PS"]]` keeps events having such an item. Same as an audience's yes/no.
 */
export function asHolds(v: SqlValue): string {
  return asAudience(v);
}

/** An audience's yes/no: `true` or a non-empty array. */
export function asAudience(v: SqlValue): string {
  if (v.kind === 'bool') return v.sql;
  if (v.kind === 'json') return `pql_audience(${v.sql})`;
  if (isListKind(v.kind)) return `coalesce(len(${v.sql}) > 0, false)`;
  return 'false';
}

export function asNumber(v: SqlValue): string {
  if (v.kind === 'num') return v.sql;
  if (v.kind === 'json') return v.typed?.num() ?? `pql_num(${v.sql})`;
  return TYPED_NULL.num;
}

export function asString(v: SqlValue): string {
  if (v.kind === 'str') return v.sql;
  if (v.kind === 'json') return v.typed?.str() ?? v.fastStr ?? `pql_str(${v.sql})`;
  return TYPED_NULL.str;
}

/** A time (epoch ms): times as they are, strings parsed as ISO 8601, anything else NULL. */
export function asTime(v: SqlValue): string {
  if (v.kind === 'time') return v.sql;
  if (v.kind === 'json') return v.typed?.time() ?? v.fastTime ?? `pql_time(${v.sql})`;
  if (v.kind === 'str') return `pql_ts(${v.sql})`;
  return TYPED_NULL.time;
}

/** A nullable BOOLEAN for a value read as a boolean (JSON true/false, or a condition). */
export function asBooleanValue(v: SqlValue): string {
  if (v.kind === 'bool') return v.sql;
  if (v.kind === 'json') return v.typed?.bool() ?? `pql_bool(${v.sql})`;
  return 'CAST(NULL AS BOOLEAN)';
}

/** Whether the value is present (not missing, not null). */
export function isPresent(v: SqlValue): string {
  if (v.kind === 'bool') return 'true';
  if (v.kind === 'json') return `NOT pql_isnull(${v.sql})`;
  return `(${v.sql}) IS NOT NULL`;
}

/**
 * The value as a list: lists and events as they are; a JSON array as its elements; null as NULL;
 * any other single value as a one-element list.
 */
export function asList(v: SqlValue): SqlValue {
  if (isListKind(v.kind)) return v;
  if (v.kind === 'json') return { kind: 'list', sql: `pql_items(${v.sql})` };
  if (v.kind === 'event') return { kind: 'events', sql: `[${v.sql}]` };
  if (v.kind === 'groups' || v.kind === 'entries') return { kind: 'list', sql: `[${asJson(v)}]` };
  return { kind: 'list', sql: `CASE WHEN ${isPresent(v)} THEN [${asJson(v)}] END` };
}

/**
 * An empty list of the same kind, for COALESCE. An empty list of events takes its element type
 * from the list it stands in for (events may be gathered with other fields, event-fields.ts).
 */
export function emptyList(kind: 'list' | 'events'): string {
  return kind === 'events' ? '[]' : '[]::JSON[]';
}

/** The value as JSON (for lists of values, object literals, results). */
export function asJson(v: SqlValue): string {
  switch (v.kind) {
    case 'json': return v.sql;
    case 'bool': case 'num': case 'str': return `to_json(${v.sql})`;
    case 'time': return `to_json(pql_iso(${v.sql}))`;
    case 'list': return `to_json(${v.sql})`;
    case 'events': return `to_json(list_transform(${v.sql}, lambda pql_e: pql_e.body))`;
    case 'event': return `(${v.sql}).body`;
    case 'groups': {
      const group = asJson({ kind: v.groupKind ?? 'list', sql: 'pql_s.g' });
      return `to_json(map_from_entries(list_transform(${v.sql}, lambda pql_s: {'k': pql_s.k, 'v': ${group}})))`;
    }
    case 'entries': return `to_json(map_from_entries(${v.sql}))`;
  }
}
