/**
 * Entry point of a batch worker thread: opens its own SQLite connection and processes batches off
 * the main event loop, one after another, writing and checkpointing the chunks a reader thread of
 * its own prepares, and reporting each written chunk to the main thread. Started by
 * `batch-runner.ts`, which may keep it for the next batch (its code stays compiled and warm) or
 * terminate it while it waits; a `stop` message ends it at the next chunk boundary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LOG_CACHE_KIB, openSqlite } from '../../storage/sqlite.ts';
import { SAFETY_NET_CHECKPOINT_PAGES } from '../../storage/checkpointer.ts';
import { SqliteRecordStore } from '../sqlite-record-store.ts';
import { SqliteBatchStore } from './sqlite-batch-store.ts';
import { processBatch } from './process-batch.ts';
import { ChunkReaderThread } from './read-in-worker.ts';
import type { BatchJob } from './prepare-chunks.ts';
import type { BatchWorkerData, FromWorker, ToWorker } from './worker-protocol.ts';

const port = parentPort!;
const data = workerData as BatchWorkerData;
let stopRequested = false;
const jobs: BatchJob[] = data.job ? [data.job] : [];
let wake: (() => void) | undefined;
port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') stopRequested = true;
  if (message.type === 'run') jobs.push(message.job);
  wake?.();
});
const send = (message: FromWorker) => port.postMessage(message);
/** The next job, or undefined once a stop is asked for. */
const nextJob = async (): Promise<BatchJob | undefined> => {
  while (jobs.length === 0 && !stopRequested) await new Promise<void>((resolve) => (wake = resolve));
  return stopRequested ? undefined : jobs.shift();
};

// Started ahead of its batch (during the upload), this thread and its reader load their modules
// while the file arrives. A reader that cannot go on is replaced by a fresh one for the next batch.
let reader = new ChunkReaderThread();

// Checkpoints are the platform's checkpointer thread's (every 250 ms): with SQLite's default of
// 1,000 pages this connection copied the log into the file and waited for its fsync inside a
// chunk's commit every few chunks (20–90 ms blocked each, ~1.2 s of a 300,000-row file).
const db = openSqlite(data.databasePath, data.durability, SAFETY_NET_CHECKPOINT_PAGES, LOG_CACHE_KIB);
const records = new SqliteRecordStore(db);
const batches = new SqliteBatchStore(db);
try {
  for (let job = await nextJob(); job; job = await nextJob()) {
    if (!reader.usable) reader = new ChunkReaderThread();
    const batch = await processBatch(
      job,
      { records, batches },
      { chunkWritten: (report) => send({ type: 'chunk', report }), stopRequested: () => stopRequested },
      (job, skipRows) => reader.read(job, skipRows),
    );
    send({ type: 'finished', batch });
  }
} finally {
  await reader.terminate();
  db.close();
  port.close();
}
