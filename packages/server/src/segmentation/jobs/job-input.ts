/**
 * The input of one job in DuckDB: merged profiles and their events per merge policy (read through
 * the profile service in chunks, yielding to the event loop between chunks), and the memberships
 * held before the job. One policy's tables are current at a time; the others wait under other
 * names, so switching policies between dependency levels is a rename, not a reload.
 *
 * @example
 *   const input = new JobInput(connection, source, sandboxId);
 *   await input.use(policyId);  // pql_profiles, pql_events, pql_event_lists now hold that policy's profiles
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IdentityKey } from '../../identity/graph.ts';
import type { ProfileService } from '../../profile/service.ts';
import { PQL_TABLES, appendProfileRows } from '../sql/input-layout.ts';
import type { XdmEvent } from '../pql/cases.ts';
import type { Membership, MembershipStore } from '../memberships/store.ts';
import { heldEntriesSql, type EntryRow } from '../memberships/held-entries.ts';
import { sqlString } from '../sql/sql-text.ts';
import type { InputFields } from '../sql/input-fields.ts';
import { PROFILE_FIELDS_TABLE } from '../sql/profile-fields.ts';
import { JOB_TABLES } from './batch-evaluation.ts';
import { gatherEventLists } from './event-lists.ts';
import { PROFILE_KEYS_TABLE, keyProfiles } from './profile-keys.ts';

/** Identities read per chunk; the event loop gets a turn between chunks. */
const IDENTITIES_PER_CHUNK = 200;
/** Most recent events of a person read for evaluation (the streaming engine reads as many). */
export const EVENT_HISTORY = 1_000;
/** Profiles whose memberships are read per page. */
const MEMBERSHIP_PAGE = 2_000;

const POLICY_TABLES = [PQL_TABLES.profiles, PQL_TABLES.events, PQL_TABLES.eventLists] as const;

export class JobInput {
  private current: string | undefined;
  /** Each policy's tables wait under the suffix `_p<slot>` while another policy is current. */
  private readonly slots = new Map<string, number>();
  /** People materialized per policy. */
  readonly people = new Map<string, number>();
  materializeMs = 0;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly profiles: ProfileService,
    private readonly sandboxId: string,
    private readonly shouldStop: () => boolean = () => false,
    /** The fields of events and profiles the job's audiences read (sql/input-fields.ts); whole documents without it. */
    private readonly fields?: InputFields,
  ) {}

  /** Makes the `pql_*` tables hold this policy's profiles (materializing them on first use). */
  async use(policyId: string): Promise<void> {
    if (this.current === policyId) return;
    if (this.current !== undefined) await this.rename('', `_p${this.slots.get(this.current)}`);
    const slot = this.slots.get(policyId);
    if (slot !== undefined) {
      await this.rename(`_p${slot}`, '');
    } else {
      this.slots.set(policyId, this.slots.size);
      const started = performance.now();
      this.people.set(policyId, await this.materialize(policyId));
      this.materializeMs += performance.now() - started;
    }
    this.current = policyId;
  }

  private async rename(fromSuffix: string, toSuffix: string): Promise<void> {
    for (const table of this.fields ? [...POLICY_TABLES, PROFILE_FIELDS_TABLE] : POLICY_TABLES) await this.connection.run(`ALTER TABLE ${table}${fromSuffix} RENAME TO ${table}${toSuffix}`);
  }

  private async materialize(policyId: string): Promise<number> {
    const { connection, profiles, sandboxId } = this;
    await connection.run(`CREATE OR REPLACE TABLE ${PQL_TABLES.profiles} (profile_id VARCHAR NOT NULL, attributes JSON)`);
    await connection.run(`CREATE OR REPLACE TABLE ${PQL_TABLES.events} (profile_id VARCHAR NOT NULL, seq BIGINT NOT NULL, ts_ms BIGINT, event_type VARCHAR, body JSON NOT NULL)`);
    const policy = await profiles.policy(sandboxId, policyId);
    const profileAppender = await connection.createAppender(PQL_TABLES.profiles);
    const eventAppender = await connection.createAppender(PQL_TABLES.events);
    const seenKeys = new Set<IdentityKey>();
    const seenProfiles = new Set<string>();
    let after: IdentityKey | undefined;
    try {
      for (;;) {
        const keys = await profiles.profileIdentities(sandboxId, { ...(after !== undefined ? { after } : {}), limit: IDENTITIES_PER_CHUNK });
        if (keys.length === 0) break;
        after = keys[keys.length - 1];
        for (const key of keys) {
          if (seenKeys.has(key)) continue;
          const person = await profiles.members(sandboxId, key, policy);
          if (!person) continue;
          for (const k of person.keys) seenKeys.add(k);
          // Without graph stitching two identities of one graph share its id: the first one read stands for the person.
          if (seenProfiles.has(person.profileId)) continue;
          seenProfiles.add(person.profileId);
          const profile = await profiles.assemble(sandboxId, person.profileId, person.keys, policy);
          const events = await profiles.eventsOf(sandboxId, person.keys, EVENT_HISTORY);
          appendProfileRows(profileAppender, eventAppender, person.profileId, profile.attributes, events as XdmEvent[]);
        }
        if (this.shouldStop()) throw new JobInterrupted();
        await nextTurn();
      }
    } finally {
      profileAppender.closeSync();
      eventAppender.closeSync();
    }
    await prepareJobInput(connection, this.fields);
    return seenProfiles.size;
  }
}

