/** Embedded (SQLite) store of Segment-spec sources: one JSON document per source, found by write-key hash. */
import { migrate, prepared, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Source } from './model.ts';
import type { SourceStore } from './store.ts';

const MIGRATIONS = [
  `CREATE TABLE segment_sources (id TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
   CREATE INDEX segment_sources_sandbox ON segment_sources (sandbox_id);`,
];

export class SqliteSourceStore implements SourceStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'segment_sources', MIGRATIONS);
  }

  async list(sandboxId: string) {
    const docs = prepared(this.db, 'SELECT doc FROM segment_sources WHERE sandbox_id = ? ORDER BY id').pluck().all(sandboxId) as string[];
    return docs.map((d) => JSON.parse(d) as Source).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(sandboxId: string, id: string) {
    const doc = prepared(this.db, 'SELECT doc FROM segment_sources WHERE sandbox_id = ? AND id = ?').pluck().get(sandboxId, id) as string | undefined;
    return doc ? (JSON.parse(doc) as Source) : undefined;
  }

  async findByKeyHash(hash: string) {
    const row = prepared(this.db, 'SELECT sandbox_id AS sandboxId, doc FROM segment_sources WHERE key_hash = ?').get(hash) as { sandboxId: string; doc: string } | undefined;
    return row ? { sandboxId: row.sandboxId, source: JSON.parse(row.doc) as Source } : undefined;
  }

  async put(sandboxId: string, source: Source, keyHash: string) {
    prepared(
      this.db,
      `INSERT INTO segment_sources (id, sandbox_id, key_hash, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET key_hash = excluded.key_hash, doc = excluded.doc WHERE segment_sources.sandbox_id = excluded.sandbox_id`,
    ).run(source.id, sandboxId, keyHash, JSON.stringify(source));
  }

  async delete(sandboxId: string, id: string) {
    return prepared(this.db, 'DELETE FROM segment_sources WHERE sandbox_id = ? AND id = ?').run(sandboxId, id).changes > 0;
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM segment_sources WHERE sandbox_id = ?').run(sandboxId);
  }
}
