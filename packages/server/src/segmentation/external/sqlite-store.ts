/** Embedded (SQLite) implementation of the external audience store. */
import type { IdentityKey } from '../../identity/graph.ts';
import { SandboxListCache } from '../../storage/sandbox-cache.ts';
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { ExternalAudience, ExternalAudienceStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE external_audiences (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, expires_at INTEGER NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE TABLE external_audience_identities (sandbox_id TEXT NOT NULL, identity_key TEXT NOT NULL, audience_id TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, identity_key, audience_id)) WITHOUT ROWID;
   CREATE INDEX external_audience_identities_audience ON external_audience_identities (sandbox_id, audience_id);`,
];

export class SqliteExternalAudienceStore implements ExternalAudienceStore {
  private readonly createAll;
  /** Every streaming evaluation lists them; only this store writes them. */
  private readonly cache = new SandboxListCache<ExternalAudience>();

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'external-audiences', MIGRATIONS);
    const insertKey = db.prepare('INSERT OR IGNORE INTO external_audience_identities (sandbox_id, identity_key, audience_id) VALUES (?, ?, ?)');
    const insertDoc = db.prepare('INSERT INTO external_audiences (sandbox_id, id, doc, expires_at) VALUES (?, ?, ?, ?)');
    this.createAll = db.transaction((sandboxId: string, audience: ExternalAudience, keys: readonly string[]) => {
      let distinct = 0;
      for (const key of keys) distinct += insertKey.run(sandboxId, key, audience.id).changes;
      const saved = { ...audience, identities: distinct };
      insertDoc.run(sandboxId, audience.id, JSON.stringify(saved), audience.expiresAt);
      return saved;
    });
  }

  async list(sandboxId: string) {
    return this.cache.get(sandboxId, () => {
      const docs = prepared(this.db, 'SELECT doc FROM external_audiences WHERE sandbox_id = ? ORDER BY id').pluck().all(sandboxId) as string[];
      return docs.map((d) => JSON.parse(d) as ExternalAudience);
    });
  }

  async get(sandboxId: string, id: string) {
    return (await this.list(sandboxId)).find((a) => a.id === id);
  }

  async create(sandboxId: string, audience: ExternalAudience, keys: readonly IdentityKey[]) {
    try {
      return this.createAll.immediate(sandboxId, audience, keys);
    } finally {
      this.cache.invalidate(sandboxId);
    }
  }

  async heldBy(sandboxId: string, keys: readonly IdentityKey[]) {
    const held = new Map<string, number>();
    const query = prepared(
      this.db,
      `SELECT i.audience_id AS id, a.expires_at AS expiresAt FROM external_audience_identities i
       JOIN external_audiences a ON a.sandbox_id = i.sandbox_id AND a.id = i.audience_id
       WHERE i.sandbox_id = ? AND i.identity_key = ?`,
    );
    for (const key of keys) for (const row of query.all(sandboxId, key) as { id: string; expiresAt: number }[]) held.set(row.id, row.expiresAt);
    return held;
  }

  async delete(sandboxId: string, id: string) {
    prepared(this.db, 'DELETE FROM external_audience_identities WHERE sandbox_id = ? AND audience_id = ?').run(sandboxId, id);
    const deleted = prepared(this.db, 'DELETE FROM external_audiences WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
    this.cache.invalidate(sandboxId);
    return deleted;
  }

  async forgetIdentities(sandboxId: string, keys: readonly IdentityKey[]) {
    const remove = prepared(this.db, 'DELETE FROM external_audience_identities WHERE sandbox_id = ? AND identity_key = ?');
    for (const key of keys) remove.run(sandboxId, key);
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM external_audience_identities WHERE sandbox_id = ?').run(sandboxId);
    prepared(this.db, 'DELETE FROM external_audiences WHERE sandbox_id = ?').run(sandboxId);
    this.cache.invalidate(sandboxId);
  }
}