/**
 * What a job does with a merge policy's loaded `pql_profiles` and `pql_events` before evaluating:
 * keys the profiles not keyed yet (profile-keys.ts), gathers each profile's events into a list
 * (event-lists.ts) and, with `fields`, extracts the profile fields its audiences read, with keys.
 *
 * @example
 *   await prepareJobInput(connection, inputFieldsFor(audiences.map((a) => ({ ast: a.ast, now }))));
 */
export async function prepareJobInput(connection: DuckDBConnection, fields?: InputFields): Promise<void> {
  await keyProfiles(connection, [PQL_TABLES.profiles], true); // a profile is loaded once per policy
  await gatherEventLists(connection, fields?.events);
  if (fields) await connection.run(fields.profile.tableSql(PROFILE_KEYS_TABLE));
}

/** The server is stopping: the job is left `processing` and retried after the restart. */
export class JobInterrupted extends Error {
  override name = 'JobInterrupted';
  constructor() {
    super('the server stopped while the job ran');
  }
}

/**
 * Loads the memberships held before the job, in one pass over the sandbox's profiles: the current
 * ones (realized or existing) of the evaluated audiences into `job_current_members` (the baseline
 * of transitions), and those of audiences the job reads through inSegment but does not evaluate
 * into `pql_segment_members`, once under each name the job's audiences use for them. A store with
 * `entryRows` hands over its rows as stored, which DuckDB decodes (memberships/held-entries.ts);
 * others are read membership by membership.
 *
 * @example
 *   await loadCurrentMemberships(connection, memberships, sandboxId, ['aud_1'], [{ id: 'aud_0', names: ['aud_0', 'VIPs'] }]);
 */
export async function loadCurrentMemberships(
  connection: DuckDBConnection,
  memberships: MembershipStore,
  sandboxId: string,
  evaluated: readonly string[],
  readOnly: readonly { id: string; names: readonly string[] }[],
): Promise<void> {
  if (evaluated.length === 0 && readOnly.length === 0) return;
  const entryRows = memberships.entryRows?.bind(memberships);
  if (entryRows) {
    const rows = byPage((after) => entryRows(sandboxId, { limit: MEMBERSHIP_PAGE, ...after }), (row) => row[0]);
    await loadHeldRows(connection, rows, evaluated, readOnly);
  } else {
    const held = byPage((after) => memberships.byProfile(sandboxId, { limit: MEMBERSHIP_PAGE, ...after }), (m) => m.profileId);
    await appendHeld(connection, held, new Set(evaluated), new Map(readOnly.map((a) => [a.id, a.names])));
  }
}

