/**
 * Embedded (SQLite) implementation of the membership store: one row per profile whose
 * `memberships` column is a JSON object keyed by audience id (the shape of the suite's
 * `segmentMembership` map on a profile). Each value is compact, since a batch job writes millions:
 * the qualification time alone (`1750258800000`) for an entry realized at the moment it was
 * written (every entry of a job's first run), else `[status code, lastQualificationTime]` or
 * `[status code, lastQualificationTime, updatedAt]` (`updatedAt` omitted when it equals the
 * qualification time), with codes 0 realized, 1 existing, 2 exited. A batch job writes one row
 * per person, not one per (person, audience): 1,000,000 people in 20 audiences are ~1M upserts
 * instead of 4.5M B-tree inserts into two indexes (the membership write of `pql-batch` fell from
 * ~12 to ~4.4 s in isolation). Reads of a profile, the hot path of streaming evaluation and the
 * edge, are one point read and a `JSON.parse` (16 µs against 53 µs through the old layout's
 * second index, 10,000 scattered reads of 1M profiles). Listing an audience's members walks the
 * sandbox's profiles in id order and keeps those holding it: a page costs the profiles scanned to
 * fill it, so a sparse audience's page can scan the whole sandbox (~0.6 s per million profiles
 * here); exports page on, so a full export is one pass. docs/audience-jobs.md.
 */
