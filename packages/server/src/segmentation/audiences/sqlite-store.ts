/** Embedded (SQLite) implementation of the audience store: one JSON document per audience. */
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Audience } from './model.ts';
import type { AudienceStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE audiences (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id));
   CREATE INDEX audiences_name ON audiences (sandbox_id, name);`,
];

export class SqliteAudienceStore implements AudienceStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'audiences', MIGRATIONS);
  }

  async list(sandboxId: string) {
    const docs = prepared(this.db, 'SELECT doc FROM audiences WHERE sandbox_id = ? ORDER BY name, id').pluck().all(sandboxId) as string[];
    return docs.map((d) => JSON.parse(d) as Audience);
  }

  async get(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM audiences WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as Audience) : undefined;
  }

  async put(sandboxId: string, audience: Audience) {
    prepared(
      this.db,
      `INSERT INTO audiences (sandbox_id, id, name, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
    ).run(sandboxId, audience.id, audience.name, JSON.stringify(audience));
  }

  async delete(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM audiences WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM audiences WHERE sandbox_id = ?').run(sandboxId);
  }
}
