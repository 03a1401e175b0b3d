/**
 * The DuckDB side of a batch segmentation job: the input tables are materialized once per job and
 * merge policy; every audience of a dependency level runs as one compiled query over them, its
 * members go to `job_members` and, for the next levels' `inSegment`, to `pql_segment_members`; then one join
 * against the memberships held before the job gives every transition (realized / existing /
 * exited) and the counts per audience. All of it runs in DuckDB's threads, off the event loop.
 *
 * @example
 *   await evaluateLevels(connection, audiences, { now, useInput: (policy) => inputs.select(policy) });
 *   const counts = await countTransitions(connection, ids);
 *   for await (const rows of streamTransitions(connection, now, 10_000, ids)) await store.put(sandboxId, rows);
 */
import { BIGINT, LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { Expr } from '../pql/ast.ts';
import { compileToSql } from '../sql/compile.ts';
import type { InputFields } from '../sql/input-fields.ts';
import { PQL_TABLES } from '../sql/input-layout.ts';
import { sqlString } from '../sql/sql-text.ts';
import type { Membership, MembershipStatus } from '../memberships/store.ts';
import type { AudienceJobCounts } from './model.ts';

export const JOB_TABLES = {
  /** Members found by this job: (audience_id, profile_id). */
  members: 'job_members',
  /** Memberships held before the job (realized or existing) of the audiences it evaluates. */
  current: 'job_current_members',
} as const;

export const JOB_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${JOB_TABLES.members} (audience_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${JOB_TABLES.current} (audience_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL, status VARCHAR NOT NULL, lqt BIGINT NOT NULL)`,
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
 * profiles before it resolves.
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
  for (const level of dependencyLevels(audiences)) {
    for (const [policyId, group] of byMergePolicy(level)) {
      await options.useInput(policyId);
      await evaluateGroup([connection, ...(options.extraConnections ?? [])], group, options.now, options.fields);
    }
    // Audiences of the next levels read this level's results through inSegment.
    for (const a of level) {
      for (const segmentId of [a.id, ...a.aliases]) {
        await connection.run(`INSERT INTO ${PQL_TABLES.segmentMembers} SELECT profile_id, ${sqlString(segmentId)} FROM ${JOB_TABLES.members} WHERE audience_id = ${sqlString(a.id)}`);
      }
    }
  }
}

/**
 * Each audience of the group as `INSERT INTO job_members SELECT ... WHERE <audience>` over the
 * shared input. One wide SELECT with a boolean column per audience was measured slower on DuckDB
 * 1.5 (projections evaluate every predicate fully on every row; a WHERE clause lets DuckDB reorder
 * and short-circuit the conjuncts), so the single pass is over the materialized input, not the scan.
 */
async function evaluateGroup(connections: readonly DuckDBConnection[], group: readonly BatchAudience[], now: number, fields: InputFields | undefined): Promise<void> {
  // Several at a time: while one query is planned (compiled audiences inline large macros) or
  // finishes on one thread, another keeps DuckDB's other threads busy.
  let next = 0;
  const work = async (connection: DuckDBConnection) => {
    while (next < group.length) {
      const audience = group[next++];
      const compiled = compileToSql(audience.ast, { now, ...(fields ? { fields } : {}) });
      await connection.run(`INSERT INTO ${JOB_TABLES.members} SELECT ${sqlString(audience.id)}, profile_id FROM (${compiled.sql})`, compiled.params);
    }
  };
  await Promise.all(connections.map(work));
}

/**
 * The transitions query: entries, realized → existing, and exits, as rows to write, ordered by
 * profile then audience. In that order both of the membership table's indexes grow where they
 * were last written: (sandbox, profile) appends, and (sandbox, audience, profile) has one insertion
 * point per audience. Audience-major order swept the whole profile index once per audience (4.5M
 * rows: 15.9 s → 10.9 s in SQLite). Audience and status come back as small codes and the time as
 * a DOUBLE, and the profile id only on a profile's first row (null on the next ones): profile ids
 * as the platform makes them (28 characters, not stored inline by DuckDB) cost ~1 µs each to
 * decode, and a profile has ~4.5 rows here. 4.4M transitions with such ids: 7.1–7.9 → 5.3–6.6 s
 * to stream (3 alternating pairs); with 7-character ids the `lag` costs 0.7–1.1 s more than it saves.
 */
function transitionsSql(): string {
  return `SELECT audience, CASE WHEN lag(profile_id) OVER rows_in_order IS DISTINCT FROM profile_id THEN profile_id END AS first_of_profile, status, lqt
    FROM (SELECT list_position($audiences, coalesce(j.audience_id, c.audience_id))::INTEGER AS audience,
        coalesce(j.profile_id, c.profile_id) AS profile_id,
        (CASE WHEN c.profile_id IS NULL THEN 0 WHEN j.profile_id IS NULL THEN 2 ELSE 1 END)::INTEGER AS status,
        (CASE WHEN c.profile_id IS NULL THEN $now::BIGINT ELSE c.lqt END)::DOUBLE AS lqt
      FROM ${JOB_TABLES.members} j FULL OUTER JOIN ${JOB_TABLES.current} c ON c.audience_id = j.audience_id AND c.profile_id = j.profile_id
      WHERE c.profile_id IS NULL OR j.profile_id IS NULL OR c.status = 'realized')
    WINDOW rows_in_order AS (ORDER BY profile_id, audience)
    ORDER BY profile_id, audience`;
}

/** Status codes of `transitionsSql`. */
const STATUS_BY_CODE: readonly MembershipStatus[] = ['realized', 'existing', 'exited'];

/**
 * Counts per audience: entered (realized), stayed (existing), left (exited), members after.
 *
 * @example
 *   await countTransitions(connection, ['aud_1']);  // [{ audienceId: 'aud_1', realized: 3, existing: 10, exited: 1, total: 13 }]
 */
export async function countTransitions(connection: DuckDBConnection, audienceIds: readonly string[]): Promise<AudienceJobCounts[]> {
  const reader = await connection.runAndReadAll(`SELECT coalesce(j.audience_id, c.audience_id) AS audience_id,
      count(*) FILTER (WHERE c.profile_id IS NULL) AS realized,
      count(*) FILTER (WHERE c.profile_id IS NOT NULL AND j.profile_id IS NOT NULL) AS existing,
      count(*) FILTER (WHERE j.profile_id IS NULL) AS exited
    FROM ${JOB_TABLES.members} j FULL OUTER JOIN ${JOB_TABLES.current} c ON c.audience_id = j.audience_id AND c.profile_id = j.profile_id
    GROUP BY 1`);
  const found = new Map(reader.getRows().map((r) => [String(r[0]), { realized: Number(r[1]), existing: Number(r[2]), exited: Number(r[3]) }]));
  return audienceIds.map((audienceId) => {
    const c = found.get(audienceId) ?? { realized: 0, existing: 0, exited: 0 };
    return { audienceId, ...c, total: c.realized + c.existing };
  });
}

/**
 * The membership rows the job must write, in batches of `batchSize` (a profile that stays
 * `existing` needs no write), ordered by profile then audience. `audienceIds` names every audience
 * of `job_members` and `job_current_members`.
 */
export async function* streamTransitions(
  connection: DuckDBConnection,
  now: number,
  batchSize: number,
  audienceIds: readonly string[],
): AsyncGenerator<Membership[]> {
  const result = await connection.stream(transitionsSql(), { now, audiences: listValue([...audienceIds]) }, { now: BIGINT, audiences: LIST(VARCHAR) });
  let batch: Membership[] = [];
  let profileId = '';
  for await (const chunk of result) {
    const audiences = chunk.getColumnVector(0);
    const profiles = chunk.getColumnVector(1);
    const statuses = chunk.getColumnVector(2);
    const times = chunk.getColumnVector(3);
    const rows = chunk.rowCount; // a call into the native chunk each time it is read
    for (let row = 0; row < rows; row++) {
      const audienceId = audienceIds[(audiences.getItem(row) as number) - 1];
      if (audienceId === undefined) throw new Error('a transition names an audience the job was not given');
      // The profile id comes on its first row only (null on the next rows of the same profile).
      profileId = (profiles.getItem(row) as string | null) ?? profileId;
      batch.push({
        audienceId,
        profileId,
        status: STATUS_BY_CODE[statuses.getItem(row) as number],
        lastQualificationTime: times.getItem(row) as number,
        updatedAt: now,
      });
    }
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
