/**
 * The DuckDB side of a batch segmentation job: the input tables are materialized once per job and
 * merge policy; every audience of a dependency level runs as one compiled query over them, its
 * members go to `job_members` as (audience code, profile key) pairs (profile-keys.ts) and, when
 * another audience of the job reads it through `inSegment`, to `pql_segment_members`; then one join
 * against the memberships held before the job gives every transition (realized / existing /
 * exited) and the counts per audience. All of it runs in DuckDB's threads, off the event loop.
 *
 * @example
 *   await evaluateLevels(connection, audiences, { now, useInput: (policy) => inputs.select(policy) });
 *   await keyHeldMemberships(connection);
 *   const counts = await countTransitions(connection, ids);
 *   for await (const rows of streamTransitions(connection, now, 10_000)) await store.put(sandboxId, rows);
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import type { Expr } from '../pql/ast.ts';
import { compileToSql } from '../sql/compile.ts';
import type { InputFields } from '../sql/input-fields.ts';
import { PQL_TABLES } from '../sql/input-layout.ts';
import { sqlString } from '../sql/sql-text.ts';
import type { AudienceJobCounts } from './model.ts';
import { PROFILE_KEYS_TABLE, keyProfiles, profileIdsByKey } from './profile-keys.ts';
import { MembershipBatch } from '../memberships/membership-batch.ts';

export const JOB_TABLES = {
  /** The job's audiences: (audience code, audience_id), codes 0, 1, ... in the order given to `evaluateLevels`. */
  audiences: 'job_audiences',
  /** Members found by this job: (audience code, profile key). */
  members: 'job_members',
  /** Memberships held before the job (realized or existing) of the audiences it evaluates, by id. */
  current: 'job_current_members',
  /** The same by audience code and profile key, status coded as in transitions (`keyHeldMemberships`). */
  held: 'job_held_members',
} as const;

