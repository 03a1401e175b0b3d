/**
 * Entry point of the record log's writer thread (started by `record-log-writer.ts`): appends
 * arriving while a transaction runs are committed together in the next one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LOG_CACHE_KIB, openSqlite } from '../storage/sqlite.ts';
import { GroupCommit } from './group-commit.ts';
import { unpackRecords, type FromRecordLogWriter, type RecordLogWriterData, type ToRecordLogWriter } from './record-log-writer.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';

const port = parentPort!;
const data = workerData as RecordLogWriterData;
const db = openSqlite(data.recordsPath, data.durability, data.autoCheckpointPages, LOG_CACHE_KIB);
const log = new GroupCommit(new SqliteRecordStore(db));
const send = (message: FromRecordLogWriter) => port.postMessage(message);
send({ type: 'ready' });

let inFlight = 0;
let closing = false;
function closeWhenDrained(): void {
  if (!closing || inFlight > 0) return;
  db.close();
  port.close(); // nothing else keeps the thread alive: it exits
}

port.on('message', (message: ToRecordLogWriter) => {
  if (message.type === 'close') {
    closing = true;
    closeWhenDrained();
    return;
  }
  inFlight++;
  log
    .append(unpackRecords(message.records), message.rejections)
    .then(
      (result) => send({ type: 'appended', id: message.id, result }),
      (err: unknown) => send({ type: 'failed', id: message.id, message: err instanceof Error ? err.message : String(err) }),
    )
    .finally(() => {
      inFlight--;
      closeWhenDrained();
    });
});
