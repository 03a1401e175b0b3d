/**
 * Entry point of the lake's flush worker thread: writes slices of the record log into Parquet off
 * the main event loop, with its own SQLite connection (reading the log, committing the file
 * catalog and watermark) and its own DuckDB instance. It asks the main thread for the column plan
 * of each slice. Started and restarted by `flush-worker-client.ts`; a `close` message ends it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { LOG_CACHE_KIB, openSqlite } from '../storage/sqlite.ts';
import { WriteGate } from '../storage/write-gate.ts';
import { FOLLOWER_NICENESS, lowerThreadPriority } from '../storage/thread-priority.ts';
import type { ColumnPlan, ColumnPlanner } from './column-plans.ts';
import type { FlushWorkerData, FromFlushWorker, ToFlushWorker } from './flush-worker-protocol.ts';
import { ParquetWriter } from './parquet-writer.ts';
import { SliceWriter } from './slice-writer.ts';
import { SqliteLakeStore } from './sqlite-lake-store.ts';

const port = parentPort!;
const data = workerData as FlushWorkerData;
const send = (message: FromFlushWorker) => port.postMessage(message);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface PlanRequest {
  resolve(plans: ColumnPlan[]): void;
  reject(err: Error): void;
}
const planRequests = new Map<number, PlanRequest>();
let nextPlanId = 1;
const planColumns: ColumnPlanner = (datasets) =>
  new Promise((resolve, reject) => {
    const id = nextPlanId++;
    planRequests.set(id, { resolve, reject });
    send({ type: 'planColumns', id, datasets: [...datasets] });
  });

// A follower: ingestion and requests come first; the lake takes the idle cycles and catches up.
lowerThreadPriority(FOLLOWER_NICENESS);
const db = openSqlite(data.databasePath, data.durability, data.autoCheckpointPages, undefined, data.writeGate && new WriteGate(data.writeGate, 'background'));
const recordsDb =
  data.recordsPath && data.recordsPath !== data.databasePath ? openSqlite(data.recordsPath, data.durability, data.autoCheckpointPages, LOG_CACHE_KIB) : db;
const parquet = await ParquetWriter.open(data.lakeRoot, { spillDirName: 'duckdb-spill-flush-worker' });
const slices = new SliceWriter({
  records: new SqliteRecordStore(recordsDb),
  store: new SqliteLakeStore(db),
  parquet,
  planColumns,
  sliceSize: data.sliceSize,
});

// Messages sent while the connections were opening waited in the port until this listener.
port.on('message', (message: ToFlushWorker) => {
  switch (message.type) {
    case 'writeSlice':
      slices.writeSliceAfter(message.watermark, message.until).then(
        (result) => send({ type: 'sliceWritten', id: message.id, result }),
        (err: unknown) => send({ type: 'sliceFailed', id: message.id, message: errorText(err) }),
      );
      break;
    case 'columnPlans':
      planRequests.get(message.id)?.resolve(message.plans);
      planRequests.delete(message.id);
      break;
    case 'columnPlansFailed':
      planRequests.get(message.id)?.reject(new Error(message.message));
      planRequests.delete(message.id);
      break;
    case 'close':
      parquet.close();
      db.close();
      if (recordsDb !== db) recordsDb.close();
      port.close(); // nothing else keeps the thread alive: it exits
      break;
  }
});
