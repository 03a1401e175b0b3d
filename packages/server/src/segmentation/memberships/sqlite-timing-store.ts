/** Embedded (SQLite) implementations of the membership due-time table and the identity owners. */
import type { IdentityKey } from '../../identity/graph.ts';
import { multiRowWriter } from '../../storage/multi-row.ts';
import { boundLimit, migrate, prepared, readEach, type SqliteDatabase } from '../../storage/sqlite.ts';
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

/** Up to this many keys, a point read each (in one read transaction) beats one JSON IN-list. */
const ONE_BY_ONE = 8;

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
    const upsert = multiRowWriter(
      db,
      'INSERT INTO membership_due (sandbox_id, profile_id, audience_id, due_at, identity_key)',
      5,
      'ON CONFLICT (sandbox_id, profile_id, audience_id) DO UPDATE SET due_at = excluded.due_at, identity_key = excluded.identity_key',
    );
    const remove = db.prepare('DELETE FROM membership_due WHERE sandbox_id = ? AND profile_id = ? AND audience_id = ?');
    this.setAll = db.transaction((sandboxId: string, changes: readonly DueChange[]) => {
      // The last change of a (profile, audience) wins, as if applied one by one.
      const last = new Map<string, DueChange>();
      for (const c of changes) last.set(`${c.profileId}\u0000${c.audienceId}`, c);
      const rows: unknown[][] = [];
      for (const c of last.values()) {
        if (c.dueAt === undefined) remove.run(sandboxId, c.profileId, c.audienceId);
        else rows.push([sandboxId, c.profileId, c.audienceId, c.dueAt, c.identityKey]);
      }
      upsert(rows);
    });
  }

  async set(sandboxId: string, changes: readonly DueChange[]) {
    this.setNow(sandboxId, changes);
  }

  /** `set`, done when it returns; inside a caller's transaction it joins it. */
  setNow(sandboxId: string, changes: readonly DueChange[]): void {
    if (changes.length > 0) this.setAll.immediate(sandboxId, changes);
  }

  async forProfile(sandboxId: string, profileId: string) {
    const rows = prepared(this.db, 'SELECT audience_id, due_at FROM membership_due WHERE sandbox_id = ? AND profile_id = ?').all(sandboxId, profileId) as DueRow[];
    return new Map(rows.map((r) => [r.audience_id, r.due_at]));
  }

  async forProfiles(sandboxId: string, profileIds: readonly string[]) {
    const out = new Map<string, Map<string, number>>();
    if (profileIds.length === 0) return out;
    const rows =
      profileIds.length === 1
        ? (prepared(this.db, 'SELECT profile_id, audience_id, due_at FROM membership_due WHERE sandbox_id = ? AND profile_id = ?').all(sandboxId, profileIds[0]) as DueRow[])
        : (prepared(this.db, 'SELECT profile_id, audience_id, due_at FROM membership_due WHERE sandbox_id = ? AND profile_id IN (SELECT value FROM json_each(?))').all(
            sandboxId,
            JSON.stringify(profileIds),
          ) as DueRow[]);
    for (const r of rows) {
      const dues = out.get(r.profile_id);
      if (dues) dues.set(r.audience_id, r.due_at);
      else out.set(r.profile_id, new Map([[r.audience_id, r.due_at]]));
    }
    return out;
  }

  async dueBy(at: number, limit: number): Promise<DueEntry[]> {
    const rows = prepared(this.db, `SELECT * FROM membership_due INDEXED BY membership_due_at WHERE due_at <= ? ORDER BY due_at ${boundLimit()}`).all(at, limit) as DueRow[];
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
    const upsert = multiRowWriter(
      db,
      'INSERT INTO membership_identity_owners (sandbox_id, identity_key, profile_id)',
      3,
      'ON CONFLICT (sandbox_id, identity_key) DO UPDATE SET profile_id = excluded.profile_id',
    );
    this.assignAll = db.transaction((sandboxId: string, assignments: readonly { profileId: string; keys: readonly string[] }[]) => {
      // One row per identity: a key assigned twice in a batch (a merge inside the pass) keeps its last owner.
      const owners = new Map<string, string>();
      for (const a of assignments) for (const key of a.keys) owners.set(key, a.profileId);
      upsert([...owners].map(([key, profileId]) => [sandboxId, key, profileId]));
    });
  }

  async ownersOf(sandboxId: string, keys: readonly IdentityKey[]) {
    const owners = new Map<IdentityKey, string>();
    if (keys.length > ONE_BY_ONE) {
      const rows = prepared(
        this.db,
        'SELECT identity_key, profile_id FROM membership_identity_owners WHERE sandbox_id = ? AND identity_key IN (SELECT value FROM json_each(?))',
      ).all(sandboxId, JSON.stringify(keys)) as { identity_key: string; profile_id: string }[];
      for (const r of rows) owners.set(r.identity_key, r.profile_id);
      return owners;
    }
    const get = prepared(this.db, 'SELECT profile_id FROM membership_identity_owners WHERE sandbox_id = ? AND identity_key = ?').pluck();
    readEach(this.db, keys, (key) => {
      const owner = get.get(sandboxId, key) as string | undefined;
      if (owner !== undefined) owners.set(key, owner);
    });
    return owners;
  }

  async keysOf(sandboxId: string, profileId: string) {
    return prepared(this.db, 'SELECT identity_key FROM membership_identity_owners INDEXED BY membership_identity_owners_profile WHERE sandbox_id = ? AND profile_id = ?')
      .pluck()
      .all(sandboxId, profileId) as string[];
  }

  async keysOfProfiles(sandboxId: string, profileIds: readonly string[]) {
    const out = new Map<string, IdentityKey[]>();
    if (profileIds.length === 0) return out;
    const rows = prepared(
      this.db,
      'SELECT profile_id, identity_key FROM membership_identity_owners INDEXED BY membership_identity_owners_profile WHERE sandbox_id = ? AND profile_id IN (SELECT value FROM json_each(?))',
    ).all(sandboxId, JSON.stringify(profileIds)) as { profile_id: string; identity_key: string }[];
    for (const r of rows) {
      const keys = out.get(r.profile_id);
      if (keys) keys.push(r.identity_key);
      else out.set(r.profile_id, [r.identity_key]);
    }
    return out;
  }

  async assign(sandboxId: string, assignments: readonly { profileId: string; keys: readonly IdentityKey[] }[]) {
    this.assignNow(sandboxId, assignments);
  }

  /** `assign`, done when it returns; inside a caller's transaction it joins it. */
  assignNow(sandboxId: string, assignments: readonly { profileId: string; keys: readonly IdentityKey[] }[]): void {
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
