/** Embedded (SQLite, WAL) implementation of the record log. A 2xx is sent only after commit. */
import type { Statement } from 'better-sqlite3';
import { boundLimit, migrate, prepared, type SqliteDatabase } from '../storage/sqlite.ts';
import type { FieldError } from '../errors.ts';
import type { AppendResult, NewRecord, NewRejection, RawStoredRecord, RecordStore, StoredRecord, StoredRejection } from './record-store.ts';

/**
 * A logged row's own time, from its body, for rows logged before `id_time` existed: its `ts` when
 * the body has a `timestamp` (ingestion took `ts` from it), else 0.
 */
export const OWN_TIME_OF_ROW = `CASE WHEN json_extract(body, '$.timestamp') IS NOT NULL THEN ts ELSE 0 END`;

/** The log's schema, one step per version (exported for tests that build an older log). */
export const RECORD_LOG_MIGRATIONS = [
  `CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, sandbox_id TEXT NOT NULL, dataset_id TEXT NOT NULL,
     record_id TEXT NOT NULL, ts INTEGER NOT NULL, ingested_at INTEGER NOT NULL, batch_id TEXT, body TEXT NOT NULL);
   CREATE UNIQUE INDEX records_identity ON records (dataset_id, record_id);
   CREATE INDEX records_dataset_ts ON records (dataset_id, ts);
   CREATE TABLE rejected_records (id INTEGER PRIMARY KEY AUTOINCREMENT, sandbox_id TEXT NOT NULL, dataset_id TEXT NOT NULL,
     batch_id TEXT, source TEXT NOT NULL, idx INTEGER NOT NULL, errors TEXT NOT NULL, body TEXT NOT NULL, rejected_at INTEGER NOT NULL);
   CREATE INDEX rejected_by_dataset ON rejected_records (sandbox_id, dataset_id, id);
   CREATE INDEX rejected_by_batch ON rejected_records (batch_id, id);`,
  // A record is the same record by (dataset, own time, _id): the unique index then takes the ids
  // of timed records in time order, near its end, where random _ids (UUID v4) each dirtied a page
  // of an index keyed by _id alone (24-36 us a record against 5-8). Logged records get their own
  // time back from their bodies; a record without one keeps 0, and is the same record by _id.
  `ALTER TABLE records ADD COLUMN id_time INTEGER NOT NULL DEFAULT 0;
   UPDATE records SET id_time = ${OWN_TIME_OF_ROW};
   DROP INDEX records_identity;
   CREATE UNIQUE INDEX records_identity ON records (dataset_id, id_time, record_id);`,
];

interface RejectionRow {
  id: number;
  sandbox_id: string;
  dataset_id: string;
  batch_id: string | null;
  source: string;
  idx: number;
  errors: string;
  body: string;
  rejected_at: number;
}

function rejectionFromRow(r: RejectionRow): StoredRejection {
  return {
    id: r.id,
    sandboxId: r.sandbox_id,
    datasetId: r.dataset_id,
    ...(r.batch_id ? { batchId: r.batch_id } : {}),
    source: r.source,
    index: r.idx,
    errors: JSON.parse(r.errors) as FieldError[],
    body: r.body,
    rejectedAt: r.rejected_at,
  };
}

/** The columns `recordFromTuple` takes, in its order (the body last, selected by each reader). */
const TUPLE_COLUMNS = 'seq, sandbox_id, dataset_id, record_id, ts, ingested_at, batch_id, id_time';
type RecordTuple<B> = [number, string, string, string, number, number, string | null, number, B];

/**
 * A row read as an array (`.raw()`) as a stored record; the body stays as read (a string, or bytes
 * for `readRawAfter`). The followers read slices of thousands of records: an object per row from
 * SQLite and then another with spread-in optional fields cost ~3.5 µs a record more (20,000-record
 * slices of 1.1 KB events: 12.4 → 8.8 µs a record).
 */
function recordFromTuple<B extends string | Uint8Array>(r: RecordTuple<B>): Omit<StoredRecord, 'body'> & { body: B } {
  const record: Omit<StoredRecord, 'body'> & { body: B } = { seq: r[0], sandboxId: r[1], datasetId: r[2], recordId: r[3], timestamp: r[4], ingestedAt: r[5], body: r[8] };
  if (r[6]) record.batchId = r[6];
  if (r[7]) record.idTime = r[7];
  return record;
}

/** What makes a record the same record as another: its dataset, own time (0 without one) and `_id`. */
function samenessKey(datasetId: string, idTime: number, recordId: string): string {
  return `${datasetId}\u0000${idTime}\u0000${recordId}`;
}

/** Rows per INSERT statement: one statement for 50 rows costs about a third less than 50 statements. */
const ROWS_PER_INSERT = 50;
const COLUMNS_PER_ROW = 8;

