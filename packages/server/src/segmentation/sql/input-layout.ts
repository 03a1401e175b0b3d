/**
 * The tables a batch audience job evaluates over, and how to fill them. Profiles keep their
 * attributes as one JSON document (any schema, no DDL per schema change); events keep their
 * whole body as JSON plus two typed columns every audience filters on — the parsed timestamp
 * (`ts_ms`, epoch ms, by `parseTimestamp`) and the string `event_type` — and are gathered once per
 * job into one list per profile (`pql_event_lists`), which compiled audiences read with DuckDB
 * list lambdas. `inSegment` reads `pql_segment_members`. The evaluation instant is not a column:
 * the compiler turns `now` and every window bound into query parameters. See docs/pql-sql.md.
 *
 * @example
 *   await createPqlInputTables(connection);
 *   await loadPqlInput(connection, [{ profileId: 'p1', attributes: { homeAddress: { countryCode: 'US' } }, events: [] }]);
 *   await preparePqlInput(connection);  // builds pql_event_lists
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { parseTimestamp } from '../pql/time.ts';
import type { JsonValue, XdmEvent } from '../pql/cases.ts';

export const PQL_TABLES = {
  profiles: 'pql_profiles',
  events: 'pql_events',
  segmentMembers: 'pql_segment_members',
  eventLists: 'pql_event_lists',
} as const;

/** The STRUCT of one event in `pql_event_lists.events`. */
export const EVENT_STRUCT = 'STRUCT(ts_ms BIGINT, event_type VARCHAR, body JSON)';

/** DDL of the input tables (the batch job materializes them from merged profiles and the lake). */
export const PQL_INPUT_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${PQL_TABLES.profiles} (profile_id VARCHAR NOT NULL, attributes JSON)`,
  // seq: storage order of a profile's events (xEvent keeps it); ts_ms: parseTimestamp(body.timestamp) or NULL;
  // event_type: body.eventType when it is a string, else NULL.
  `CREATE TABLE IF NOT EXISTS ${PQL_TABLES.events} (profile_id VARCHAR NOT NULL, seq BIGINT NOT NULL, ts_ms BIGINT, event_type VARCHAR, body JSON NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${PQL_TABLES.segmentMembers} (profile_id VARCHAR NOT NULL, segment_id VARCHAR NOT NULL)`,
];

/**
 * Creates the input tables (idempotent).
 *
 * @example
 *   await createPqlInputTables(connection);
 */
export async function createPqlInputTables(connection: DuckDBConnection): Promise<void> {
  for (const statement of PQL_INPUT_DDL) await connection.run(statement);
}

/**
 * Gathers each profile's events into one list in storage order (run after loading, before
 * evaluating; once per job, shared by every audience).
 *
 * @example
 *   await preparePqlInput(connection);
 */
export async function preparePqlInput(connection: DuckDBConnection): Promise<void> {
  await connection.run(`CREATE OR REPLACE TABLE ${PQL_TABLES.eventLists} AS
    SELECT profile_id, list(CAST({'ts_ms': ts_ms, 'event_type': event_type, 'body': body} AS ${EVENT_STRUCT}) ORDER BY seq) AS events
    FROM ${PQL_TABLES.events} GROUP BY profile_id`);
}

/** One profile to load: attributes, events in storage order, audience memberships. */
export interface PqlInputProfile {
  profileId: string;
  attributes: { [key: string]: JsonValue };
  events: readonly XdmEvent[];
  segments?: readonly string[];
}

/** The typed columns of one event, derived exactly as the in-memory evaluator reads them. */
export function eventColumns(event: XdmEvent): { tsMs: number | null; eventType: string | null } {
  return { tsMs: parseTimestamp(event.timestamp), eventType: typeof event.eventType === 'string' ? event.eventType : null };
}

/**
 * One profile's row and its events' rows (sequence numbers in array order), through appenders of
 * `PQL_TABLES.profiles` and `PQL_TABLES.events` (or tables of the same columns).
 *
 * @example
 *   appendProfileRows(profiles, events, 'p1', { loyalty: { tier: 'gold' } }, [{ eventType: 'web.webpagedetails.pageViews' }]);
 */
export function appendProfileRows(
  profileAppender: DuckDBAppender,
  eventAppender: DuckDBAppender,
  profileId: string,
  attributes: unknown,
  events: readonly XdmEvent[],
): void {
  profileAppender.appendVarchar(profileId);
  profileAppender.appendVarchar(JSON.stringify(attributes));
  profileAppender.endRow();
  events.forEach((event, seq) => {
    const { tsMs, eventType } = eventColumns(event);
    eventAppender.appendVarchar(profileId);
    eventAppender.appendBigInt(BigInt(seq));
    if (tsMs === null) eventAppender.appendNull();
    else eventAppender.appendBigInt(BigInt(tsMs));
    if (eventType === null) eventAppender.appendNull();
    else eventAppender.appendVarchar(eventType);
    eventAppender.appendVarchar(JSON.stringify(event));
    eventAppender.endRow();
  });
}

/**
 * Appends profiles, their events and memberships (small loads: tests, samples). Large jobs
 * should bulk-load with DuckDB (Parquet, appenders) into the same columns.
 *
 * @example
 *   await loadPqlInput(connection, [{ profileId: 'p1', attributes: {}, events: [], segments: ['s1'] }]);
 */
export async function loadPqlInput(connection: DuckDBConnection, profiles: readonly PqlInputProfile[]): Promise<void> {
  const profileAppender = await connection.createAppender(PQL_TABLES.profiles);
  const eventAppender = await connection.createAppender(PQL_TABLES.events);
  const memberAppender = await connection.createAppender(PQL_TABLES.segmentMembers);
  for (const profile of profiles) {
    appendProfileRows(profileAppender, eventAppender, profile.profileId, profile.attributes, profile.events);
    for (const segment of profile.segments ?? []) {
      memberAppender.appendVarchar(profile.profileId);
      memberAppender.appendVarchar(segment);
      memberAppender.endRow();
    }
  }
  for (const appender of [profileAppender, eventAppender, memberAppender]) appender.closeSync();
}
