/**
 * The bulk writer's thread (bulk-writer.ts): its own connection to the database, a background
 * writer at the process's write gate (the event loop's writes go first), writing each message's
 * profile rows in one transaction and answering in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LOG_CACHE_KIB, openSqlite } from '../../storage/sqlite.ts';
import { SAFETY_NET_CHECKPOINT_PAGES } from '../../storage/checkpointer.ts';
import { WriteGate } from '../../storage/write-gate.ts';
import { profileRowsWriter } from './sqlite-store.ts';
import type { BulkWriterData, FromBulkWriter, ToBulkWriter } from './bulk-writer.ts';

const data = workerData as BulkWriterData;
const port = parentPort!;
const gate = data.writeGate ? new WriteGate(data.writeGate, 'background') : undefined;
const db = openSqlite(data.databasePath, data.durability, SAFETY_NET_CHECKPOINT_PAGES, LOG_CACHE_KIB, gate);
const write = profileRowsWriter(db);

port.on('message', (message: ToBulkWriter) => {
  if (message.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let answer: FromBulkWriter;
  try {
    write(message.sandboxId, message.rows);
    answer = { type: 'written', id: message.id };
  } catch (err) {
    answer = { type: 'failed', id: message.id, message: (err as Error).message };
  }
  port.postMessage(answer);
});
port.postMessage({ type: 'ready' } satisfies FromBulkWriter);