/** The stored rows of held memberships while a job loads them. */
const HELD_ROWS = 'job_held_rows';

/** The store's rows appended as they are, their entries decoded by DuckDB into the job's tables. */
async function loadHeldRows(
  connection: DuckDBConnection,
  pages: AsyncIterable<readonly EntryRow[]>,
  evaluated: readonly string[],
  readOnly: readonly { id: string; names: readonly string[] }[],
): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${HELD_ROWS} (profile_id VARCHAR NOT NULL, entries VARCHAR NOT NULL)`);
  const appender = await connection.createAppender(HELD_ROWS);
  try {
    for await (const page of pages) {
      for (const [profileId, entries] of page) {
        appender.appendVarchar(profileId);
        appender.appendVarchar(entries);
        appender.endRow();
      }
    }
  } finally {
    appender.closeSync();
  }
  const ids = (values: readonly string[]) => (values.length > 0 ? values.map(sqlString).join(', ') : 'NULL');
  const names = readOnly.flatMap((a) => a.names.map((name) => `(${sqlString(a.id)}, ${sqlString(name)})`));
  await connection.run(`CREATE OR REPLACE TEMP TABLE job_held_entries AS
    SELECT * FROM (${heldEntriesSql(HELD_ROWS)}) WHERE status_code <> 2 AND audience_id IN (${ids([...evaluated, ...readOnly.map((a) => a.id)])})`);
  await connection.run(`INSERT INTO ${JOB_TABLES.current}
    SELECT audience_id, profile_id, CASE status_code WHEN 0 THEN 'realized' ELSE 'existing' END, lqt FROM job_held_entries WHERE audience_id IN (${ids(evaluated)})`);
  if (names.length > 0) {
    await connection.run(`INSERT INTO ${PQL_TABLES.segmentMembers}
      SELECT e.profile_id, n.name FROM job_held_entries e JOIN (VALUES ${names.join(', ')}) n(audience_id, name) USING (audience_id)`);
  }
  await connection.run(`DROP TABLE job_held_entries`);
  await connection.run(`DROP TABLE ${HELD_ROWS}`);
}

/** Appends memberships to the job's tables: current ones of evaluated audiences, and those read through inSegment under each name. */
async function appendHeld(
  connection: DuckDBConnection,
  pages: AsyncIterable<readonly Membership[]>,
  wanted: ReadonlySet<string>,
  namesOf: ReadonlyMap<string, readonly string[]>,
): Promise<void> {
  const current = await connection.createAppender(JOB_TABLES.current);
  const segments = await connection.createAppender(PQL_TABLES.segmentMembers);
  try {
    for await (const page of pages) {
      for (const m of page) {
        if (m.status === 'exited') continue;
        if (wanted.has(m.audienceId)) {
          current.appendVarchar(m.audienceId);
          current.appendVarchar(m.profileId);
          current.appendVarchar(m.status);
          current.appendBigInt(BigInt(m.lastQualificationTime));
          current.endRow();
        }
        for (const name of namesOf.get(m.audienceId) ?? []) {
          segments.appendVarchar(m.profileId);
          segments.appendVarchar(name);
          segments.endRow();
        }
      }
    }
  } finally {
    current.closeSync();
    segments.closeSync();
  }
}

/**
 * A sandbox read page by page of profiles (`read` given where the last page ended), with an
 * event-loop turn between pages.
 */
async function* byPage<T>(read: (after: { afterProfileId?: string }) => Promise<readonly T[]>, profileOf: (item: T) => string): AsyncGenerator<readonly T[]> {
  let after: { afterProfileId?: string } = {};
  for (;;) {
    const page = await read(after);
    if (page.length === 0) return;
    yield page;
    after = { afterProfileId: profileOf(page[page.length - 1]) };
    await nextTurn();
  }
}
