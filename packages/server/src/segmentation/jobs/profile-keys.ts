/**
 * Integer keys for the profiles of one job. Profile ids as the platform makes them are 28
 * characters sharing their first 16 (`prs_` + creation time + random); DuckDB keeps strings over 12
 * bytes out of line, so joining, sorting and grouping millions of membership rows by them costs
 * several times what the same work costs on integers, and handing each one to JavaScript costs a
 * native call (~1.5 µs). A job therefore gives every profile it meets a dense key (0, 1, 2, ...):
 * its members, the memberships held before it and its transitions are (audience code, profile key)
 * pairs, and the ids come back once, in key order, a few thousand per string (`profileIdsByKey`).
 *
 * Keys follow the order of profile ids within each call of `keyProfiles`, after the keys given
 * before: the profiles of the first merge policy's input come first in id order, so writing
 * transitions in key order writes the membership table's profile index in place.
 *
 * @example
 *   await keyProfiles(connection, ['pql_profiles']);   // job_profile_keys(profile_id, profile_key)
 *   const ids = await profileIdsByKey(connection);     // ids[key] is the profile id
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export const PROFILE_KEYS_TABLE = 'job_profile_keys';

const PROFILE_KEYS_DDL = `CREATE TABLE IF NOT EXISTS ${PROFILE_KEYS_TABLE} (profile_id VARCHAR NOT NULL, profile_key INTEGER NOT NULL)`;

/** Ids per string read back by `profileIdsByKey`. */
const IDS_PER_STRING = 8_192;

/** Separates ids in the strings read back; a group holding it in an id is read one id at a time. */
const SEPARATOR = '\u001e';

/**
 * Keys the profile ids of the given tables (each with a `profile_id` column) that have none yet,
 * in id order after the last key given. `distinct`: the tables hold each id once between them
 * (a job's profiles), so no duplicates need removing.
 */
export async function keyProfiles(connection: DuckDBConnection, tables: readonly string[], distinct = false): Promise<void> {
  await connection.run(PROFILE_KEYS_DDL);
  const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${PROFILE_KEYS_TABLE}`);
  const next = Number(counted.getRows()[0][0]);
  const ids = tables.map((t) => `SELECT profile_id FROM ${t}`).join(' UNION ALL ');
  const unkeyed = `SELECT ${distinct ? '' : 'DISTINCT '}profile_id FROM (${ids}) ANTI JOIN ${PROFILE_KEYS_TABLE} USING (profile_id)`;
  await connection.run(`INSERT INTO ${PROFILE_KEYS_TABLE} SELECT profile_id, (${next} + row_number() OVER (ORDER BY profile_id) - 1)::INTEGER FROM (${unkeyed})`);
}

/**
 * Every keyed profile id, indexed by key. Read as one string per few thousand ids and split: one
 * native call per string instead of one per id.
 */
export async function profileIdsByKey(connection: DuckDBConnection): Promise<string[]> {
  await connection.run(PROFILE_KEYS_DDL);
  const ids: string[] = [];
  const result = await connection.stream(`SELECT profile_key // ${IDS_PER_STRING} AS part, count(*)::INTEGER AS n, string_agg(profile_id, chr(30) ORDER BY profile_key) AS joined
    FROM ${PROFILE_KEYS_TABLE} GROUP BY part ORDER BY part`);
  for await (const chunk of result) {
    const parts = chunk.getColumnVector(0);
    const counts = chunk.getColumnVector(1);
    const joined = chunk.getColumnVector(2);
    const rows = chunk.rowCount;
    for (let row = 0; row < rows; row++) {
      const part = parts.getItem(row) as bigint | number;
      if (Number(part) * IDS_PER_STRING !== ids.length) throw new Error('profile keys are not dense');
      const split = (joined.getItem(row) as string).split(SEPARATOR);
      if (split.length === counts.getItem(row)) ids.push(...split);
      else ids.push(...(await idsOfPart(connection, Number(part))));
    }
  }
  return ids;
}

/** The ids of one part, one value each (some id holds the separator). */
async function idsOfPart(connection: DuckDBConnection, part: number): Promise<string[]> {
  const reader = await connection.runAndReadAll(`SELECT profile_id FROM ${PROFILE_KEYS_TABLE} WHERE profile_key // ${IDS_PER_STRING} = $part ORDER BY profile_key`, { part });
  return reader.getRows().map((r) => String(r[0]));
}
