/** Embedded (SQLite) implementation of the audience store: one JSON document per audience. */
import { SandboxListCache } from '../../storage/sandbox-cache.ts';
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Audience } from './model.ts';
import type { AudienceStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE audiences (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE INDEX audiences_name ON audiences (sandbox_id, name);`,
];

export class SqliteAudienceStore implements AudienceStore {
  /** Every streaming evaluation lists the audiences; only this store writes them. */
  private readonly cache = new SandboxListCache<Audience>();

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'audiences', MIGRATIONS);
  }

  async list(sandboxId: string) {
    return this.cache.get(sandboxId, () => {
      const docs = prepared(this.db, 'SELECT doc FROM audiences WHERE sandbox_id = ? ORDER BY name, id').pluck().all(sandboxId) as string[];
      return docs.map((d) => JSON.parse(d) as Audience);
    });
  }

  async get(sandboxId: string, id: string) {
    return (await this.list(sandboxId)).find((a) => a.id === id);
  }

  async put(sandboxId: string, audience: Audience) {
    prepared(
      this.db,
      `INSERT INTO audiences (sandbox_id, id, name, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
    ).run(sandboxId, audience.id, audience.name, JSON.stringify(audience));
    this.cache.invalidate(sandboxId);
  }

  async delete(sandboxId: string, id: string) {
    const deleted = prepared(this.db, 'DELETE FROM audiences WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
    this.cache.invalidate(sandboxId);
    return deleted;
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM audiences WHERE sandbox_id = ?').run(sandboxId);
    this.cache.invalidate(sandboxId);
  }
}
