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

export async function gatherEventLists(connection: DuckDBConnection, eventFields: EventFields = WHOLE_EVENTS, eventsPerPart = EVENTS_PER_PART): Promise<void> {
  const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${PQL_TABLES.events}`);
  const parts = Math.max(1, Math.ceil(Number(counted.getRows()[0][0]) / eventsPerPart));
  const part = (k: number) => `SELECT profile_id,
      list_transform(list_sort(list({'seq': seq, 'event': ${eventFields.structOf()}})), lambda pql_e: pql_e.event) AS events
    FROM (SELECT profile_id, seq, ts_ms, event_type, body, ${eventFields.pathsOf()} FROM ${PQL_TABLES.events}${parts > 1 ? ` WHERE hash(profile_id) % ${parts} = ${k}` : ''})
    GROUP BY profile_id`;
  await connection.run(`CREATE OR REPLACE TABLE ${PQL_TABLES.eventLists} AS ${part(0)}`);
  for (let k = 1; k < parts; k++) await connection.run(`INSERT INTO ${PQL_TABLES.eventLists} ${part(k)}`);
}
