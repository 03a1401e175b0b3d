/** Embedded (SQLite) implementation of the membership store. */
import { multiRowWriter } from '../../storage/multi-row.ts';
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Membership, MembershipStatus, MembershipStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE audience_memberships (sandbox_id TEXT NOT NULL, audience_id TEXT NOT NULL, profile_id TEXT NOT NULL,
     status TEXT NOT NULL, last_qualification_time INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (sandbox_id, audience_id, profile_id)) WITHOUT ROWID;
   CREATE INDEX audience_memberships_profile ON audience_memberships (sandbox_id, profile_id);`,
];

interface Row {
  audience_id: string;
  profile_id: string;
  status: MembershipStatus;
  last_qualification_time: number;
  updated_at: number;
}

function fromRow(r: Row): Membership {
  return { profileId: r.profile_id, audienceId: r.audience_id, status: r.status, lastQualificationTime: r.last_qualification_time, updatedAt: r.updated_at };
}

export class SqliteMembershipStore implements MembershipStore {
  private readonly putAll;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'memberships', MIGRATIONS);
    // Batch jobs write millions of rows, streaming passes hundreds: multi-row statements, not one call per row.
    const upsert = multiRowWriter(
      db,
      'INSERT INTO audience_memberships (sandbox_id, audience_id, profile_id, status, last_qualification_time, updated_at)',
      6,
      `ON CONFLICT (sandbox_id, audience_id, profile_id) DO UPDATE SET status = excluded.status,
         last_qualification_time = excluded.last_qualification_time, updated_at = excluded.updated_at`,
    );
    this.putAll = db.transaction((sandboxId: string, memberships: readonly Membership[]) => {
      upsert(memberships.map((m) => [sandboxId, m.audienceId, m.profileId, m.status, m.lastQualificationTime, m.updatedAt]));
    });
  }

  async get(sandboxId: string, profileId: string, audienceId: string) {
    const row = prepared(this.db, 'SELECT * FROM audience_memberships WHERE sandbox_id = ? AND audience_id = ? AND profile_id = ?').get(sandboxId, audienceId, profileId) as
      | Row
      | undefined;
    return row ? fromRow(row) : undefined;
  }

  async forProfile(sandboxId: string, profileId: string) {
    const rows = prepared(this.db, 'SELECT * FROM audience_memberships INDEXED BY audience_memberships_profile WHERE sandbox_id = ? AND profile_id = ?').all(
      sandboxId,
      profileId,
    ) as Row[];
    return rows.map(fromRow);
  }

  async forProfiles(sandboxId: string, profileIds: readonly string[]) {
    if (profileIds.length === 0) return [];
    if (profileIds.length === 1) return this.forProfile(sandboxId, profileIds[0]); // a point read beats parsing a JSON list
    const rows = prepared(
      this.db,
      'SELECT * FROM audience_memberships INDEXED BY audience_memberships_profile WHERE sandbox_id = ? AND profile_id IN (SELECT value FROM json_each(?))',
    ).all(sandboxId, JSON.stringify(profileIds)) as Row[];
    return rows.map(fromRow);
  }

  async members(sandboxId: string, audienceId: string, options: { limit: number; afterProfileId?: string; statuses?: readonly MembershipStatus[] }) {
    const statuses = options.statuses && options.statuses.length > 0 ? [...new Set(options.statuses)] : (['realized', 'existing'] as const);
    const rows = prepared(
      this.db,
      `SELECT * FROM audience_memberships WHERE sandbox_id = ? AND audience_id = ? AND status IN (${statuses.map(() => '?').join(', ')}) AND profile_id > ?
       ORDER BY profile_id LIMIT ?`,
    ).all(sandboxId, audienceId, ...statuses, options.afterProfileId ?? '', options.limit) as Row[];
    return rows.map(fromRow);
  }

  async put(sandboxId: string, memberships: readonly Membership[]) {
    this.putNow(sandboxId, memberships);
  }

  /** `put`, done when it returns; inside a caller's transaction it joins it. */
  putNow(sandboxId: string, memberships: readonly Membership[]): void {
    if (memberships.length > 0) this.putAll.immediate(sandboxId, memberships);
  }

  async deleteAudience(sandboxId: string, audienceId: string) {
    prepared(this.db, 'DELETE FROM audience_memberships WHERE sandbox_id = ? AND audience_id = ?').run(sandboxId, audienceId);
  }

  async deleteProfile(sandboxId: string, profileId: string) {
    prepared(this.db, 'DELETE FROM audience_memberships INDEXED BY audience_memberships_profile WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM audience_memberships WHERE sandbox_id = ?').run(sandboxId);
  }
}
