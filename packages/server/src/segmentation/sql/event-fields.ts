/**
 * Which parts of an event a job's audiences read, so its event lists carry only those. By
 * default each event in `pql_event_lists` holds its whole JSON body and every field an audience
 * reads is looked up in it, event by event, audience by audience. A job knows its audiences
 * before it gathers the lists: each path they read from an event (`commerce.order.priceTotal`)
 * becomes a field of the event STRUCT (`f0`), computed once at gathering by the very expression a
 * compiled audience would run on the body (`jsonPath`), and the body is left out unless some
 * audience uses an event as a whole (a comparison of events, an event returned as a value).
 * Copying bodies was ~3.5 s of the 4.5 s spent gathering 3M events in `pql-batch`.
 *
 * @example
 *   const fields = eventFieldsFor(audiences.map((a) => ({ ast: a.ast, now })));  // one path, commerce.order.priceTotal; no body
 *   await gatherEventLists(connection, fields);  // events are STRUCT(ts_ms, event_type, f0 JSON)
 *   compileToSql(ast, { now, eventFields: fields });  // reads pql_c0.f0, not the body
 */
import type { Expr } from '../pql/ast.ts';
import { compileToSql } from './compile.ts';
import { PqlSqlCompileError } from './errors.ts';
import { jsonPath } from './lists.ts';
import { jsonPointer, sqlString } from './sql-text.ts';

export class EventFields {
  private readonly slots = new Map<string, number>();
  private readonly paths: (readonly string[])[] = [];

  /**
   * @param keepsBody whether each event also carries its whole body.
   * @param open whether a path not seen yet gets a new field (while a job's audiences are read);
   *   a fixed set refuses it, since the lists were gathered without it.
   */
  constructor(
    readonly keepsBody = true,
    private readonly open = true,
    paths: readonly (readonly string[])[] = [],
  ) {
    for (const path of paths) this.assign(path);
  }

  /** The STRUCT field holding `fields` read from the body (`f3`). */
  field(fields: readonly string[]): string {
    const slot = this.slots.get(JSON.stringify(fields));
    if (slot !== undefined) return `f${slot}`;
    if (!this.open) throw new Error(`the event lists were gathered without the field ${fields.join('.')}`);
    return `f${this.assign(fields)}`;
  }

  /** The same fields, no longer open, with or without the body. */
  fixed(keepsBody: boolean): EventFields {
    return new EventFields(keepsBody, false, this.paths);
  }

  /** The SQL type of one event. */
  struct(): string {
    const fields = ['ts_ms BIGINT', 'event_type VARCHAR', ...(this.keepsBody ? ['body JSON'] : []), ...this.paths.map((_, i) => `f${i} JSON`)];
    return `STRUCT(${fields.join(', ')})`;
  }

  /**
   * One event as a STRUCT over `pql_events`' columns (`ts_ms`, `event_type`, `body`) and
   * `pql_paths`, the JSON Pointers of every field read from the body in one parse
   * (`pathsOf`). Each field is the value `jsonPath` would read: the pointer's result, else the
   * walk that projects over arrays.
   */
  structOf(): string {
    const fields = [
      `'ts_ms': ts_ms`,
      `'event_type': event_type`,
      ...(this.keepsBody ? [`'body': body`] : []),
      ...this.paths.map((path, i) => `'f${i}': ${jsonPath('body', path, true, `pql_paths[${i + 1}]`)}`),
    ];
    return `CAST({${fields.join(', ')}} AS ${this.struct()})`;
  }

  /** The column `pql_paths` that `structOf` reads: every pointer looked up in one parse of the body. */
  pathsOf(): string {
    return this.paths.length === 0 ? 'NULL AS pql_paths' : `json_extract(body, [${this.paths.map((p) => sqlString(jsonPointer(p))).join(', ')}]) AS pql_paths`;
  }

  private assign(fields: readonly string[]): number {
    const slot = this.paths.length;
    this.slots.set(JSON.stringify(fields), slot);
    this.paths.push([...fields]);
    return slot;
  }
}

/** One query the event lists must serve, compiled as it will be run. */
export interface EventQuery {
  ast: Expr;
  now: number;
  mode?: 'audience' | 'value';
}

/**
 * The event fields a set of queries reads (those the SQL engine cannot translate are left out: a
 * job skips them). The body is kept when some compiled query still refers to it.
 *
 * @example
 *   eventFieldsFor([{ ast: parseOrThrow('xEvent[commerce.order.priceTotal > 100].count() > 0'), now }]).struct();
 *   // 'STRUCT(ts_ms BIGINT, event_type VARCHAR, f0 JSON)'
 */
export function eventFieldsFor(queries: readonly EventQuery[]): EventFields {
  const reading = new EventFields(false, true);
  let keepsBody = false;
  for (const { ast, now, mode } of queries) {
    try {
      // Every body reference of compiled SQL is `<event>.body`; a text that merely looks like one
      // (a string literal) keeps the body too, which costs speed, never a wrong answer.
      if (/\.body\b/.test(compileToSql(ast, { now, eventFields: reading, ...(mode ? { mode } : {}) }).sql)) keepsBody = true;
    } catch (err) {
      if (!(err instanceof PqlSqlCompileError)) throw err;
    }
  }
  return reading.fixed(keepsBody);
}
