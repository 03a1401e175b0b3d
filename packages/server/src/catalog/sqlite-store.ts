/** Embedded (SQLite) implementation of the dataset store. */
import { migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { Dataset } from './model.ts';
import type { DatasetStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE datasets (sandbox_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, schema_id TEXT NOT NULL,
     retention_days INTEGER, doc TEXT NOT NULL, PRIMARY KEY (sandbox_id, id), UNIQUE (sandbox_id, name));
   CREATE INDEX datasets_schema ON datasets (sandbox_id, schema_id);`,
];

export class SqliteDatasetStore implements DatasetStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'catalog', MIGRATIONS);
  }

  async list(sandboxId: string) {
    const rows = prepared(this.db, 'SELECT doc FROM datasets WHERE sandbox_id = ? ORDER BY name').all(sandboxId) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as Dataset);
  }

  async listWithRetention() {
    const rows = prepared(this.db, 'SELECT sandbox_id, doc FROM datasets WHERE retention_days IS NOT NULL').all() as { sandbox_id: string; doc: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.doc) as Dataset), sandboxId: r.sandbox_id }));
  }

  async get(sandboxId: string, id: string) {
    const row = prepared(this.db, 'SELECT doc FROM datasets WHERE sandbox_id = ? AND id = ?').get(sandboxId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Dataset) : undefined;
  }

  async getByName(sandboxId: string, name: string) {
    const row = prepared(this.db, 'SELECT doc FROM datasets WHERE sandbox_id = ? AND name = ?').get(sandboxId, name) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Dataset) : undefined;
  }

  async put(sandboxId: string, d: Dataset) {
    prepared(
        this.db,
        `INSERT INTO datasets (sandbox_id, id, name, schema_id, retention_days, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (sandbox_id, id) DO UPDATE SET name = excluded.name, retention_days = excluded.retention_days, doc = excluded.doc`,
      )
      .run(sandboxId, d.id, d.name, d.schemaId, d.retentionDays ?? null, JSON.stringify(d));
  }

  async delete(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM datasets WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async countBySchema(sandboxId: string, schemaId: string) {
    return (prepared(this.db, 'SELECT count(*) AS n FROM datasets WHERE sandbox_id = ? AND schema_id = ?').get(sandboxId, schemaId) as { n: number }).n;
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM datasets WHERE sandbox_id = ?').run(sandboxId);
  }
}
