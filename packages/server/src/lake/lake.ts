/**
 * The columnar lake of one Meridian: typed Parquet files under `<dataDir>/lake`, kept up to date
 * from the record log by a flush loop, pruned by deletion and retention, and described table by
 * table for the query service. Every change goes through one serial queue. Slices are written by a
 * worker thread (`flush-worker.ts`) so parsing and shaping records never holds the event loop.
 *
 * @example
 *   const lake = await Lake.open({ dataDir, db, records, catalog, schemas, flushIntervalMs: 2000 });
 *   lake.start();
 *   await lake.flush();               // everything accepted so far is queryable
 *   const tables = await lake.tables(sandboxId);
 *   await lake.close();
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeGateOf, type SqliteDatabase } from '../storage/sqlite.ts';
import { planColumnsFromCatalog } from './column-plans.ts';
import { FlushWorker, FlushWorkerCrashed } from './flush-worker-client.ts';
import { LakeMaintenance } from './lake-maintenance.ts';
import type { LakeCatalog, LakeMetrics, LakeRecordSource, LakeSchemas } from './lake-sources.ts';
import type { LakeStore } from './lake-store.ts';
import { lakeColumns, type LakeColumn } from './lake-types.ts';
import { LakeWriter } from './lake-writer.ts';
import { ParquetWriter, STAGING_DIR } from './parquet-writer.ts';
import { ReadGate } from './read-gate.ts';
import { SerialQueue } from '../storage/serial-queue.ts';
import { SliceWriter, type SliceWriting } from './slice-writer.ts';
import { SqliteLakeStore } from './sqlite-lake-store.ts';

export interface LakeOptions {
  /** Meridian's data directory; the lake lives in its `lake/` folder. */
  dataDir: string;
  /**
   * The embedded database holding the record log, the watermark and the file catalog. The flush
   * worker thread opens its own connection to the same file (an in-memory database is flushed
   * in-process instead).
   */
  db: SqliteDatabase;
  /** The record log's database when it is not `db` (the flush worker reads the log from it). */
  recordsDb?: SqliteDatabase;
  records: LakeRecordSource;
  catalog: LakeCatalog;
  schemas: LakeSchemas;
  flushIntervalMs: number;
  metrics?: LakeMetrics;
  /** Records per slice (default 20,000). */
  sliceSize?: number;
  /** Told about background flush failures (the next tick retries) and flush worker crashes (it is restarted). */
  onError?: (err: unknown) => void;
}

/** One dataset as a SQL table: its current columns and the files that hold its rows. */
export interface LakeTable {
  name: string;
  datasetId: string;
  columns: LakeColumn[];
  files: { path: string; columns: string[] }[];
}

