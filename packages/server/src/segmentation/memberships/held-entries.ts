/**
 * A sandbox's memberships as a batch job reads them in bulk, the baseline of its transitions.
 * Read one `Membership` at a time (`byProfile`) and appended to DuckDB value by value, the 4.5M
 * memberships of `pql-batch`'s million people took ~9 s of the event loop before the next day's
 * job could start. A store with `entryRows` hands over its rows as they are stored instead, a
 * profile id and the JSON text of its entries (sqlite-store.ts: a bare time for an entry realized
 * when it qualified, else `[status code, lastQualificationTime, updatedAt?]`), two values per
 * profile for the DuckDB appender, and DuckDB decodes the entries with its threads
 * (`heldEntriesSql`): about half the time.
 *
 * @example
 *   await connection.run(`CREATE TABLE rows AS ...`);  // (profile_id, entries) from store.entryRows
 *   await connection.run(`SELECT * FROM (${heldEntriesSql('rows')}) WHERE status_code <> 2`);
 */

/** A stored row: a profile id and the JSON text of its entries. */
export type EntryRow = readonly [profileId: string, entries: string];

/**
 * DuckDB: the memberships of `rows` (a table of `profile_id`, `entries`) as rows
 * (profile_id, audience_id, status_code, lqt), status codes 0 realized, 1 existing, 2 exited.
 */
export function heldEntriesSql(rows: string): string {
  // An entry's value is its time alone (realized) or `[code,time,updated?]`: as [code, time] text parts.
  return `SELECT profile_id, audience_id, CAST(pql_parts[1] AS INTEGER) AS status_code, CAST(CAST(pql_parts[2] AS DOUBLE) AS BIGINT) AS lqt
    FROM (SELECT profile_id, pql_entry.key AS audience_id,
        CASE WHEN starts_with(pql_entry.value, '[') THEN string_split(pql_entry.value[2:-2], ',') ELSE ['0', pql_entry.value] END AS pql_parts
      FROM (SELECT profile_id, unnest(map_entries(CAST(CAST(entries AS JSON) AS MAP(VARCHAR, VARCHAR)))) AS pql_entry FROM ${rows}))`;
}
