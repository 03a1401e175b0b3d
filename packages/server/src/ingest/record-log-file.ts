/**
 * The record log lives in a SQLite file of its own (`records.db`), apart from the platform's
 * database (`meridian.db`: catalog, identities, profiles, memberships, ...). SQLite allows one
 * writer per file: with one file, every acknowledged ingest waited behind the profile
 * projector's and the audiences' transactions (and a batch writer slept in the busy handler
 * while they held the lock). With two, ingestion (streaming and batch) only ever waits for
 * ingestion; the followers (projector, lake) read the log without locking it and write
 * elsewhere.
 *
 * Data directories from before the split keep their log in `meridian.db`; `moveRecordLog` moves it
 * (rows, sequence numbers and batch checkpoints unchanged) the first time the new layout opens.
 *
 * @example
 *   const recordsDb = openSqlite(recordLogPath(dataDir), 'normal');
 *   moveRecordLog(recordsDb, mainDbPath); // no-op once moved
 */
import { join } from 'node:path';
import type { SqliteDatabase } from '../storage/sqlite.ts';
import { OWN_TIME_OF_ROW } from './sqlite-record-store.ts';

/** The record log's file in a data directory. */
export function recordLogPath(dataDir: string): string {
  return join(dataDir, 'records.db');
}

/** The tables that moved with the log: records, rejected records and batch checkpoints. */
const MOVED_TABLES = ['records', 'rejected_records', 'batches'] as const;

/**
 * Copies the log's tables out of the platform database into the (already migrated, still empty)
 * record log database and drops them there, in one transaction per file. Safe to call on every
 * start: it does nothing when the platform database has no `records` table.
 *
 * @example
 *   moveRecordLog(recordsDb, '/data/meridian.db'); // { moved: 1200 } the first time, then { moved: 0 }
 */
export function moveRecordLog(recordsDb: SqliteDatabase, mainDbPath: string): { moved: number } {
  if (recordsDb.memory) return { moved: 0 };
  recordsDb.prepare('ATTACH DATABASE ? AS platform').run(mainDbPath);
  try {
    const present = new Set(
      (recordsDb.prepare(`SELECT name FROM platform.sqlite_master WHERE type = 'table'`).pluck().all() as string[]).filter((name) =>
        (MOVED_TABLES as readonly string[]).includes(name),
      ),
    );
    if (!present.has('records')) return { moved: 0 };
    let moved = 0;
    recordsDb.transaction(() => {
      for (const table of MOVED_TABLES) {
        if (!present.has(table)) continue;
        // The log's table has gained columns since (id_time): records name theirs.
        const copy =
          table === 'records'
            ? `INSERT OR IGNORE INTO main.records (seq, sandbox_id, dataset_id, record_id, ts, ingested_at, batch_id, body, id_time)
               SELECT seq, sandbox_id, dataset_id, record_id, ts, ingested_at, batch_id, body, ${OWN_TIME_OF_ROW} FROM platform.records`
            : `INSERT OR IGNORE INTO main.${table} SELECT * FROM platform.${table}`;
        const changes = recordsDb.prepare(copy).run().changes;
        if (table === 'records') moved = changes;
        carrySequence(recordsDb, table);
        recordsDb.exec(`DROP TABLE platform.${table}`);
      }
    })();
    return { moved };
  } finally {
    recordsDb.exec('DETACH DATABASE platform');
  }
}

/**
 * AUTOINCREMENT's high-water mark, so a number once handed out (then deleted) is never reused:
 * the lake and the projector follow the log by sequence number.
 */
function carrySequence(db: SqliteDatabase, table: string): void {
  const old = db.prepare('SELECT seq FROM platform.sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined;
  if (old === undefined) return;
  const raised = db.prepare('UPDATE main.sqlite_sequence SET seq = max(seq, ?) WHERE name = ?').run(old, table).changes;
  if (raised === 0) db.prepare('INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, ?)').run(table, old);
}
