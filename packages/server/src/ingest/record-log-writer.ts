/**
 * The record log's writer thread, seen from the main thread: appends go to a thread with its own
 * SQLite connection, which commits them (group commit: whatever arrives while it is busy goes
 * into its next transaction) and answers with their log positions. The main event loop then
 * spends its time parsing and validating requests while the inserts, the commit and the
 * write-ahead log's page writes run on another core. A request is still answered only after its
 * records are committed.
 *
 * Small appends while the thread is idle can be committed on the calling thread instead
 * (`directUpTo`): at light load a round trip through an idle thread cost a request 0.4–1.3 ms at
 * the median and 4–10 ms at p99 (the thread has to be woken and scheduled, and its answer waits
 * behind the event loop's other work), where the commit itself takes ~0.1 ms. That connection
 * never waits for the write lock: if another connection holds it (a batch worker), the append
 * goes to the thread after all. Only with `normal` durability, where a commit does not fsync.
 *
 * If the thread dies, the appends it held fail (their requests get a 5xx and nothing was
 * acknowledged) and the next append starts a new thread.
 *
 * @example
 *   const writer = new RecordLogWriter({ recordsPath: '/data/records.db', durability: 'normal', autoCheckpointPages: 50_000 }, { directUpTo: 8 });
 *   const { seqs } = await writer.append(records, rejections);
 *   await writer.close();
 */
import type { Worker } from 'node:worker_threads';
import { LOG_CACHE_KIB, openSqlite, type SqliteDatabase } from '../storage/sqlite.ts';
import { siblingModule, startModuleWorker } from './batch/worker-spawn.ts';
import type { AppendResult, NewRecord, NewRejection, RecordAppender } from './record-store.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';


export interface RecordLogWriterData {
  /** The record log's database file (`records.db`). */
  recordsPath: string;
  durability: 'normal' | 'full';
  autoCheckpointPages: number;
}

/**
 * Records as a few strings and two typed arrays: copying them to the writer thread is then a few
 * memory copies instead of a structured clone of one object per record (which cost the event
 * loop about 8% of its time under batched load).
 */
export interface PackedRecords {
  /**
   * Per record: sandbox id, dataset id, record id, batch id ('' when none) and body, back to back;
   * a record never spans two texts.
   */
  texts: string[];
  /** Five lengths per record, in the order of the texts. */
  lengths: Uint32Array;
  timestamps: Float64Array;
  /** Each record's `idTime`, 0 when it has none. */
  idTimes: Float64Array;
}

const FIELDS_PER_RECORD = 5;

/**
 * Characters after which a new text begins. V8 keeps a string above 128 KiB in a page of its own,
 * mapped when the string is made and unmapped when it dies: a 100-event request packed into one
 * string cost the writer thread a page fault per 4 KiB on arrival (~9% of its time in batched
 * ingestion), and the event loop the same when joining it.
 */
const TEXT_CHUNK_CHARS = 48 * 1024;

/**
 * @example
 *   unpackRecords(packRecords(records)); // deep-equal to records
 */
export function packRecords(records: readonly NewRecord[]): PackedRecords {
  const texts: string[] = [];
  let parts: string[] = [];
  let chars = 0;
  const lengths = new Uint32Array(records.length * FIELDS_PER_RECORD);
  const timestamps = new Float64Array(records.length);
  const idTimes = new Float64Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const o = i * FIELDS_PER_RECORD;
    const fields = [r.sandboxId, r.datasetId, r.recordId, r.batchId ?? '', r.body];
    let size = 0;
    for (let f = 0; f < FIELDS_PER_RECORD; f++) size += lengths[o + f] = fields[f].length;
    if (chars > 0 && chars + size > TEXT_CHUNK_CHARS) {
      texts.push(parts.join(''));
      parts = [];
      chars = 0;
    }
    parts.push(...fields);
    chars += size;
    timestamps[i] = r.timestamp;
    idTimes[i] = r.idTime ?? 0;
  }
  if (parts.length > 0) texts.push(parts.join(''));
  return { texts, lengths, timestamps, idTimes };
}

export function unpackRecords(packed: PackedRecords): NewRecord[] {
  const { texts, lengths, timestamps, idTimes } = packed;
  const records = new Array<NewRecord>(timestamps.length);
  let chunk = 0;
  let text = texts[0] ?? '';
  let at = 0;
  const next = (k: number) => text.slice(at, (at += lengths[k]));
  for (let i = 0; i < records.length; i++) {
    if (at === text.length && chunk + 1 < texts.length) {
      text = texts[++chunk];
      at = 0;
    }
    const o = i * FIELDS_PER_RECORD;
    const sandboxId = next(o);
    const datasetId = next(o + 1);
    const recordId = next(o + 2);
    const batchId = next(o + 3);
    const body = next(o + 4);
    // Optional fields assigned, not spread in: a spread makes an object per field per record.
    const record: NewRecord = { sandboxId, datasetId, recordId, timestamp: timestamps[i], body };
    if (idTimes[i] !== 0) record.idTime = idTimes[i];
    if (batchId) record.batchId = batchId;
    records[i] = record;
  }
  return records;
}