export class Lake {
  private readonly queue = new SerialQueue();
  private readonly gate = new ReadGate();
  private readonly writer: LakeWriter;
  private readonly maintenance: LakeMaintenance;
  private queuedFlush?: Promise<void>;
  private maintenanceWaiting = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    /** Absolute path of the lake root. */
    readonly root: string,
    private readonly store: LakeStore,
    /** Rewrites files for deletions and retention (DuckDB's own threads do the work). */
    private readonly parquet: ParquetWriter,
    private readonly slices: SliceWriting,
    private readonly options: LakeOptions,
  ) {
    this.writer = new LakeWriter({ records: options.records, store, slices, metrics: options.metrics });
    this.maintenance = new LakeMaintenance(root, store, parquet, this.gate);
  }

  /** Opens the lake: bookkeeping tables, leftovers of a crash removed, the maintenance DuckDB started. */
  static async open(options: LakeOptions): Promise<Lake> {
    const root = resolve(options.dataDir, 'lake');
    const store = new SqliteLakeStore(options.db);
    await removeOrphans(root, await store.allPaths());
    const parquet = await ParquetWriter.open(root);
    const planColumns = planColumnsFromCatalog(options.catalog, options.schemas);
    if (options.db.memory) {
      const slices = new SliceWriter({ records: options.records, store, parquet, planColumns, sliceSize: options.sliceSize });
      return new Lake(root, store, parquet, slices, options);
    }
    const flushWorker = new FlushWorker({
      workerData: {
        ...connectionSettings(options.db),
        ...(options.recordsDb ? { recordsPath: resolve(options.recordsDb.name) } : {}),
        lakeRoot: root,
        sliceSize: options.sliceSize,
      },
      planColumns,
      onCrash: (err) => options.onError?.(err),
    });
    return new Lake(root, store, parquet, flushWorker, options);
  }

  /** Starts flushing every `flushIntervalMs` (the timer does not keep the process alive). */
  start(): void {
    if (this.timer || this.closed) return;
    const tick = () => {
      if (this.closed) return;
      this.flush()
        .catch((err: unknown) => this.reportFailure(err))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, this.options.flushIntervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.options.flushIntervalMs).unref();
  }

  /**
   * Resolves once every record accepted before the call is in the lake. Concurrent calls share
   * work. A long backlog is written slice by slice, letting deletions queued meanwhile go first.
   */
  flush(): Promise<void> {
    this.assertOpen();
    // A flush that has not started yet will see everything accepted until it starts: join it.
    this.queuedFlush ??= this.queue
      .run(() => {
        this.queuedFlush = undefined;
        return this.options.records.lastSeq();
      })
      .then(async (until) => {
        const yieldIf = () => this.maintenanceWaiting > 0;
        // Stopped early: a deletion or retention run was waiting; it has had its turn, go on.
        while (!this.closed && !(await this.queue.run(() => this.writer.drain({ until, yieldIf }))));
      });
    return this.queuedFlush;
  }

  /** Records in the log not yet written to the lake. */
  pending(): Promise<number> {
    return this.writer.pending();
  }

  deleteDataset(sandboxId: string, datasetId: string): Promise<void> {
    return this.runMaintenance(() => this.maintenance.deleteDataset(sandboxId, datasetId));
  }

  deleteSandbox(sandboxId: string): Promise<void> {
    return this.runMaintenance(() => this.maintenance.deleteSandbox(sandboxId));
  }

  /**
   * Retention: removes the dataset's rows with a record time before `beforeMs` (flushing first, so
   * no old record reaches the lake afterwards); returns how many rows were removed from the lake.
   */
  expire(sandboxId: string, datasetId: string, beforeMs: number): Promise<number> {
    return this.runMaintenance(async () => {
      await this.writer.drain();
      return this.maintenance.expire(sandboxId, datasetId, beforeMs);
    });
  }

  /**
   * Privacy deletion: removes the rows with these record-log `seq`s from the sandbox's files
   * (flushing first, so none of them reaches the lake afterwards); returns how many rows went.
   */
  deleteRecords(sandboxId: string, seqs: readonly number[]): Promise<number> {
    return this.runMaintenance(async () => {
      await this.writer.drain();
      return this.maintenance.deleteRecords(sandboxId, seqs);
    });
  }

  /** Every dataset of the sandbox as a table, with absolute file paths. Hold a read (`enterRead`) while using them. */
  async tables(sandboxId: string): Promise<LakeTable[]> {
    const files = await this.store.files(sandboxId);
    const tables: LakeTable[] = [];
    for (const dataset of await this.options.catalog.list(sandboxId)) {
      const { tree } = await this.options.schemas.compile(sandboxId, dataset.schemaId);
      tables.push({
        name: dataset.name,
        datasetId: dataset.id,
        columns: lakeColumns(tree),
        files: files.filter((f) => f.datasetId === dataset.id).map((f) => ({ path: join(this.root, f.path), columns: f.columns })),
      });
    }
    return tables;
  }

  /** Keeps the files of `tables()` on disk until the returned release is called. */
  enterRead(): () => Promise<void> {
    return this.gate.enter();
  }

  /** Stops the loop, writes what is pending, then lets the flush worker thread exit. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.timer);
    try {
      await this.flush();
    } catch (err) {
      this.reportFailure(err);
    }
    this.closed = true;
    clearTimeout(this.timer);
    await this.queue.idle();
    await this.gate.removeRetired();
    this.parquet.close();
    await this.slices.close();
  }

  /** A crash of the flush worker was reported when it happened; anything else is reported here. */
  private reportFailure(err: unknown): void {
    if (!(err instanceof FlushWorkerCrashed)) this.options.onError?.(err);
  }

  /** Queues a deletion; a flush working through a backlog lets it go before its next slice. */
  private runMaintenance<T>(task: () => Promise<T>): Promise<T> {
    this.assertOpen();
    this.maintenanceWaiting++;
    return this.queue.run(() => {
      this.maintenanceWaiting--;
      return task();
    });
  }

  private assertOpen() {
    if (this.closed) throw new Error('the lake is closed');
  }
}

/** The main connection's file and settings, for the flush worker's own connection. */
function connectionSettings(db: SqliteDatabase) {
  return {
    databasePath: resolve(db.name),
    durability: Number(db.pragma('synchronous', { simple: true })) >= 2 ? ('full' as const) : ('normal' as const),
    autoCheckpointPages: Number(db.pragma('wal_autocheckpoint', { simple: true })),
    writeGate: writeGateOf(db)?.cells,
  };
}

/** After a crash: staging files, temp files and Parquet files the catalog does not list. */
async function removeOrphans(root: string, live: Set<string>): Promise<void> {
  await rm(join(root, STAGING_DIR), { recursive: true, force: true });
  let entries: string[];
  try {
    entries = await readdir(root, { recursive: true });
  } catch {
    return; // no lake yet
  }
  for (const entry of entries) {
    if (entry.endsWith('.tmp') || (entry.endsWith('.parquet') && !live.has(entry))) await rm(join(root, entry), { force: true });
  }
}
