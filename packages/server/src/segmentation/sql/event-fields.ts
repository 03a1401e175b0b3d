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

export class EventFields {
  /**
   * @param keepsBody whether each event also carries its whole body.
   * @param slots the body paths held as fields; while open, a path not seen yet gets a new field
   *   (a job's audiences being read); closed, it is refused, since the lists were gathered without it.
   */
  constructor(
    readonly keepsBody = true,
    private readonly slots = new PathSlots([], false),
  ) {}

  /** Fields of a job's audiences being read: every body path they read is added. */
  static reading(): EventFields {
    return new EventFields(false, new PathSlots());
  }

  /** The STRUCT field holding `fields` read from the body (`f3`). */
  field(fields: readonly string[]): string {
    const slot = this.slots.slotOf(fields);
    if (slot === undefined) throw new Error(`the event lists were gathered without the field ${fields.join('.')}`);
    return `f${slot}`;
  }

  /** The same fields, closed, with or without the body. */
  fixed(keepsBody: boolean): EventFields {
    return new EventFields(keepsBody, this.slots.closed());
  }

  /** The SQL type of one event. */
  struct(): string {
    const fields = ['ts_ms BIGINT', 'event_type VARCHAR', ...(this.keepsBody ? ['body JSON'] : []), ...this.slots.paths.map((_, i) => `f${i} JSON`)];
    return `STRUCT(${fields.join(', ')})`;
  }

  /**
   * One event as a STRUCT over `pql_events`' columns (`ts_ms`, `event_type`, `body`) and
   * `pql_paths` (`pathsOf`): each field is the value `jsonPath` would read from the body.
   */
  structOf(): string {
    const { values } = this.extracted();
    const fields = [`'ts_ms': ts_ms`, `'event_type': event_type`, ...(this.keepsBody ? [`'body': body`] : []), ...values.map((value, i) => `'f${i}': ${value}`)];
    return `CAST({${fields.join(', ')}} AS ${this.struct()})`;
  }

  /** The column `pql_paths` that `structOf` reads: every field's pointer looked up in one parse of the body. */
  pathsOf(): string {
    return this.extracted().column;
  }

  private extracted() {
    return this.slots.extract('body', this.slots.paths.map((_, slot) => slot));
  }
}
