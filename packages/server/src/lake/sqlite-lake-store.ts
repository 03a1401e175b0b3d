/**
 * Embedded (SQLite) implementation of the lake's watermark and file catalog. Used by both the main
 * thread and the flush worker thread, each over its own connection to the same database.
 */
import { migrate, type SqliteDatabase } from '../storage/sqlite.ts';
import type { LakeFile, LakeStore } from './lake-store.ts';

const MIGRATIONS = [
  `CREATE TABLE lake_watermark (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
   INSERT INTO lake_watermark (id, seq) VALUES (1, 0);
   CREATE TABLE lake_files (path TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, dataset_id TEXT NOT NULL, day TEXT NOT NULL,
     first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, row_count INTEGER NOT NULL, columns TEXT NOT NULL);
   CREATE INDEX lake_files_by_dataset ON lake_files (sandbox_id, dataset_id, first_seq);`,
];

interface FileRow {
  path: string;
  sandbox_id: string;
  dataset_id: string;
  day: string;
  first_seq: number;
  last_seq: number;
  row_count: number;
  columns: string;
}

function fileFromRow(r: FileRow): LakeFile {
  return {
    path: r.path,
    sandboxId: r.sandbox_id,
    datasetId: r.dataset_id,
    day: r.day,
    firstSeq: r.first_seq,
    lastSeq: r.last_seq,
    rowCount: r.row_count,
    columns: JSON.parse(r.columns) as string[],
  };
}

export class SqliteLakeStore implements LakeStore {
  private readonly upsert;
  private readonly remove;
  private readonly commitAll;
  private readonly replaceAll;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'lake', MIGRATIONS);
    this.upsert = db.prepare(
      `INSERT INTO lake_files (path, sandbox_id, dataset_id, day, first_seq, last_seq, row_count, columns)
       VALUES (@path, @sandboxId, @datasetId, @day, @firstSeq, @lastSeq, @rowCount, @columns)
       ON CONFLICT (path) DO UPDATE SET last_seq = excluded.last_seq, row_count = excluded.row_count, columns = excluded.columns`,
    );
    this.remove = db.prepare('DELETE FROM lake_files WHERE path = ?');
    const insertAll = (files: readonly LakeFile[]) => {
      for (const f of files) this.upsert.run({ ...f, columns: JSON.stringify(f.columns) });
    };
    this.commitAll = db.transaction((files: readonly LakeFile[], watermark: number) => {
      insertAll(files);
      db.prepare('UPDATE lake_watermark SET seq = ? WHERE id = 1').run(watermark);
    });
    this.replaceAll = db.transaction((removed: readonly string[], added: readonly LakeFile[]) => {
      for (const path of removed) this.remove.run(path);
      insertAll(added);
    });
  }

  async watermark() {
    return (this.db.prepare('SELECT seq FROM lake_watermark WHERE id = 1').get() as { seq: number }).seq;
  }

  async commitSlice(files: readonly LakeFile[], watermark: number) {
    // IMMEDIATE takes the write lock up front: the flush worker's connection writes while the main
    // one does, and a deferred transaction upgrading its lock could fail at once with SQLITE_BUSY.
    this.commitAll.immediate(files, watermark);
  }

  async files(sandboxId: string, datasetId?: string) {
    const rows = this.db
      .prepare('SELECT * FROM lake_files WHERE sandbox_id = @sandboxId AND (@datasetId IS NULL OR dataset_id = @datasetId) ORDER BY first_seq, path')
      .all({ sandboxId, datasetId: datasetId ?? null }) as FileRow[];
    return rows.map(fileFromRow);
  }

  async allPaths() {
    const rows = this.db.prepare('SELECT path FROM lake_files').all() as { path: string }[];
    return new Set(rows.map((r) => r.path));
  }

  async replaceFiles(removed: readonly string[], added: readonly LakeFile[]) {
    this.replaceAll.immediate(removed, added);
  }

  async deleteDataset(sandboxId: string, datasetId: string) {
    this.db.prepare('DELETE FROM lake_files WHERE sandbox_id = ? AND dataset_id = ?').run(sandboxId, datasetId);
  }

  async deleteSandbox(sandboxId: string) {
    this.db.prepare('DELETE FROM lake_files WHERE sandbox_id = ?').run(sandboxId);
  }
}
