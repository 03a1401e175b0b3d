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
import { PathSlots } from './path-slots.ts';
import { TYPED_COLUMN } from './prelude.ts';
import { withLazySql, type SqlValue, type TypedReads } from './values.ts';

/** How a field of the event STRUCT reads the path's JSON value (the column `pql_v<slot>` of `eventsWithValues`), and its SQL type. */
const READS = {
  f: { type: 'JSON', of: (json: string) => json },
  s: { type: 'VARCHAR', of: TYPED_COLUMN.s },
  n: { type: 'DOUBLE', of: TYPED_COLUMN.n },
  b: { type: 'BOOLEAN', of: TYPED_COLUMN.b },
  t: { type: 'BIGINT', of: TYPED_COLUMN.t },
} as const;

type Read = keyof typeof READS;

export class EventFields {
  /** Fields asked for, by name (`n0`): what they read, of which slot. */
  private readonly columns: Map<string, { read: Read; slot: number }>;

  /**
   * @param keepsBody whether each event also carries its whole body.
   * @param slots the body paths read; while open, a path or field not asked for yet is added (a
   *   job's audiences being read); closed, it is refused, since the lists were gathered without it.
   */
  constructor(
    readonly keepsBody = true,
    private readonly slots = new PathSlots([], false),
    columns: ReadonlyMap<string, { read: Read; slot: number }> = new Map(),
  ) {
    this.columns = new Map(columns);
  }

  /** Fields of a job's audiences being read: every body path and typed read they ask for is added. */
  static reading(): EventFields {
    return new EventFields(false, new PathSlots());
  }

  /**
   * `fields` of the body of `event` (a STRUCT of the lists): its JSON value (`f3`) and its typed
   * reads (`n3`, the number `pql_num(f3)` would read, `s3`, `b3`, `t3`), each a field computed
   * once at gathering. Reading `sql` or a typed read is what asks for the field, so a price only
   * summed costs one DOUBLE.
   */
  value(event: string, fields: readonly string[]): SqlValue {
    const slot = this.slots.slotOf(fields);
    const field = (read: Read) => `${event}.${this.column(read, slot, fields)}`;
    const typed: TypedReads = { str: () => field('s'), num: () => field('n'), bool: () => field('b'), time: () => field('t') };
    return withLazySql({ kind: 'json', typed }, () => field('f'));
  }

  /** The same fields, closed, with or without the body. */
  fixed(keepsBody: boolean): EventFields {
    return new EventFields(keepsBody, this.slots.closed(), this.columns);
  }

  /** The SQL type of one event; `eventType` is the type of its `event_type` (a job's ENUM: jobs/event-lists.ts). */
  struct(eventType = 'VARCHAR'): string {
    const fields = ['ts_ms BIGINT', `event_type ${eventType}`, ...(this.keepsBody ? ['body JSON'] : []), ...this.sorted().map(([name, c]) => `${name} ${READS[c.read].type}`)];
    return `STRUCT(${fields.join(', ')})`;
  }

  /**
   * One event as a STRUCT over the columns of `eventsWithValues`: each field is what an audience
   * would read from the body (`jsonPath`), typed as the field's read types it.
   */
  structOf(eventType = 'VARCHAR'): string {
    const fields = [
      `'ts_ms': ts_ms`,
      `'event_type': event_type`,
      ...(this.keepsBody ? [`'body': body`] : []),
      ...this.sorted().map(([name, c]) => `'${name}': ${READS[c.read].of(`pql_v${c.slot}`)}`),
    ];
    return `CAST({${fields.join(', ')}} AS ${this.struct(eventType)})`;
  }

  /**
   * The events of `source` (a query with `pql_events`' columns) with the JSON value of each path
   * read (`pql_v<slot>`): every pointer looked up in one parse of the body, then the walk that
   * projects over arrays where it found nothing (path-slots.ts).
   */
  eventsWithValues(source: string): string {
    const slots = this.usedSlots();
    const { column, values } = this.slots.extract('body', slots);
    const named = values.map((value, i) => `${value} AS pql_v${slots[i]}`);
    return `SELECT ${['profile_id', 'seq', 'ts_ms', 'event_type', 'body', ...named].join(', ')}
      FROM (SELECT profile_id, seq, ts_ms, event_type, body, ${column} FROM (${source}))`;
  }

  private column(read: Read, slot: number | undefined, fields: readonly string[]): string {
    const name = `${read}${slot}`;
    if (slot === undefined || (!this.columns.has(name) && !this.slots.open)) {
      throw new Error(`the event lists were gathered without the field ${fields.join('.')}${read === 'f' ? '' : ` (${read})`}`);
    }
    this.columns.set(name, { read, slot });
    return name;
  }

  /** Fields by slot, then read (`f0`, `n0`, `f1`...). */
  private sorted(): [string, { read: Read; slot: number }][] {
    const order = Object.keys(READS);
    return [...this.columns].sort(([, a], [, b]) => a.slot - b.slot || order.indexOf(a.read) - order.indexOf(b.read));
  }

  private usedSlots(): number[] {
    return [...new Set([...this.columns.values()].map((c) => c.slot))].sort((a, b) => a - b);
  }
}
