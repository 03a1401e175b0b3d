/**
 * The record log's writer thread, seen from the main thread: appends go to a thread with its own
 * SQLite connection, which commits them (group commit: whatever arrives while it is busy goes
 * into its next transaction) and answers with their log positions. The main event loop then
 * spends its time parsing and validating requests while the inserts, the commit and the
 * write-ahead log's page writes run on another core. A request is still answered only after its
 * records are committed.
 *
 * If the thread dies, the appends it held fail (their requests get a 5xx and nothing was
 * acknowledged) and the next append starts a new thread.
 *
 * @example
 *   const writer = new RecordLogWriter({ recordsPath: '/data/records.db', durability: 'normal', autoCheckpointPages: 50_000 });
 *   const { seqs } = await writer.append(records, rejections);
 *   await writer.close();
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from './batch/worker-spawn.ts';
import type { AppendResult, NewRecord, NewRejection, RecordAppender } from './record-store.ts';


export interface RecordLogWriterData {
  /** The record log's database file (`records.db`). */
  recordsPath: string;
  durability: 'normal' | 'full';
  autoCheckpointPages: number;
}

/**
 * Records as one string and two typed arrays: copying them to the writer thread is then a few
 * memory copies instead of a structured clone of one object per record (which cost the event
 * loop about 8% of its time under batched load).
 */
export interface PackedRecords {
  /** Per record: sandbox id, dataset id, record id, batch id ('' when none) and body, back to back. */
  text: string;
  /** Five lengths per record, in the order of `text`. */
  lengths: Uint32Array;
  timestamps: Float64Array;
}

const FIELDS_PER_RECORD = 5;

/**
 * @example
 *   unpackRecords(packRecords(records)); // deep-equal to records
 */
export function packRecords(records: readonly NewRecord[]): PackedRecords {
  const parts = new Array<string>(records.length * FIELDS_PER_RECORD);
  const lengths = new Uint32Array(records.length * FIELDS_PER_RECORD);
  const timestamps = new Float64Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const o = i * FIELDS_PER_RECORD;
    parts[o] = r.sandboxId;
    parts[o + 1] = r.datasetId;
    parts[o + 2] = r.recordId;
    parts[o + 3] = r.batchId ?? '';
    parts[o + 4] = r.body;
    for (let f = 0; f < FIELDS_PER_RECORD; f++) lengths[o + f] = parts[o + f].length;
    timestamps[i] = r.timestamp;
  }
  return { text: parts.join(''), lengths, timestamps };
}

export function unpackRecords(packed: PackedRecords): NewRecord[] {
  const { text, lengths, timestamps } = packed;
  const records = new Array<NewRecord>(timestamps.length);
  let at = 0;
  const next = (k: number) => text.slice(at, (at += lengths[k]));
  for (let i = 0; i < records.length; i++) {
    const o = i * FIELDS_PER_RECORD;
    const sandboxId = next(o);
    const datasetId = next(o + 1);
    const recordId = next(o + 2);
    const batchId = next(o + 3);
    const body = next(o + 4);
    records[i] = { sandboxId, datasetId, recordId, timestamp: timestamps[i], ...(batchId ? { batchId } : {}), body };
  }
  return records;
}

export type ToRecordLogWriter =
  | { type: 'append'; id: number; records: PackedRecords; rejections: readonly NewRejection[] }
  /** Commit what is pending, close the connection, exit. */
  | { type: 'close' };

export type FromRecordLogWriter = { type: 'appended'; id: number; result: AppendResult } | { type: 'failed'; id: number; message: string };

const WORKER_MODULE = siblingModule(import.meta.url, 'record-log-writer-worker');

interface Pending {
  resolve(result: AppendResult): void;
  reject(error: Error): void;
}

export class RecordLogWriter implements RecordAppender {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly data: RecordLogWriterData) {}

  append(records: readonly NewRecord[], rejections: readonly NewRejection[] = []): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('the record log writer is closed'));
    const id = this.nextId++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread().postMessage({ type: 'append', id, records: packRecords(records), rejections } satisfies ToRecordLogWriter);
    });
  }

  /** Waits for the appends in flight, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' } satisfies ToRecordLogWriter);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(WORKER_MODULE, this.data);
    worker.on('message', (message: FromRecordLogWriter) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.type === 'appended') waiting.resolve(message.result);
      else waiting.reject(new Error(message.message));
    });
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size > 0) fail(new Error(`the record log writer stopped (exit code ${code}) before committing`));
    });
    this.worker = worker;
    return worker;
  }
}
