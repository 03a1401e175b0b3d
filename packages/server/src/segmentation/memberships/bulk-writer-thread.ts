/**
 * The body of a bulk writer's thread (bulk-writer.ts): its own connection to the database, a
 * background writer at the process's write gate (the event loop's writes go first), writing each
 * message's profile rows in one transaction and answering in order. A thread module may pass
 * `writeAlong`: what a message carries `along` with its rows (another store's rows, e.g. the
 * activation outbox's) is then written by it in the same transaction, so both commit or neither.
 *
 * @example
 *   serveBulkWrites();  // bulk-writer-worker.ts
 *   serveBulkWrites((db, along) => outboxRows(db, along));  // a module that writes more rows with each batch
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LOG_CACHE_KIB, openSqlite, type SqliteDatabase } from '../../storage/sqlite.ts';
import { SAFETY_NET_CHECKPOINT_PAGES } from '../../storage/checkpointer.ts';
import { WriteGate } from '../../storage/write-gate.ts';
import { profileRowsWriter } from './sqlite-store.ts';
import type { BulkWriterData, FromBulkWriter, ToBulkWriter } from './bulk-writer.ts';

export function serveBulkWrites(writeAlong?: (db: SqliteDatabase, along: unknown) => void): void {
  const data = workerData as BulkWriterData;
  const port = parentPort!;
  const gate = data.writeGate ? new WriteGate(data.writeGate, 'background') : undefined;
  const db = openSqlite(data.databasePath, data.durability, SAFETY_NET_CHECKPOINT_PAGES, LOG_CACHE_KIB, gate);
  const writeRows = profileRowsWriter(db);
  const write = db.transaction((sandboxId: string, rows: readonly string[], along: unknown) => {
    writeRows(sandboxId, rows); // a savepoint inside this transaction
    if (along !== undefined) {
      if (!writeAlong) throw new Error('this bulk writer writes no rows along with memberships');
      writeAlong(db, along);
    }
  });

  port.on('message', (message: ToBulkWriter) => {
    if (message.type === 'close') {
      db.close();
      port.close();
      return;
    }
    let answer: FromBulkWriter;
    try {
      write.immediate(message.sandboxId, message.rows, message.along);
      answer = { type: 'written', id: message.id };
    } catch (err) {
      answer = { type: 'failed', id: message.id, message: (err as Error).message };
    }
    port.postMessage(answer);
  });
  port.postMessage({ type: 'ready' } satisfies FromBulkWriter);
}
