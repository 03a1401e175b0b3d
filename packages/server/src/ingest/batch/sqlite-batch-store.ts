/** Embedded (SQLite) implementation of the batch store; the processing worker writes checkpoints through it too. */
import { boundLimit, migrate, type SqliteDatabase } from '../../storage/sqlite.ts';
import type { Batch } from './model.ts';
import type { BatchPage, BatchStore } from './batch-store.ts';

const MIGRATIONS = [
  `CREATE TABLE batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, sandbox_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
     dataset_id TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX batches_by_dataset ON batches (sandbox_id, dataset_id, seq);
   CREATE INDEX batches_by_status ON batches (status);`,
];

/**
 * @example
 *   const store = new SqliteBatchStore(openSqlite('/data/meridian.db'));
 *   await store.put(sandboxId, batch);
 */
export class SqliteBatchStore implements BatchStore {
  private readonly upsert;
  private readonly byId;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'batch', MIGRATIONS);
    this.upsert = db.prepare(
      `INSERT INTO batches (sandbox_id, id, dataset_id, status, doc) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
    );
    this.byId = db.prepare('SELECT doc FROM batches WHERE sandbox_id = ? AND id = ?');
  }

  async put(sandboxId: string, batch: Batch) {
    this.upsert.run(sandboxId, batch.id, batch.datasetId, batch.status, JSON.stringify(batch));
  }

  async get(sandboxId: string, id: string) {
    const row = this.byId.get(sandboxId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Batch) : undefined;
  }

  async listByDataset(sandboxId: string, datasetId: string, page: { limit: number; cursor?: string }): Promise<BatchPage> {
    const before = page.cursor && /^\d+$/.test(page.cursor) ? Number(page.cursor) : null;
    const rows = this.db
      .prepare(
        `SELECT seq, doc FROM batches WHERE sandbox_id = ? AND dataset_id = ? AND (? IS NULL OR seq < ?)
         ORDER BY seq DESC ${boundLimit()}`,
      )
      .all(sandboxId, datasetId, before, before, page.limit) as { seq: number; doc: string }[];
    return {
      items: rows.map((r) => JSON.parse(r.doc) as Batch),
      ...(rows.length === page.limit ? { next: String(rows[rows.length - 1].seq) } : {}),
    };
  }

  async listUnfinished() {
    const rows = this.db
      .prepare(`SELECT sandbox_id, doc FROM batches WHERE status IN ('loading', 'processing') ORDER BY seq`)
      .all() as { sandbox_id: string; doc: string }[];
    return rows.map((r) => ({ ...(JSON.parse(r.doc) as Batch), sandboxId: r.sandbox_id }));
  }

  async deleteDataset(sandboxId: string, datasetId: string) {
    const rows = this.db
      .prepare('DELETE FROM batches WHERE sandbox_id = ? AND dataset_id = ? RETURNING id')
      .all(sandboxId, datasetId) as { id: string }[];
    return rows.map((r) => r.id);
  }
}
