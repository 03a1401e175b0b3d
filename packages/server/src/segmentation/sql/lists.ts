/**
 * Reading fields and aggregating lists in SQL: paths over JSON (a JSON Pointer, with a walk that
 * projects over arrays when the pointer finds nothing), over events (typed columns for
 * `eventType`/`timestamp`), over lists (projection), and sum/average/min/max of numbers.
 *
 * @example
 *   lookupFields({ kind: 'json', sql: 'p.attributes' }, ['homeAddress', 'countryCode'], true).sql;
 *   // "coalesce(json_extract(p.attributes, '/homeAddress/countryCode'), pql_field(pql_field(p.attributes, 'homeAddress'), 'countryCode'))"
 */
import { isArrayIndexLike, jsonPointer, sqlString } from './sql-text.ts';
import { NULL_JSON, type SqlValue } from './values.ts';

/**
 * Reads `fields` from a value. On JSON this is one JSON Pointer (fast, exact while the path
 * crosses only objects) falling back to a step-by-step walk that projects over arrays.
 */
export function lookupFields(root: SqlValue, fields: readonly string[], rootIsObject = false): SqlValue {
  if (fields.length === 0) return root;
  switch (root.kind) {
    case 'json': return { kind: 'json', sql: jsonPath(root.sql, fields, rootIsObject) };
    case 'event': {
      const value: SqlValue = { kind: 'json', sql: jsonPath(`${root.sql}.body`, fields, true) };
      if (fields.length === 1 && fields[0] === 'eventType') value.fastStr = `${root.sql}.event_type`;
      if (fields.length === 1 && fields[0] === 'timestamp') value.fastTime = `${root.sql}.ts_ms`;
      return value;
    }
    case 'events': {
      const first = `flatten(list_transform(${root.sql}, lambda pql_e: coalesce(pql_items(${jsonPath('pql_e.body', [fields[0]], true)}), []::JSON[])))`;
      return lookupFields({ kind: 'list', sql: first }, fields.slice(1));
    }
    case 'list':
      return { kind: 'list', sql: fields.reduce((acc, f) => `pql_project(${acc}, ${sqlString(f)})`, root.sql) };
    case 'entries': {
      const value: SqlValue = { kind: 'json', sql: `list_filter(${root.sql}, lambda pql_s: pql_s.k = ${sqlString(fields[0])})[1].v` };
      return lookupFields(value, fields.slice(1));
    }
    default:
      return { kind: 'json', sql: NULL_JSON };
  }
}

export function jsonPath(sql: string, fields: readonly string[], rootIsObject: boolean): string {
  const slow = fields.reduce((acc, f) => `pql_field(${acc}, ${sqlString(f)})`, sql);
  if (fields.some(isArrayIndexLike)) return slow;
  const fast = `json_extract(${sql}, ${sqlString(jsonPointer(fields))})`;
  if (fields.length === 1 && rootIsObject) return fast;
  return `coalesce(${fast}, ${slow})`;
}

/** sum (0 when empty), average, min, max (NULL when empty) of a DOUBLE[] whose NULLs are ignored. */
export function aggregateNumbers(aggregate: 'sum' | 'average' | 'min' | 'max', values: string): SqlValue {
  switch (aggregate) {
    case 'sum': return { kind: 'num', sql: `coalesce(list_sum(${values}), CAST(0 AS DOUBLE))` };
    case 'average': return { kind: 'num', sql: `list_avg(${values})` };
    case 'min': return { kind: 'num', sql: `list_min(${values})` };
    case 'max': return { kind: 'num', sql: `list_max(${values})` };
  }
}