export class SqliteRecordStore implements RecordStore {
  private readonly inserts = new Map<number, Statement>();
  private readonly reject;
  private readonly appendAll;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'ingest', RECORD_LOG_MIGRATIONS);
    this.reject = db.prepare(
      'INSERT INTO rejected_records (sandbox_id, dataset_id, batch_id, source, idx, errors, body, rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const highWater = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'records'`).pluck();
    const insertedAfter = db.prepare('SELECT seq, dataset_id, id_time, record_id FROM records WHERE seq > ? ORDER BY seq');
    this.appendAll = db.transaction((records: readonly NewRecord[], rejections: readonly NewRejection[]) => {
      const now = Date.now();
      const seqs: (number | undefined)[] = new Array<number | undefined>(records.length).fill(undefined);
      // AUTOINCREMENT numbers rows one after another in VALUES order, above the high-water mark;
      // inside this transaction nothing else writes, so a statement that inserted all its rows
      // gave them last+1 ... last+n. (A duplicate also takes a number, so the log has gaps.)
      let last = (highWater.get() as number | undefined) ?? 0;
      for (let start = 0; start < records.length; start += ROWS_PER_INSERT) {
        const n = Math.min(ROWS_PER_INSERT, records.length - start);
        const params = new Array<unknown>(n * COLUMNS_PER_ROW);
        for (let i = 0; i < n; i++) {
          const r = records[start + i];
          const o = i * COLUMNS_PER_ROW;
          params[o] = r.sandboxId;
          params[o + 1] = r.datasetId;
          params[o + 2] = r.recordId;
          params[o + 3] = r.timestamp;
          params[o + 4] = now;
          params[o + 5] = r.batchId ?? null;
          params[o + 6] = r.body;
          params[o + 7] = r.idTime ?? 0;
        }
        const { changes } = this.insertOf(n).run(params);
        if (changes === n) {
          for (let i = 0; i < n; i++) seqs[start + i] = last + 1 + i;
          last += n;
        } else if (changes > 0) {
          // Some were duplicates: the rows above the mark are the ones this statement wrote, and
          // each went to the first input carrying its (dataset, own time, _id).
          const wrote = new Map<string, number>();
          for (const row of insertedAfter.all(last) as { seq: number; dataset_id: string; id_time: number; record_id: string }[]) {
            wrote.set(samenessKey(row.dataset_id, row.id_time, row.record_id), row.seq);
            last = row.seq;
          }
          for (let i = 0; i < n; i++) {
            const r = records[start + i];
            const key = samenessKey(r.datasetId, r.idTime ?? 0, r.recordId);
            seqs[start + i] = wrote.get(key);
            wrote.delete(key);
          }
        }
        // A row that hit a conflict still used up a number: continue from the mark itself.
        if (changes !== n) last = (highWater.get() as number | undefined) ?? 0;
      }
      for (const j of rejections) {
        this.reject.run(j.sandboxId, j.datasetId, j.batchId ?? null, j.source, j.index, JSON.stringify(j.errors), j.body.slice(0, 65536), now);
      }
      const duplicateIndexes: number[] = [];
      for (let i = 0; i < seqs.length; i++) if (seqs[i] === undefined) duplicateIndexes.push(i);
      return { inserted: records.length - duplicateIndexes.length, duplicateIndexes, seqs };
    });
  }

  async append(records: readonly NewRecord[], rejections: readonly NewRejection[] = []) {
    return this.appendAll(records, rejections);
  }

  /** `append` on the calling thread, committed when it returns (throws what SQLite throws, e.g. SQLITE_BUSY). */
  appendNow(records: readonly NewRecord[], rejections: readonly NewRejection[] = []): AppendResult {
    return this.appendAll(records, rejections);
  }

  /** The INSERT of `rows` rows, prepared once per size. */
  private insertOf(rows: number): Statement {
    let statement = this.inserts.get(rows);
    if (!statement) {
      const values = new Array<string>(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.db.prepare(
        `INSERT INTO records (sandbox_id, dataset_id, record_id, ts, ingested_at, batch_id, body, id_time) VALUES ${values}
         ON CONFLICT (dataset_id, id_time, record_id) DO NOTHING`,
      );
      this.inserts.set(rows, statement);
    }
    return statement;
  }

  async readAfter(seq: number, limit: number) {
    const rows = prepared(this.db, `SELECT ${TUPLE_COLUMNS}, body FROM records WHERE seq > ? ORDER BY seq ${boundLimit()}`).raw(true).all(seq, limit) as RecordTuple<string>[];
    return rows.map((r): StoredRecord => recordFromTuple(r));
  }

  async readRawAfter(seq: number, limit: number) {
    // CAST to BLOB hands over the stored UTF-8 bytes as they are: no decoding into a string.
    const rows = prepared(this.db, `SELECT ${TUPLE_COLUMNS}, CAST(body AS BLOB) FROM records WHERE seq > ? ORDER BY seq ${boundLimit()}`)
      .raw(true)
      .all(seq, limit) as RecordTuple<Uint8Array>[];
    return rows.map((r): RawStoredRecord => recordFromTuple(r));
  }

  async lastSeq() {
    return (prepared(this.db, 'SELECT coalesce(max(seq), 0) AS seq FROM records').get() as { seq: number }).seq;
  }

  async readSeqs(seqs: readonly number[]) {
    const stmt = prepared(this.db, `SELECT ${TUPLE_COLUMNS}, body FROM records WHERE seq = ?`).raw(true);
    const out: StoredRecord[] = [];
    for (const seq of seqs) {
      const row = stmt.get(seq) as RecordTuple<string> | undefined;
      if (row) out.push(recordFromTuple(row));
    }
    return out;
  }

  async deleteSeqs(seqs: readonly number[]) {
    const stmt = prepared(this.db, 'DELETE FROM records WHERE seq = ?');
    return this.db.transaction(() => seqs.reduce((n, seq) => n + stmt.run(seq).changes, 0))();
  }

  async countByDataset(sandboxId: string, datasetId: string) {
    return (prepared(this.db, 'SELECT count(*) AS n FROM records WHERE sandbox_id = ? AND dataset_id = ?').get(sandboxId, datasetId) as { n: number }).n;
  }

  async listByDataset(sandboxId: string, datasetId: string, o: { limit: number; beforeSeq?: number; batchId?: string }) {
    const rows = prepared(
        this.db,
        `SELECT ${TUPLE_COLUMNS}, body FROM records WHERE sandbox_id = @sandboxId AND dataset_id = @datasetId
           AND (@before IS NULL OR seq < @before) AND (@batchId IS NULL OR batch_id = @batchId)
         ORDER BY seq DESC ${boundLimit('@limit')}`,
      )
      .raw(true)
      .all({ sandboxId, datasetId, before: o.beforeSeq ?? null, batchId: o.batchId ?? null, limit: o.limit }) as RecordTuple<string>[];
    return rows.map((r): StoredRecord => recordFromTuple(r));
  }

  async listRejections(sandboxId: string, f: { datasetId?: string; batchId?: string; afterId?: number; limit: number }) {
    const rows = prepared(
        this.db,
        `SELECT * FROM rejected_records WHERE sandbox_id = @sandboxId
           AND (@datasetId IS NULL OR dataset_id = @datasetId) AND (@batchId IS NULL OR batch_id = @batchId)
           AND id > @afterId ORDER BY id ${boundLimit('@limit')}`,
      )
      .all({ sandboxId, datasetId: f.datasetId ?? null, batchId: f.batchId ?? null, afterId: f.afterId ?? 0, limit: f.limit }) as RejectionRow[];
    return rows.map(rejectionFromRow);
  }

  async rejectionsMentioning(sandboxId: string, values: readonly string[]) {
    const stmt = prepared(this.db, 'SELECT * FROM rejected_records WHERE sandbox_id = ? AND instr(lower(body), ?) > 0');
    const found = new Map<number, StoredRejection>();
    for (const value of values) {
      if (value.length < 3) continue; // too short to name a person; would match everything
      for (const row of stmt.all(sandboxId, value.toLowerCase()) as RejectionRow[]) found.set(row.id, rejectionFromRow(row));
    }
    return [...found.values()].sort((a, b) => a.id - b.id);
  }

  async deleteRejections(sandboxId: string, ids: readonly number[]) {
    const stmt = prepared(this.db, 'DELETE FROM rejected_records WHERE sandbox_id = ? AND id = ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + stmt.run(sandboxId, id).changes, 0))();
  }

  async expire(sandboxId: string, datasetId: string, beforeMs: number) {
    return prepared(this.db, 'DELETE FROM records WHERE sandbox_id = ? AND dataset_id = ? AND ts < ?').run(sandboxId, datasetId, beforeMs).changes;
  }

  async deleteDataset(sandboxId: string, datasetId: string) {
    prepared(this.db, 'DELETE FROM records WHERE sandbox_id = ? AND dataset_id = ?').run(sandboxId, datasetId);
    prepared(this.db, 'DELETE FROM rejected_records WHERE sandbox_id = ? AND dataset_id = ?').run(sandboxId, datasetId);
  }

  async deleteSandbox(sandboxId: string) {
    prepared(this.db, 'DELETE FROM records WHERE sandbox_id = ?').run(sandboxId);
    prepared(this.db, 'DELETE FROM rejected_records WHERE sandbox_id = ?').run(sandboxId);
  }
}