import { multiRowWriter } from '../../storage/multi-row.ts';
import { boundLimit, migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { MembershipBulkWriter } from './bulk-writer.ts';
import type { EntryRow } from './held-entries.ts';
import type { MembershipBatch, MembershipColumns } from './membership-batch.ts';
import type { Membership, MembershipStatus, MembershipStore } from './store.ts';

/** Memberships in one put from which a store with a bulk writer hands the put to its thread. */
export const BULK_PUT = 1_000;

const MIGRATIONS = [
  `CREATE TABLE audience_memberships (sandbox_id TEXT NOT NULL, audience_id TEXT NOT NULL, profile_id TEXT NOT NULL,
     status TEXT NOT NULL, last_qualification_time INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (sandbox_id, audience_id, profile_id)) WITHOUT ROWID;
   CREATE INDEX audience_memberships_profile ON audience_memberships (sandbox_id, profile_id);`,
  // One row per profile (see the module comment); rows of the first layout move over.
  `CREATE TABLE profile_memberships (sandbox_id TEXT NOT NULL, profile_id TEXT NOT NULL, memberships TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, profile_id)) WITHOUT ROWID;
   INSERT INTO profile_memberships
     SELECT sandbox_id, profile_id, json_group_object(audience_id, json_array(status, last_qualification_time, updated_at))
     FROM audience_memberships GROUP BY sandbox_id, profile_id;
   DROP TABLE audience_memberships;`,
  // Compact entries (see the module comment): statuses become codes, and a realized entry updated
  // when it qualified becomes its time alone.
  `UPDATE profile_memberships SET memberships = (
     SELECT json_group_object(key, CASE
         WHEN code = 0 AND once THEN lqt
         WHEN once THEN json_array(code, lqt)
         ELSE json_array(code, lqt, updated) END)
     FROM (SELECT key, value ->> '$[1]' AS lqt, value ->> '$[2]' AS updated,
             coalesce(value ->> '$[2]' = value ->> '$[1]', true) AS once,
             CASE value ->> '$[0]' WHEN 'realized' THEN 0 WHEN 'existing' THEN 1 ELSE 2 END AS code
           FROM json_each(memberships)));`,
];

/**
 * One audience's entry in a profile's `memberships` object: a realized entry updated when it
 * qualified is its time alone, any other `[code, lastQualificationTime, updatedAt?]` with
 * `updatedAt` left out when it equals the qualification time. `pql-batch`'s 4.5M entries with the
 * status written out and both times: 157 MB of JSON; as now: 100 MB, 0.6 s less SQLite time.
 */
type Entry = number | [code: StatusCode, lastQualificationTime: number, updatedAt?: number];

/** Status codes of entries; a bare time is `realized`. */
type StatusCode = 0 | 1 | 2;
const STATUS_BY_CODE: readonly MembershipStatus[] = ['realized', 'existing', 'exited'];
const CODE_OF: Record<MembershipStatus, StatusCode> = { realized: 0, existing: 1, exited: 2 };

type Entries = Record<string, Entry>;

interface Row {
  profile_id: string;
  memberships: string;
}

function membershipOf(profileId: string, audienceId: string, entry: Entry): Membership {
  if (typeof entry === 'number') return { profileId, audienceId, status: 'realized', lastQualificationTime: entry, updatedAt: entry };
  const [code, lastQualificationTime, updatedAt] = entry;
  return { profileId, audienceId, status: STATUS_BY_CODE[code], lastQualificationTime, updatedAt: updatedAt ?? lastQualificationTime };
}

function membershipsOf(row: Row): Membership[] {
  const entries = JSON.parse(row.memberships) as Entries;
  return Object.keys(entries).map((audienceId) => membershipOf(row.profile_id, audienceId, entries[audienceId]));
}

/**
 * The JSON path of an audience's entry (`$."aud_1"`), with `suffix` appended (`[0]`: its status).
 * SQLite matches a quoted path label against the key as written in the JSON text, so an id is
 * stored only if JSON writes it as it is (no quote, backslash or control character; our ids are
 * `aud_` and hex digits).
 */
function entryPath(audienceId: string, suffix = ''): string {
  return `$.${keyText(audienceId)}${suffix}`;
}

/** JSON text of audience ids as object keys (few per sandbox; the cache is bounded). */
const keyTexts = new Map<string, string>();

function keyText(audienceId: string): string {
  let text = keyTexts.get(audienceId);
  if (text === undefined) {
    text = JSON.stringify(audienceId);
    if (text !== `"${audienceId}"`) throw new Error(`an audience id cannot hold a quote, backslash or control character: ${text}`);
    if (keyTexts.size >= 10_000) keyTexts.clear();
    keyTexts.set(audienceId, text);
  }
  return text;
}

/** A profile's new entries, as the JSON text of an object: the last entry given for an audience wins. */
class EntriesText {
  private readonly audiences: string[] = [];
  private readonly values: string[] = [];

  set(m: Membership): void {
    this.setEntry(m.audienceId, CODE_OF[m.status], m.lastQualificationTime, m.updatedAt);
  }

  setEntry(audienceId: string, code: StatusCode, lastQualificationTime: number, updatedAt: number): void {
    const once = updatedAt === lastQualificationTime;
    const value = once && code === 0 ? jsonNumber(lastQualificationTime) : `[${code},${jsonNumber(lastQualificationTime)}${once ? '' : `,${jsonNumber(updatedAt)}`}]`;
    const at = this.audiences.indexOf(audienceId);
    if (at >= 0) this.values[at] = value;
    else {
      this.audiences.push(audienceId);
      this.values.push(value);
    }
  }

  text(): string {
    let text = '{';
    for (let i = 0; i < this.audiences.length; i++) text += `${i > 0 ? ',' : ''}${keyText(this.audiences[i])}:${this.values[i]}`;
    return `${text}}`;
  }
}

/**
 * What JSON.stringify writes for a number. The last one is remembered: a job's entries share its
 * instant, and a 13-digit number's text was ~0.1 µs to make, 4.5M times.
 */
let lastNumber = Number.NaN;
let lastText = 'null';
function jsonNumber(n: number): string {
  if (n !== lastNumber) {
    lastNumber = n;
    lastText = Number.isFinite(n) ? String(n) : 'null';
  }
  return lastText;
}

/**
 * Memberships grouped by profile, each profile's entries as JSON text built directly: a batch job
 * puts 4.5M of them, and building an object per profile for JSON.stringify cost 2–2.5× as much.
 */
function entriesByProfile(memberships: readonly Membership[]): Map<string, EntriesText> {
  const byProfile = new Map<string, EntriesText>();
  for (const m of memberships) {
    let entries = byProfile.get(m.profileId);
    if (!entries) byProfile.set(m.profileId, (entries = new EntriesText()));
    entries.set(m);
  }
  return byProfile;
}

/**
 * The rows a put writes, flat: profile id, then the JSON text of its new entries, for each profile.
 * Audience ids JSON would escape are refused here, before anything is written.
 */
export function profileRowsOf(memberships: readonly Membership[]): string[] {
  const flat: string[] = [];
  for (const [profileId, entries] of entriesByProfile(memberships)) flat.push(profileId, entries.text());
  return flat;
}

/**
 * `profileRowsOf` for a batch's columns (membership-batch.ts), with no `Membership` objects: a
 * profile's memberships are consecutive in a job's batches, so each profile's entries are gathered
 * in one pass; memberships of a profile met again later start a second row for it, which the
 * write merges into the first as any later row of a profile is.
 */
export function profileRowsOfColumns(columns: MembershipColumns): string[] {
  const { audienceIds, profileIds, audiences, profiles, statuses, times, now } = columns;
  const flat: string[] = [];
  let entries: EntriesText | undefined;
  let profile = -1;
  for (let i = 0; i < profiles.length; i++) {
    if (profiles[i] !== profile) {
      if (entries) flat.push(profileIds[profile], entries.text());
      profile = profiles[i];
      entries = new EntriesText();
    }
    const code = statuses[i];
    if (code > 2) throw new Error(`a membership's status code is ${code}`);
    entries!.setEntry(audienceIds[audiences[i]], code as StatusCode, times[i], now);
  }
  if (entries) flat.push(profileIds[profile], entries.text());
  return flat;
}

/**
 * Writes flat profile rows (`profileRowsOf`) in one transaction (a savepoint inside a caller's):
 * a profile's new entries merge into its object (json_patch replaces the entries it names and
 * keeps the others) by multi-row upserts. The store and the bulk writer's thread both write with it.
 */
export function profileRowsWriter(db: SqliteDatabase): (sandboxId: string, flat: readonly string[]) => void {
  const upsert = multiRowWriter(
    db,
    'INSERT INTO profile_memberships (sandbox_id, profile_id, memberships)',
    3,
    'ON CONFLICT (sandbox_id, profile_id) DO UPDATE SET memberships = json_patch(memberships, excluded.memberships)',
  );
  const write = db.transaction((sandboxId: string, flat: readonly string[]) => {
    const rows: [string, string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) rows.push([sandboxId, flat[i], flat[i + 1]]);
    upsert(rows);
  });
  return (sandboxId, flat) => write.immediate(sandboxId, flat);
}

export class SqliteMembershipStore implements MembershipStore {
  private readonly writeRows;

  /**
   * @param bulk a writer on its own thread (bulk-writer.ts) for puts of `BULK_PUT` memberships or
   *   more (a batch job's); without it every put runs on the calling thread.
   */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly bulk?: MembershipBulkWriter,
  ) {
    migrate(db, 'memberships', MIGRATIONS);
    this.writeRows = profileRowsWriter(db);
  }

  async get(sandboxId: string, profileId: string, audienceId: string) {
    const entries = this.entriesOf(sandboxId, profileId);
    const entry = entries && Object.hasOwn(entries, audienceId) ? entries[audienceId] : undefined;
    return entry ? membershipOf(profileId, audienceId, entry) : undefined;
  }

  async forProfile(sandboxId: string, profileId: string) {
    const memberships = this.rowOf(sandboxId, profileId);
    return memberships === undefined ? [] : membershipsOf({ profile_id: profileId, memberships });
  }

  async forProfiles(sandboxId: string, profileIds: readonly string[]) {
    if (profileIds.length === 0) return [];
    if (profileIds.length === 1) return this.forProfile(sandboxId, profileIds[0]); // a point read beats parsing a JSON list
    const rows = prepared(
      this.db,
      'SELECT profile_id, memberships FROM profile_memberships WHERE sandbox_id = ? AND profile_id IN (SELECT value FROM json_each(?))',
    ).all(sandboxId, JSON.stringify(profileIds)) as Row[];
    return rows.flatMap(membershipsOf);
  }

  async members(sandboxId: string, audienceId: string, options: { limit: number; afterProfileId?: string; statuses?: readonly MembershipStatus[] }) {
    const statuses = options.statuses && options.statuses.length > 0 ? [...new Set(options.statuses)] : (['realized', 'existing'] as const);
    const path = entryPath(audienceId);
    // An entry's status code: its first element, or 0 (realized) for a bare time; none without the entry.
    const rows = prepared(
      this.db,
      `SELECT profile_id, memberships -> ? AS entry FROM profile_memberships
       WHERE sandbox_id = ? AND profile_id > ?
         AND CASE json_type(memberships, ?) WHEN 'array' THEN memberships ->> ? WHEN 'integer' THEN 0 WHEN 'real' THEN 0 END IN (${statuses.map(() => '?').join(', ')})
       ORDER BY profile_id ${boundLimit()}`,
    ).all(path, sandboxId, options.afterProfileId ?? '', path, entryPath(audienceId, '[0]'), ...statuses.map((s) => CODE_OF[s]), options.limit) as { profile_id: string; entry: string }[];
    return rows.map((r) => membershipOf(r.profile_id, audienceId, JSON.parse(r.entry) as Entry));
  }

  async entryRows(sandboxId: string, options: { limit: number; afterProfileId?: string }): Promise<readonly EntryRow[]> {
    // Its own statement text: `raw` changes the cached statement for good.
    return prepared(this.db, `SELECT profile_id, memberships AS entries FROM profile_memberships WHERE sandbox_id = ? AND profile_id > ? ORDER BY profile_id ${boundLimit()}`)
      .raw()
      .all(sandboxId, options.afterProfileId ?? '', options.limit) as EntryRow[];
  }

  async byProfile(sandboxId: string, options: { limit: number; afterProfileId?: string }) {
    const rows = prepared(this.db, `SELECT profile_id, memberships FROM profile_memberships WHERE sandbox_id = ? AND profile_id > ? ORDER BY profile_id ${boundLimit()}`).all(
      sandboxId,
      options.afterProfileId ?? '',
      options.limit,
    ) as Row[];
    return rows.flatMap(membershipsOf);
  }

  /**
   * Large puts go to the bulk writer's thread when there is one: the caller (a job) then decodes
   * its next rows while this one is written. Puts resolve in the order they were made.
   */
  async put(sandboxId: string, memberships: readonly Membership[]) {
    return this.putAlong(sandboxId, memberships, undefined, () => undefined);
  }

  /**
   * `put` with another store's rows in the same transaction: on the bulk writer's thread (a large
   * put), whose module writes `along`; else here, `inline` running inside the transaction.
   */
  async putAlong(sandboxId: string, memberships: readonly Membership[], along: unknown, inline: () => void): Promise<void> {
    if (this.bulk && memberships.length >= BULK_PUT) return this.bulk.write(sandboxId, profileRowsOf(memberships), along);
    this.putInline(sandboxId, memberships, inline);
  }

  /**
   * `putAlong` for a job's batch: its rows are built from its columns, with no `Membership`
   * objects for a large one. Not an async function: a suspended one would keep the batch.
   */
  putBatch(sandboxId: string, batch: MembershipBatch, along: unknown = undefined, inline: () => void = () => undefined): Promise<void> {
    if (this.bulk && batch.length >= BULK_PUT) return this.bulk.write(sandboxId, profileRowsOfColumns(batch.columns()), along);
    try {
      this.putInline(sandboxId, batch.memberships(), inline);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private putInline(sandboxId: string, memberships: readonly Membership[], inline: () => void): void {
    this.db.transaction(() => {
      this.putNow(sandboxId, memberships);
      inline();
    })();
  }

  /** `put`, done when it returns, on this thread; inside a caller's transaction it joins it. */
  putNow(sandboxId: string, memberships: readonly Membership[]): void {
    if (memberships.length > 0) this.writeRows(sandboxId, profileRowsOf(memberships));
  }

  /** Stops the bulk writer's thread, if any, once its writes are done. */
  async close(): Promise<void> {
    await this.bulk?.close();
  }

  async deleteAudience(sandboxId: string, audienceId: string) {
    const path = entryPath(audienceId);
    this.db.transaction(() => {
      prepared(this.db, 'UPDATE profile_memberships SET memberships = json_remove(memberships, ?) WHERE sandbox_id = ? AND json_type(memberships, ?) IS NOT NULL').run(
        path,
        sandboxId,
        path,
      );
      prepared(this.db, `DELETE FROM profile_memberships WHERE sandbox_id = ? AND memberships = '{}'`).run(sandboxId);
    }).immediate();
  }

  async deleteProfile(sandboxId: string, profileId: string) {
    prepared(this.db, 'DELETE FROM profile_memberships WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM profile_memberships WHERE sandbox_id = ?').run(sandboxId);
  }

  private rowOf(sandboxId: string, profileId: string): string | undefined {
    return prepared(this.db, 'SELECT memberships FROM profile_memberships WHERE sandbox_id = ? AND profile_id = ?').pluck().get(sandboxId, profileId) as string | undefined;
  }

  private entriesOf(sandboxId: string, profileId: string): Entries | undefined {
    const text = this.rowOf(sandboxId, profileId);
    return text === undefined ? undefined : (JSON.parse(text) as Entries);
  }
}
