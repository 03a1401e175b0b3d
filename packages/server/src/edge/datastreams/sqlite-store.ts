/** Embedded (SQLite) datastream store: one JSON document per datastream, found by configId alone or within a sandbox. */
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Datastream } from './model.ts';
import type { DatastreamStore, StoredDatastream } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE datastreams (id TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX datastreams_sandbox ON datastreams (sandbox_id, name);`,
];

export class SqliteDatastreamStore implements DatastreamStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'datastreams', MIGRATIONS);
  }

  async list(sandboxId: string) {
    const docs = prepared(this.db, 'SELECT doc FROM datastreams WHERE sandbox_id = ? ORDER BY name, id').pluck().all(sandboxId) as string[];
    return docs.map((d) => JSON.parse(d) as Datastream);
  }

  async get(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM datastreams WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as Datastream) : undefined;
  }

  async find(id: string): Promise<StoredDatastream | undefined> {
    const row = prepared(this.db, 'SELECT sandbox_id AS sandboxId, doc FROM datastreams WHERE id = ?').get(id) as { sandboxId: string; doc: string } | undefined;
    return row ? { sandboxId: row.sandboxId, datastream: JSON.parse(row.doc) as Datastream } : undefined;
  }

  async put(sandboxId: string, datastream: Datastream) {
    prepared(
      this.db,
      `INSERT INTO datastreams (id, sandbox_id, name, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc WHERE datastreams.sandbox_id = excluded.sandbox_id`,
    ).run(datastream.id, sandboxId, datastream.name, JSON.stringify(datastream));
  }

  async delete(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM datastreams WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM datastreams WHERE sandbox_id = ?').run(sandboxId);
  }
}
