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
 *   const { events } = inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now })));  // input-fields.ts
 *   await gatherEventLists(connection, events);  // events are STRUCT(ts_ms, event_type, f0 JSON)
 */
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
