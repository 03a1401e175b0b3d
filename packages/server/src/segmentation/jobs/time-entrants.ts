/**
 * People a job leaves outside a time-based audience who will enter it with time alone ("viewed in
 * the last 24 hours and no purchase in the last hour": someone who bought 10 minutes ago enters in
 * 50 minutes with no new data). The job writes no change for them, so no streaming pass computes
 * their due time, and nothing would move them when the hour passes — unless their events arrived
 * after the audience existed (streaming evaluated them then). The job looks ahead instead: it
 * evaluates each such audience again at a few later instants and hands the people who are members
 * then, and not now, to the streaming engine (`memberships/job-handover.ts`), whose pass writes
 * their exact due time.
 *
 * The instants: just past each window length the audience reads (`WHEN(< 1 hours before now)`,
 * `occurs < 24 hours before now`...), when one of its events has left that window; a day ahead
 * when it reads the clock without a window (calendar periods, dates in profile attributes), which
 * the next daily job covers again. An entry the look-ahead cannot see (one that happens between
 * two instants and is over by the next) waits for the person's next event or the next job.
 *
 * @example
 *   entryLookahead(parseOrThrow('not chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(< 1 hours before now)])'));  // [3_601_000]
 *   await futureEntrants(connection, [{ id: 'aud_1', ast, policyId: 'default', lookaheadMs: [3_601_000] }], now, useInput);
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Expr } from '../pql/ast.ts';
import { analyze } from '../pql/index.ts';
import type { InputFields } from '../sql/input-fields.ts';
import { sqlString } from '../sql/sql-text.ts';
import { JOB_TABLES, byMergePolicy, memberKeysSql } from './batch-evaluation.ts';
import { PROFILE_KEYS_TABLE } from './profile-keys.ts';

/** How far past a window's edge an instant is taken (the edge itself is still inside). */
const PAST_EDGE_MS = 1_000;
const DAY_MS = 86_400_000;
/** Instants per audience at most: the shortest windows first (they flip soonest). */
const MOST_INSTANTS = 4;

export interface LookaheadAudience {
  id: string;
  ast: Expr;
  policyId: string;
  /** Offsets from the job's instant to evaluate at (`entryLookahead`). */
  lookaheadMs: readonly number[];
}

/**
 * Offsets at which to look for future entrants of an audience that reads the clock: just past each
 * distinct window length, or one day when it reads the clock through no event window.
 */
export function entryLookahead(ast: Expr): number[] {
  const windows = new Set<number>();
  for (const reference of analyze(ast).eventReferences) {
    const lookback = reference.window.lookbackMs;
    if (typeof lookback === 'number' && lookback > 0) windows.add(lookback + PAST_EDGE_MS);
  }
  const offsets = [...windows].sort((a, b) => a - b).slice(0, MOST_INSTANTS);
  return offsets.length > 0 ? offsets : [DAY_MS];
}

/**
 * Members of each audience at its look-ahead instants who are not members now (`job_members`
 * holds the job's result at `now`). `useInput(policyId)` makes the input tables hold that merge
 * policy's profiles, as for the job's own evaluation.
 */
export async function futureEntrants(
  connection: DuckDBConnection,
  audiences: readonly LookaheadAudience[],
  now: number,
  useInput: (policyId: string) => Promise<void>,
  /** The fields the input was gathered with (sql/input-fields.ts). */
  fields?: InputFields,
): Promise<{ audienceId: string; profileId: string }[]> {
  const found: { audienceId: string; profileId: string }[] = [];
  for (const [policyId, group] of byMergePolicy(audiences)) {
    await useInput(policyId);
    for (const audience of group) {
      const entrants = new Set<string>();
      for (const offset of audience.lookaheadMs) {
        const later = memberKeysSql(audience.ast, now + offset, fields);
        const reader = await connection.runAndReadAll(
          `SELECT k.profile_id FROM (SELECT profile_key FROM (${later.sql}) EXCEPT SELECT j.profile_key FROM ${JOB_TABLES.members} j JOIN ${JOB_TABLES.audiences} a USING (audience) WHERE a.audience_id = ${sqlString(audience.id)})
            JOIN ${PROFILE_KEYS_TABLE} k USING (profile_key)`,
          later.params,
        );
        for (const [profileId] of reader.getRows()) entrants.add(String(profileId));
      }
      for (const profileId of entrants) found.push({ audienceId: audience.id, profileId });
    }
  }
  return found;
}