export const JOB_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${JOB_TABLES.audiences} (audience INTEGER NOT NULL, audience_id VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${JOB_TABLES.members} (audience INTEGER NOT NULL, profile_key INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${JOB_TABLES.current} (audience_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, status VARCHAR NOT NULL, lqt BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${JOB_TABLES.held} (audience INTEGER NOT NULL, profile_key INTEGER NOT NULL, status INTEGER NOT NULL, lqt BIGINT NOT NULL)`,
];

export interface BatchAudience {
  id: string;
  /** Names other audiences of the job use for it in `inSegment` (besides its id). */
  aliases: readonly string[];
  ast: Expr;
  /** Audience ids it reads through inSegment. */
  dependencies: readonly string[];
  /** The merge policy its profiles are read through. */
  policyId: string;
}

/**
 * Dependency levels: an audience sits one level above the deepest audience of the job it reads
 * through inSegment (those outside the job are read from their current memberships).
 *
 * @example
 *   dependencyLevels([{ id: 'b', dependencies: ['a'] }, { id: 'a', dependencies: [] }]);  // [['a'], ['b']]
 */
export function dependencyLevels<T extends { id: string; dependencies: readonly string[] }>(audiences: readonly T[]): T[][] {
  const byId = new Map(audiences.map((a) => [a.id, a]));
  const level = new Map<string, number>();
  const levelOf = (a: T, path: Set<string>): number => {
    const known = level.get(a.id);
    if (known !== undefined) return known;
    if (path.has(a.id)) return 0; // cycles are refused when audiences are saved; never loop here
    path.add(a.id);
    let l = 0;
    for (const dep of a.dependencies) {
      const d = byId.get(dep);
      if (d) l = Math.max(l, levelOf(d, path) + 1);
    }
    path.delete(a.id);
    level.set(a.id, l);
    return l;
  };
  const levels: T[][] = [];
  for (const a of audiences) (levels[levelOf(a, new Set())] ??= []).push(a);
  return levels.filter((l) => l !== undefined);
}

/** Audiences grouped by the merge policy their profiles are read through, in first-seen order. */
export function byMergePolicy<T extends { policyId: string }>(audiences: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const a of audiences) {
    const group = groups.get(a.policyId);
    if (group) group.push(a);
    else groups.set(a.policyId, [a]);
  }
  return groups;
}

/**
 * Evaluates every audience, level by level (audiences sharing a merge policy one after the other
 * on that policy's input). `useInput(policyId)` must make the `pql_*` input tables hold that policy's
 * profiles, each keyed in `job_profile_keys`, before it resolves (`prepareJobInput` in
 * job-input.ts); with `fields`, the profile fields table must carry the keys too.
 */
export async function evaluateLevels(
  connection: DuckDBConnection,
  audiences: readonly BatchAudience[],
  options: {
    now: number;
    useInput: (policyId: string) => Promise<void>;
    /** More connections to the same database: a level's audiences then run that many at a time. */
    extraConnections?: readonly DuckDBConnection[];
    /** The fields the input was gathered with (sql/input-fields.ts). */
    fields?: InputFields;
  },
): Promise<void> {
  for (const statement of JOB_DDL) await connection.run(statement);
  const codes = await registerAudiences(connection, audiences);
  // Only the audiences another audience of the job reads are copied, by id, for inSegment.
  const read = new Set(audiences.flatMap((a) => a.dependencies));
  for (const level of dependencyLevels(audiences)) {
    for (const [policyId, group] of byMergePolicy(level)) {
      await options.useInput(policyId);
      await evaluateGroup([connection, ...(options.extraConnections ?? [])], group, codes, options.now, options.fields);
    }
    for (const a of level.filter((a) => read.has(a.id))) {
      for (const segmentId of [a.id, ...a.aliases]) {
        await connection.run(`INSERT INTO ${PQL_TABLES.segmentMembers} SELECT k.profile_id, ${sqlString(segmentId)}
          FROM ${JOB_TABLES.members} j JOIN ${PROFILE_KEYS_TABLE} k USING (profile_key) WHERE j.audience = ${codes.get(a.id)}`);
      }
    }
  }
}

/** Gives the job's audiences their codes (0, 1, ... in the order given) in `job_audiences`. */
async function registerAudiences(connection: DuckDBConnection, audiences: readonly BatchAudience[]): Promise<Map<string, number>> {
  const codes = new Map(audiences.map((a, i) => [a.id, i]));
  const appender = await connection.createAppender(JOB_TABLES.audiences);
  for (const [id, code] of codes) {
    appender.appendInteger(code);
    appender.appendVarchar(id);
    appender.endRow();
  }
  appender.closeSync();
  return codes;
}

/**
 * Each audience of the group as `INSERT INTO job_members SELECT <code>, profile_key ... WHERE <audience>`
 * over the shared input. One wide SELECT with a boolean column per audience was measured slower on DuckDB
 * 1.5 (projections evaluate every predicate fully on every row; a WHERE clause lets DuckDB reorder
 * and short-circuit the conjuncts), so the single pass is over the materialized input, not the scan.
 */
async function evaluateGroup(
  connections: readonly DuckDBConnection[],
  group: readonly BatchAudience[],
  codes: ReadonlyMap<string, number>,
  now: number,
  fields: InputFields | undefined,
): Promise<void> {
  // Several at a time: while one query is planned (compiled audiences inline large macros) or
  // finishes on one thread, another keeps DuckDB's other threads busy.
  let next = 0;
  const work = async (connection: DuckDBConnection) => {
    while (next < group.length) {
      const audience = group[next++];
      const members = memberKeysSql(audience.ast, now, fields);
      await connection.run(`INSERT INTO ${JOB_TABLES.members} SELECT ${codes.get(audience.id)}, profile_key FROM (${members.sql})`, members.params);
    }
  };
  await Promise.all(connections.map(work));
}

/**
 * An audience's members at `now` as a query of one column, `profile_key`. With extracted fields the
 * profile fields table carries the keys; without, the members' ids are looked up.
 */
export function memberKeysSql(ast: Expr, now: number, fields: InputFields | undefined): { sql: string; params: Record<string, number> } {
  if (fields) return compileToSql(ast, { now, fields, select: 'profile_key' });
  const compiled = compileToSql(ast, { now });
  return { sql: `SELECT k.profile_key FROM (${compiled.sql}) m JOIN ${PROFILE_KEYS_TABLE} k USING (profile_id)`, params: compiled.params };
}

/**
 * Turns the memberships held before the job (`job_current_members`, by id) into `job_held_members`
 * by audience code and profile key, keying the profiles not met in the input (people gone since
 * the memberships were written, who exit). Run once, after `evaluateLevels`.
 */
export async function keyHeldMemberships(connection: DuckDBConnection): Promise<void> {
  await keyProfiles(connection, [JOB_TABLES.current]);
  await connection.run(`INSERT INTO ${JOB_TABLES.held}
    SELECT a.audience, k.profile_key, CASE c.status WHEN 'realized' THEN 0 ELSE 1 END, c.lqt
    FROM ${JOB_TABLES.current} c JOIN ${JOB_TABLES.audiences} a USING (audience_id) JOIN ${PROFILE_KEYS_TABLE} k USING (profile_id)`);
}

/** The members found and held, side by side: `j` (found) and `c` (held), either null. */
const FOUND_AND_HELD = `${JOB_TABLES.members} j FULL OUTER JOIN ${JOB_TABLES.held} c ON c.audience = j.audience AND c.profile_key = j.profile_key`;

/**
 * The transitions query: entries, realized → existing, and exits, as rows to write, ordered by
 * profile key then audience code, all numbers. Keys follow profile ids (profile-keys.ts), so in
 * that order the membership table (one row per profile, keyed by sandbox and profile) grows where
 * it was last written, and a profile's entries arrive together. (With one row per membership,
 * audience-major order swept the profile index once per audience: 4.5M rows 15.9 s → 10.9 s.) With profile ids instead of keys, 4.4M transitions cost ~4 s to join and sort and
 * ~2 s to decode; with keys, ~0.7 s and ~0.5 s.
 */
const TRANSITIONS_SQL = `SELECT coalesce(j.audience, c.audience) AS audience, coalesce(j.profile_key, c.profile_key) AS profile_key,
    (CASE WHEN c.profile_key IS NULL THEN 0 WHEN j.profile_key IS NULL THEN 2 ELSE 1 END)::INTEGER AS status,
    (CASE WHEN c.profile_key IS NULL THEN $now::BIGINT ELSE c.lqt END)::DOUBLE AS lqt
  FROM ${FOUND_AND_HELD}
  WHERE c.profile_key IS NULL OR j.profile_key IS NULL OR c.status = 0
  ORDER BY profile_key, audience`;

/**
 * Counts per audience: entered (realized), stayed (existing), left (exited), members after.
 *
 * @example
 *   await countTransitions(connection, ['aud_1']);  // [{ audienceId: 'aud_1', realized: 3, existing: 10, exited: 1, total: 13 }]
 */
export async function countTransitions(connection: DuckDBConnection, audienceIds: readonly string[]): Promise<AudienceJobCounts[]> {
  const reader = await connection.runAndReadAll(`SELECT a.audience_id,
      count(*) FILTER (WHERE c.profile_key IS NULL) AS realized,
      count(*) FILTER (WHERE c.profile_key IS NOT NULL AND j.profile_key IS NOT NULL) AS existing,
      count(*) FILTER (WHERE j.profile_key IS NULL) AS exited
    FROM ${FOUND_AND_HELD} JOIN ${JOB_TABLES.audiences} a ON a.audience = coalesce(j.audience, c.audience)
    GROUP BY 1`);
  const found = new Map(reader.getRows().map((r) => [String(r[0]), { realized: Number(r[1]), existing: Number(r[2]), exited: Number(r[3]) }]));
  return audienceIds.map((audienceId) => {
    const c = found.get(audienceId) ?? { realized: 0, existing: 0, exited: 0 };
    return { audienceId, ...c, total: c.realized + c.existing };
  });
}

/**
 * The membership rows the job must write, in batches of about `batchSize` (a profile that stays
 * `existing` needs no write), ordered by profile key then audience, as columns
 * (memberships/membership-batch.ts). Run after `keyHeldMemberships`.
 */
export async function* streamTransitions(connection: DuckDBConnection, now: number, batchSize: number): AsyncGenerator<MembershipBatch> {
  const audienceIds = await audiencesByCode(connection);
  const profileIds = await profileIdsByKey(connection);
  const result = await connection.stream(TRANSITIONS_SQL, { now });
  let batch = new MembershipBatch(audienceIds, profileIds, now);
  for await (const chunk of result) {
    const audiences = nonNullNumbers(chunk.getColumnVector(0));
    const profiles = nonNullNumbers(chunk.getColumnVector(1));
    const statuses = nonNullNumbers(chunk.getColumnVector(2));
    const times = nonNullNumbers(chunk.getColumnVector(3));
    const rows = chunk.rowCount; // a call into the native chunk each time it is read
    for (let row = 0; row < rows; row++) batch.push(audiences[row], profiles[row], statuses[row], times[row]);
    if (batch.length >= batchSize) {
      yield batch;
      batch = new MembershipBatch(audienceIds, profileIds, now);
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The values of a column the query never leaves null (every column of `TRANSITIONS_SQL`), as the
 * vector's own typed array: `getItem` tests each value's validity bit with BigInt arithmetic, which
 * was 1.7 s of the main thread's time for 4.4M rows of four columns. The array is the vector's
 * `items` (not in the package's types; the transitions test reads every row through it); a vector
 * without one is read item by item.
 */
function nonNullNumbers(vector: DuckDBVector): ArrayLike<number> {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof Int32Array || items instanceof Float64Array) return items;
  return vector.toArray() as number[];
}

/** The job's audience ids, indexed by code. */
async function audiencesByCode(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(`SELECT audience, audience_id FROM ${JOB_TABLES.audiences}`);
  const ids: string[] = [];
  for (const [code, id] of reader.getRows()) ids[Number(code)] = String(id);
  return ids;
}
