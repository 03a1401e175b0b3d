/**
 * Gathers each profile's events into `pql_event_lists` like `preparePqlInput`
 * (sql/input-layout.ts), but with a plain `list()` sorted afterwards by `seq` instead of an
 * ordered aggregate: the same lists, about 4× less CPU on DuckDB 1.5 (ordered aggregates sort
 * per group; `list_sort` over (seq, event) structs sorts small lists in place). With `eventFields`
 * each event holds the fields a job's audiences read instead of, or beside, its body
 * (sql/event-fields.ts); the audiences must then be compiled with the same input fields.
 *
 * The profiles are gathered in parts (by a hash of the profile id, about `EVENTS_PER_PART` events
 * each), one statement per part: a grouping of a million profiles at once built its hash table and
 * lists in fresh memory (~1 GB of first-touch page faults for 3M events), where parts reuse what
 * the previous part freed. 3M events with the profile fields table after them, 5 alternating pairs
 * in isolation: 0.4–1.5 s less wall time and 0.8–3.1 s less CPU per job (bench/README.md).
 *
 * Each event's type is held as a value of an ENUM of the types present (`pql_event_type_<n>`, in
 * text order, so comparing, sorting and taking the least or greatest agree with the text): a
 * string over 12 bytes (`commerce.productViews`) is copied into every list that holds it, a code
 * is one byte. Compared with text it reads as text (DuckDB casts the ENUM), so compiled audiences
 * are unchanged. 3M events: gathering 1.0–1.2 → 0.4 s, and a type filter over the lists twice as fast.
 *
 * @example
 *   await gatherEventLists(connection);  // pql_event_lists(profile_id, events) from pql_events
 *   await gatherEventLists(connection, inputFieldsFor(queries).events);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { EventFields } from '../sql/event-fields.ts';
import { PQL_TABLES } from '../sql/input-layout.ts';

/** Events with their whole body and no other field: what audiences compiled without `eventFields` read. */
const WHOLE_EVENTS = new EventFields();

/** Events per gathering statement. */
export const EVENTS_PER_PART = 750_000;

/** Event types beyond which the types stay text (an ENUM's values are held in its type). */
const MOST_EVENT_TYPES = 10_000;

/** ENUM types made so far in this process: each gathering gets a name of its own. */
let enumsMade = 0;

export async function gatherEventLists(connection: DuckDBConnection, eventFields: EventFields = WHOLE_EVENTS, eventsPerPart = EVENTS_PER_PART): Promise<void> {
  const counted = await connection.runAndReadAll(`SELECT count(*), count(DISTINCT event_type) FROM ${PQL_TABLES.events}`);
  const [events, types] = counted.getRows()[0].map(Number);
  const eventType = types > 0 && types <= MOST_EVENT_TYPES ? await eventTypeEnum(connection) : 'VARCHAR';
  const parts = Math.max(1, Math.ceil(events / eventsPerPart));
  const part = (k: number) => `SELECT profile_id,
      list_transform(list_sort(list({'seq': seq, 'event': ${eventFields.structOf(eventType)}})), lambda pql_e: pql_e.event) AS events
    FROM (${eventFields.eventsWithValues(`SELECT * FROM ${PQL_TABLES.events}${parts > 1 ? ` WHERE hash(profile_id) % ${parts} = ${k}` : ''}`)})
    GROUP BY profile_id`;
  await connection.run(`CREATE OR REPLACE TABLE ${PQL_TABLES.eventLists} AS ${part(0)}`);
  for (let k = 1; k < parts; k++) await connection.run(`INSERT INTO ${PQL_TABLES.eventLists} ${part(k)}`);
}

/** An ENUM of the event types of `pql_events`, in text order. */
async function eventTypeEnum(connection: DuckDBConnection): Promise<string> {
  const name = `pql_event_type_${++enumsMade}`;
  await connection.run(`CREATE TYPE ${name} AS ENUM (SELECT DISTINCT event_type FROM ${PQL_TABLES.events} WHERE event_type IS NOT NULL ORDER BY event_type)`);
  return name;
}