export type ToRecordLogWriter =
  | { type: 'append'; id: number; records: PackedRecords; rejections: readonly NewRejection[] }
  /** Commit what is pending, close the connection, exit. */
  | { type: 'close' };

export type FromRecordLogWriter =
  | { type: 'appended'; id: number; result: AppendResult }
  | { type: 'failed'; id: number; message: string }
  /** The thread has loaded its modules and opened the log. */
  | { type: 'ready' };

const WORKER_MODULE = siblingModule(import.meta.url, 'record-log-writer-worker');

interface Pending {
  resolve(result: AppendResult): void;
  reject(error: Error): void;
}

export interface RecordLogWriterOptions {
  /**
   * Appends of at most this many records (and rejections), made while the thread holds none, are
   * committed on the calling thread. 0 (the default): every append goes to the thread.
   */
  directUpTo?: number;
  /** Told where each append went (metrics). */
  counted?: (where: keyof RecordLogWriterStats) => void;
}

/** Where appends were committed, for tests and metrics. */
export interface RecordLogWriterStats {
  direct: number;
  thread: number;
  /** Direct attempts that found the write lock taken and went to the thread. */
  busy: number;
}

/** A direct append carries at most this much record text: larger ones are worth the crossing. */
const DIRECT_MAX_CHARS = 256 * 1024;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export class RecordLogWriter implements RecordAppender {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** The calling thread's own connection, opened at the first direct append. */
  private directLog?: { db: SqliteDatabase; store: SqliteRecordStore };
  private readonly counts: RecordLogWriterStats = { direct: 0, thread: 0, busy: 0 };
  private readonly directUpTo: number;
  /** Settles when the current thread is ready to commit (or has exited). */
  private threadReady: Promise<void> = Promise.resolve();

  constructor(
    private readonly data: RecordLogWriterData,
    private readonly options: RecordLogWriterOptions = {},
  ) {
    this.directUpTo = data.durability === 'normal' ? (options.directUpTo ?? 0) : 0;
  }

  private count(where: keyof RecordLogWriterStats): void {
    this.counts[where]++;
    this.options.counted?.(where);
  }

  append(records: readonly NewRecord[], rejections: readonly NewRejection[] = []): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('the record log writer is closed'));
    // With nothing pending at the thread, committing here cannot overtake an earlier append.
    if (this.pending.size === 0 && this.fitsDirect(records, rejections)) {
      try {
        const result = this.direct().appendNow(records, rejections);
        this.count('direct');
        return Promise.resolve(result);
      } catch (error) {
        if (!isBusy(error)) return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        this.count('busy'); // rolled back: the thread, which waits for the lock, takes it
      }
    }
    this.count('thread');
    const id = this.nextId++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread().postMessage({ type: 'append', id, records: packRecords(records), rejections } satisfies ToRecordLogWriter);
    });
  }

  /**
   * Starts the thread now instead of at the first append that needs it, and resolves once it has
   * loaded its modules and opened the log (~0.3 s on 2 cores): a server starting its threads before
   * it listens does not hold its first requests' answers for that long.
   */
  start(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.thread();
    return this.threadReady;
  }

  /** Waits for the appends in flight, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.directLog?.db.close();
    this.directLog = undefined;
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' } satisfies ToRecordLogWriter);
    });
  }

  stats(): RecordLogWriterStats {
    return { ...this.counts };
  }

  private fitsDirect(records: readonly NewRecord[], rejections: readonly NewRejection[]): boolean {
    if (records.length + rejections.length > this.directUpTo) return false;
    let chars = 0;
    for (const r of records) chars += r.body.length;
    for (const r of rejections) chars += r.body.length;
    return chars <= DIRECT_MAX_CHARS;
  }

  /** This thread's own connection to the log, which fails at once instead of waiting for the write lock. */
  private direct(): SqliteRecordStore {
    if (!this.directLog) {
      const db = openSqlite(this.data.recordsPath, this.data.durability, this.data.autoCheckpointPages, LOG_CACHE_KIB);
      db.pragma('busy_timeout = 0');
      this.directLog = { db, store: new SqliteRecordStore(db) };
    }
    return this.directLog.store;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(WORKER_MODULE, this.data);
    let ready!: () => void;
    this.threadReady = new Promise<void>((resolve) => (ready = resolve));
    worker.on('message', (message: FromRecordLogWriter) => {
      if (message.type === 'ready') return ready();
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
      ready();
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size > 0) fail(new Error(`the record log writer stopped (exit code ${code}) before committing`));
    });
    this.worker = worker;
    return worker;
  }
}
