/** Embedded (SQLite) implementations of the membership due-time table and the identity owners. */
import type { IdentityKey } from '../../identity/graph.ts';
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { DueChange, DueEntry, DueStore, IdentityOwnerStore } from './timing-store.ts';

const MIGRATIONS = [
  `CREATE TABLE membership_due (sandbox_id TEXT NOT NULL, profile_id TEXT NOT NULL, audience_id TEXT NOT NULL,
     due_at INTEGER NOT NULL, identity_key TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, profile_id, audience_id)) WITHOUT ROWID;
   CREATE INDEX membership_due_at ON membership_due (due_at);
   CREATE INDEX membership_due_audience ON membership_due (sandbox_id, audience_id);
   CREATE TABLE membership_identity_owners (sandbox_id TEXT NOT NULL, identity_key TEXT NOT NULL, profile_id TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, identity_key)) WITHOUT ROWID;
   CREATE INDEX membership_identity_owners_profile ON membership_identity_owners (sandbox_id, profile_id);`,
];

interface DueRow {
  sandbox_id: string;
  profile_id: string;
  audience_id: string;
  due_at: number;
  identity_key: string;
}

export class SqliteDueStore implements DueStore {
  private readonly setAll;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'membership-timing', MIGRATIONS);
    const upsert = db.prepare(
      `INSERT INTO membership_due (sandbox_id, profile_id, audience_id, due_at, identity_key) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sandbox_id, profile_id, audience_id) DO UPDATE SET due_at = excluded.due_at, identity_key = excluded.identity_key`,
    );
    const remove = db.prepare('DELETE FROM membership_due WHERE sandbox_id = ? AND profile_id = ? AND audience_id = ?');
    this.setAll = db.transaction((sandboxId: string, changes: readonly DueChange[]) => {
      for (const c of changes) {
        if (c.dueAt === undefined) remove.run(sandboxId, c.profileId, c.audienceId);
        else upsert.run(sandboxId, c.profileId, c.audienceId, c.dueAt, c.identityKey);
      }
    });
  }

  async set(sandboxId: string, changes: readonly DueChange[]) {
    if (changes.length > 0) this.setAll.immediate(sandboxId, changes);
  }

  async forProfile(sandboxId: string, profileId: string) {
    const rows = prepared(this.db, 'SELECT audience_id, due_at FROM membership_due WHERE sandbox_id = ? AND profile_id = ?').all(sandboxId, profileId) as DueRow[];
    return new Map(rows.map((r) => [r.audience_id, r.due_at]));
  }

  async dueBy(at: number, limit: number): Promise<DueEntry[]> {
    const rows = prepared(this.db, 'SELECT * FROM membership_due INDEXED BY membership_due_at WHERE due_at <= ? ORDER BY due_at LIMIT ?').all(at, limit) as DueRow[];
    return rows.map((r) => ({ sandboxId: r.sandbox_id, profileId: r.profile_id, audienceId: r.audience_id, dueAt: r.due_at, identityKey: r.identity_key }));
  }

  async clearIfUnchanged(entry: DueEntry) {
    prepared(this.db, 'DELETE FROM membership_due WHERE sandbox_id = ? AND profile_id = ? AND audience_id = ? AND due_at = ?').run(
      entry.sandboxId,
      entry.profileId,
      entry.audienceId,
      entry.dueAt,
    );
  }

  async earliest() {
    const at = prepared(this.db, 'SELECT MIN(due_at) FROM membership_due').pluck().get() as number | null;
    return at ?? undefined;
  }

  async deleteProfile(sandboxId: string, profileId: string) {
    prepared(this.db, 'DELETE FROM membership_due WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
  }

  async deleteAudience(sandboxId: string, audienceId: string) {
    prepared(this.db, 'DELETE FROM membership_due WHERE sandbox_id = ? AND audience_id = ?').run(sandboxId, audienceId);
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM membership_due WHERE sandbox_id = ?').run(sandboxId);
  }
}

export class SqliteIdentityOwnerStore implements IdentityOwnerStore {
  private readonly assignAll;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'membership-timing', MIGRATIONS);
    const upsert = db.prepare(
      `INSERT INTO membership_identity_owners (sandbox_id, identity_key, profile_id) VALUES (?, ?, ?)
       ON CONFLICT (sandbox_id, identity_key) DO UPDATE SET profile_id = excluded.profile_id`,
    );
    this.assignAll = db.transaction((sandboxId: string, assignments: readonly { profileId: string; keys: readonly string[] }[]) => {
      for (const a of assignments) for (const key of a.keys) upsert.run(sandboxId, key, a.profileId);
    });
  }

  async ownersOf(sandboxId: string, keys: readonly IdentityKey[]) {
    const owners = new Map<IdentityKey, string>();
    const get = prepared(this.db, 'SELECT profile_id FROM membership_identity_owners WHERE sandbox_id = ? AND identity_key = ?').pluck();
    for (const key of keys) {
      const owner = get.get(sandboxId, key) as string | undefined;
      if (owner !== undefined) owners.set(key, owner);
    }
    return owners;
  }

  async keysOf(sandboxId: string, profileId: string) {
    return prepared(this.db, 'SELECT identity_key FROM membership_identity_owners INDEXED BY membership_identity_owners_profile WHERE sandbox_id = ? AND profile_id = ?')
      .pluck()
      .all(sandboxId, profileId) as string[];
  }

  async assign(sandboxId: string, assignments: readonly { profileId: string; keys: readonly IdentityKey[] }[]) {
    if (assignments.length > 0) this.assignAll.immediate(sandboxId, assignments);
  }

  async forgetKeys(sandboxId: string, keys: readonly IdentityKey[]) {
    const remove = prepared(this.db, 'DELETE FROM membership_identity_owners WHERE sandbox_id = ? AND identity_key = ?');
    for (const key of keys) remove.run(sandboxId, key);
  }

  async deleteProfile(sandboxId: string, profileId: string) {
    prepared(this.db, 'DELETE FROM membership_identity_owners WHERE sandbox_id = ? AND profile_id = ?').run(sandboxId, profileId);
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM membership_identity_owners WHERE sandbox_id = ?').run(sandboxId);
  }
}
