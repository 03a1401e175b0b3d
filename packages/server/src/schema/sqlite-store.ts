/** Embedded (SQLite) implementation of the schema store: one JSON document per schema. */
import { migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { SchemaDoc } from './model.ts';
import type { SchemaStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE schemas (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
     PRIMARY KEY (sandbox_id, id), UNIQUE (sandbox_id, name));`,
];

export class SqliteSchemaStore implements SchemaStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'schema', MIGRATIONS);
  }

  async list(sandboxId: string) {
    const rows = prepared(this.db, 'SELECT doc FROM schemas WHERE sandbox_id = ? ORDER BY name').all(sandboxId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as SchemaDoc);
  }

  async get(sandboxId: string, id: string) {
    const row = prepared(this.db, 'SELECT doc FROM schemas WHERE sandbox_id = ? AND id = ?').get(sandboxId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as SchemaDoc) : undefined;
  }

  async getByName(sandboxId: string, name: string) {
    const row = prepared(this.db, 'SELECT doc FROM schemas WHERE sandbox_id = ? AND name = ?').get(sandboxId, name) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as SchemaDoc) : undefined;
  }

  async put(sandboxId: string, schema: SchemaDoc) {
    prepared(
        this.db,
        `INSERT INTO schemas (sandbox_id, id, name, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
      )
      .run(sandboxId, schema.id, schema.name, JSON.stringify(schema));
  }

  async delete(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM schemas WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM schemas WHERE sandbox_id = ?').run(sandboxId);
  }
}
