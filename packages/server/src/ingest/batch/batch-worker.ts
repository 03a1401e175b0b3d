/**
 * Entry point of a batch worker thread: opens its own SQLite connection and processes one batch
 * off the main event loop, writing and checkpointing the chunks a reader thread of its own
 * prepares, and reporting each written chunk to the main thread. Started by `batch-runner.ts`; a
 * `stop` message ends it at the next chunk boundary.
 */
import { parentPort, workerData, type Worker } from 'node:worker_threads';
import { LOG_CACHE_KIB, openSqlite } from '../../storage/sqlite.ts';
import { SAFETY_NET_CHECKPOINT_PAGES } from '../../storage/checkpointer.ts';
import { SqliteRecordStore } from '../sqlite-record-store.ts';
import { SqliteBatchStore } from './sqlite-batch-store.ts';
import { processBatch } from './process-batch.ts';
import { readChunksInWorker, startSpareReader } from './read-in-worker.ts';
import type { BatchJob, ChunkSource } from './prepare-chunks.ts';
import type { BatchWorkerData, FromWorker, ToWorker } from './worker-protocol.ts';

const port = parentPort!;
const data = workerData as BatchWorkerData;
let stopRequested = false;
let runJob: ((job: BatchJob) => void) | undefined;
const jobGiven = new Promise<BatchJob>((resolve) => (runJob = resolve));
port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') stopRequested = true;
  if (message.type === 'run') runJob?.(message.job);
});
const send = (message: FromWorker) => port.postMessage(message);

// Started ahead of its batch (during the upload), this thread and its reader load their modules
// while the file arrives. A spare reader that dies before use is replaced by a fresh one.
let spareReader: Worker | undefined = startSpareReader();
spareReader.on('error', () => undefined);
spareReader.once('exit', () => (spareReader = undefined));
const readChunks: ChunkSource = (job, skipRows) => {
  const spare = spareReader;
  spareReader = undefined;
  return readChunksInWorker(job, skipRows, spare);
};

// Checkpoints are the platform's checkpointer thread's (every 250 ms): with SQLite's default of
// 1,000 pages this connection copied the log into the file and waited for its fsync inside a
// chunk's commit every few chunks (20–90 ms blocked each, ~1.2 s of a 300,000-row file).
const db = openSqlite(data.databasePath, data.durability, SAFETY_NET_CHECKPOINT_PAGES, LOG_CACHE_KIB);
const records = new SqliteRecordStore(db);
const batches = new SqliteBatchStore(db);
const job = data.job ?? (await jobGiven);
try {
  const batch = await processBatch(
    job,
    { records, batches },
    { chunkWritten: (report) => send({ type: 'chunk', report }), stopRequested: () => stopRequested },
    readChunks,
  );
  send({ type: 'finished', batch });
} finally {
  await spareReader?.terminate();
  db.close();
  port.close();
}
