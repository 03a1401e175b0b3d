/**
 * Entry point of a batch worker thread: opens its own SQLite connection and processes one batch
 * off the main event loop, writing and checkpointing the chunks a reader thread of its own
 * prepares, and reporting each written chunk to the main thread. Started by `batch-runner.ts`; a
 * `stop` message ends it at the next chunk boundary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../../storage/sqlite.ts';
import { SqliteRecordStore } from '../sqlite-record-store.ts';
import { SqliteBatchStore } from './sqlite-batch-store.ts';
import { processBatch } from './process-batch.ts';
import { readChunksInWorker } from './read-in-worker.ts';
import type { BatchWorkerData, FromWorker, ToWorker } from './worker-protocol.ts';

const port = parentPort!;
const data = workerData as BatchWorkerData;
let stopRequested = false;
port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') stopRequested = true;
});
const send = (message: FromWorker) => port.postMessage(message);

const db = openSqlite(data.databasePath, data.durability);
try {
  const batch = await processBatch(
    data.job,
    { records: new SqliteRecordStore(db), batches: new SqliteBatchStore(db) },
    { chunkWritten: (report) => send({ type: 'chunk', report }), stopRequested: () => stopRequested },
    readChunksInWorker,
  );
  send({ type: 'finished', batch });
} finally {
  db.close();
  port.close();
}
