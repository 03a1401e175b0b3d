/**
 * Batch ingestion: takes a file upload into a dataset (streamed to disk), checks its columns up
 * front, answers at once, and has it processed in a worker thread; tracks each batch's status and
 * counts, serves its rejected rows, resumes unfinished batches after a restart and drops a
 * dataset's batches with it.
 *
 * @example
 *   const batch = await batches.upload({ sandboxId, dataset: 'crm_profiles', format: 'csv', body: request.body, ignoreUnknownColumns: false });
 *   batch.status; // 'processing'
 *   (await batches.get(sandboxId, batch.id)).status; // later: 'success' | 'partial' | 'failed'
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MeridianError, problem, type FieldError } from '../../errors.ts';
import type { Metrics } from '../../app/metrics.ts';
import type { CatalogService } from '../../catalog/service.ts';
import type { Dataset } from '../../catalog/model.ts';
import type { CompiledSchema, SchemaService } from '../../schema/service.ts';
import { newId } from '../../storage/ids.ts';
import type { JsonValue } from '../../storage/json.ts';
import type { RecordStore } from '../record-store.ts';
import type { BatchPage, BatchStore } from './batch-store.ts';
import { BatchRunner, type JobOutcome } from './batch-runner.ts';
import { checkMappingTargets, describe, planColumns } from './column-plan.ts';
import { FILE_EXTENSION } from './formats.ts';
import { isFinal, type Batch, type BatchFormat, type ColumnMapping } from './model.ts';
import type { BatchJob } from './process-batch.ts';
import { readCsvHeader } from './readers/csv-rows.ts';
import { readParquetColumns } from './readers/parquet-rows.ts';
import { storeUpload } from './upload.ts';

export interface BatchUpload {
  sandboxId: string;
  /** Dataset id or name. */
  dataset: string;
  format: BatchFormat;
  mapping?: ColumnMapping;
  ignoreUnknownColumns: boolean;
  body: Readable;
  /** The request's Content-Length when the body is not encoded: refuses an oversize file before reading it. */
  declaredBytes?: number;
}

/** A rejected row of a batch, as the API shows it. */
export interface BatchRejection {
  id: number;
  /** 1-based data row (header excluded); for JSON lines, the line number. */
  row: number;
  errors: FieldError[];
  /** The row as read: column → value for CSV and Parquet, the value for JSON lines. */
  original: JsonValue;
  rejectedAt: string;
}

export type BatchMetrics = Pick<Metrics, 'batchesActive' | 'batchRows' | 'recordsAccepted' | 'recordsRejected' | 'recordsDuplicate'>;

export interface BatchServiceOptions {
  dataDir: string;
  /** The SQLite file workers open their own connection to. */
  databasePath: string;
  durability: 'normal' | 'full';
  maxBytes: number;
  /**
   * Rows per write transaction (default 2,000). A main-thread writer (streaming ingest, profiles)
   * waits for the batch's current transaction: 2,000 rows hold the lock ~15 ms, and writing them is
   * as fast as 5,000 once the reader thread is the bottleneck.
   */
  chunkRows?: number;
  /** Batches processed at the same time (default 1). */
  concurrency?: number;
  /** Keep a worker started and waiting for the next batch (see `BatchRunnerOptions.keepWarm`). */
  warmWorker?: boolean;
  metrics: BatchMetrics;
  /**
   * Told on the main thread each time a chunk of new records is durable in the record log, so the
   * modules that follow the log (profiles, lake) can catch up. Not awaited: the batch never waits
   * for its readers, whose lag sits in the log, not in memory.
   */
  onChunkWritten?: (chunk: WrittenChunk) => void;
}

/** A durable chunk of a batch, as the modules that follow the record log hear of it. */
export interface WrittenChunk {
  sandboxId: string;
  dataset: Dataset;
  batchId: string;
  /** Records newly written by this chunk. */
  accepted: number;
}

export class BatchService {
  private readonly runner: BatchRunner;

  /** Whether a batch is being loaded into the record log now. */
  get loading(): boolean {
    return this.runner.running;
  }

  /** Whether a batch worker is started and waiting for the next upload (`MERIDIAN_BATCH_WARM_WORKER`). */
  get workerWarm(): boolean {
    return this.runner.warm;
  }

  /** The thread id of the waiting worker, if any (tests: the worker of the last batch waits for the next). */
  get warmWorkerThread(): number | undefined {
    return this.runner.spareThreadId;
  }

  constructor(
    private readonly store: BatchStore,
    private readonly catalog: CatalogService,
    private readonly schemas: SchemaService,
    private readonly records: RecordStore,
    private readonly options: BatchServiceOptions,
  ) {
    const { metrics, onChunkWritten } = options;
    this.runner = new BatchRunner(
      { databasePath: options.databasePath, durability: options.durability, concurrency: options.concurrency ?? 1, keepWarm: options.warmWorker ?? false },
      {
        chunk: (job, report) => {
          const sandbox = job.sandboxId;
          metrics.batchRows.inc({ outcome: 'accepted' }, report.accepted);
          metrics.batchRows.inc({ outcome: 'rejected' }, report.rejected);
          metrics.batchRows.inc({ outcome: 'duplicate' }, report.duplicates);
          metrics.recordsAccepted.inc({ sandbox, source: 'batch' }, report.accepted);
          if (report.rejected) metrics.recordsRejected.inc({ sandbox, source: 'batch' }, report.rejected);
          if (report.duplicates) metrics.recordsDuplicate.inc({ sandbox, source: 'batch' }, report.duplicates);
          if (report.accepted > 0) onChunkWritten?.({ sandboxId: sandbox, dataset: job.dataset, batchId: job.batchId, accepted: report.accepted });
        },
        finished: (job, outcome) => this.settle(job, outcome),
      },
    );
  }

  /** Stores the upload, checks it can be read, and queues it: answers with the batch `processing`. */
  async upload(input: BatchUpload): Promise<Batch> {
    const { sandboxId, format, mapping } = input;
    const { maxBytes } = this.options;
    const dataset = await this.catalog.get(sandboxId, input.dataset);
    const schema = await this.schemas.compile(sandboxId, dataset.schemaId);
    if (format === 'jsonl' && mapping) {
      throw problem('INVALID_MAPPING', 'a mapping applies to CSV and Parquet columns; each JSON line is a record in the dataset schema’s shape');
    }
    checkMappingTargets(mapping, schema.tree);
    if (input.declaredBytes !== undefined && input.declaredBytes > maxBytes) {
      throw problem('PAYLOAD_TOO_LARGE', `the file is ${input.declaredBytes} bytes; the limit is ${maxBytes} (MERIDIAN_BATCH_MAX_BYTES)`);
    }
    const now = new Date().toISOString();
    const batch: Batch = {
      id: newId('bat'),
      datasetId: dataset.id,
      status: 'loading',
      format,
      sizeBytes: 0,
      ...(mapping ? { mapping } : {}),
      ignoreUnknownColumns: input.ignoreUnknownColumns,
      rowsRead: 0,
      rowsAccepted: 0,
      rowsRejected: 0,
      rowsDuplicate: 0,
      bytesProcessed: 0,
      progress: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.put(sandboxId, batch);
    this.runner.warmUp();
    this.options.metrics.batchesActive.inc();
    try {
      await mkdir(this.batchDir(batch.id), { recursive: true });
      batch.sizeBytes = await storeUpload(input.body, this.sourcePath(batch), maxBytes, { durable: this.options.durability === 'full' });
      await this.checkReadable(batch, schema);
    } catch (err) {
      const failure = err instanceof MeridianError ? err : problem('INTERNAL', (err as Error).message);
      await this.fail(sandboxId, batch, failure.detail);
      this.options.metrics.batchesActive.dec();
      throw new MeridianError(failure.code, failure.detail, { ...failure.extras, batchId: batch.id });
    }
    batch.status = 'processing';
    batch.updatedAt = new Date().toISOString();
    await this.store.put(sandboxId, batch);
    this.runner.enqueue(this.jobFor(sandboxId, batch, dataset, schema));
    return batch;
  }

  async get(sandboxId: string, batchId: string): Promise<Batch> {
    const batch = await this.store.get(sandboxId, batchId);
    if (!batch) throw problem('BATCH_NOT_FOUND', `batch ${batchId} does not exist in this sandbox`);
    return batch;
  }

  /** Batches of a dataset, newest first. */
  async listByDataset(sandboxId: string, dataset: string, page: { limit: number; cursor?: string }): Promise<BatchPage> {
    const { id } = await this.catalog.get(sandboxId, dataset);
    return this.store.listByDataset(sandboxId, id, page);
  }

  /** Rejected rows of a batch in row order, `limit` at a time after rejection id `afterId`. */
  async listRejections(sandboxId: string, batchId: string, page: { afterId: number; limit: number }): Promise<BatchRejection[]> {
    await this.get(sandboxId, batchId);
    const rows = await this.records.listRejections(sandboxId, { batchId, afterId: page.afterId, limit: page.limit });
    return rows.map((r) => ({ id: r.id, row: r.index, errors: r.errors, original: parseOriginal(r.body), rejectedAt: new Date(r.rejectedAt).toISOString() }));
  }

  /**
   * After a restart: batches whose upload was cut off fail; batches that were processing carry
   * on from their last checkpoint (rows without `_id` get `<batchId>:<row>`, so nothing is written twice).
   */
  async resumeInterrupted(): Promise<{ resumed: number; failed: number }> {
    let resumed = 0;
    let failed = 0;
    for (const { sandboxId, ...batch } of await this.store.listUnfinished()) {
      const reason = await this.resumeProblem(sandboxId, batch);
      if (reason) {
        await this.fail(sandboxId, batch, reason);
        failed++;
        continue;
      }
      const dataset = await this.catalog.get(sandboxId, batch.datasetId);
      const schema = await this.schemas.compile(sandboxId, dataset.schemaId);
      this.options.metrics.batchesActive.inc();
      this.runner.enqueue(this.jobFor(sandboxId, batch, dataset, schema));
      resumed++;
    }
    return { resumed, failed };
  }

  /** Stops a dataset's batches and deletes them with their files (its records and rejections go with the dataset). */
  async deleteDataset(sandboxId: string, datasetId: string): Promise<void> {
    await this.runner.cancel((job) => job.sandboxId === sandboxId && job.dataset.id === datasetId);
    for (const id of await this.store.deleteDataset(sandboxId, datasetId)) await rm(this.batchDir(id), { recursive: true, force: true });
  }

  /** Resolves when no batch is queued or processing. */
  whenIdle(): Promise<void> {
    return this.runner.whenIdle();
  }

  /** Stops processing at a chunk boundary; unfinished batches resume at the next start. */
  close(): Promise<void> {
    return this.runner.stop();
  }

  private async checkReadable(batch: Batch, schema: CompiledSchema): Promise<void> {
    if (batch.sizeBytes === 0) throw problem('INVALID_FILE', 'the file is empty');
    if (batch.format === 'jsonl') return;
    const path = this.sourcePath(batch);
    const header = batch.format === 'csv' ? await readCsvHeader(path) : await readParquetColumns(path);
    const planned = planColumns(header, schema.tree, { ...(batch.mapping ? { mapping: batch.mapping } : {}), ignoreUnknownColumns: batch.ignoreUnknownColumns });
    if ('errors' in planned) throw problem('INVALID_MAPPING', describe(planned.errors), { errors: planned.errors });
  }

  private async resumeProblem(sandboxId: string, batch: Batch): Promise<string | undefined> {
    if (batch.status === 'loading') return 'the upload was interrupted before the whole file arrived; upload the file again';
    if (!existsSync(this.sourcePath(batch))) return `the batch file is gone (${this.sourcePath(batch)}); upload the file again`;
    if ((await stat(this.sourcePath(batch))).size !== batch.sizeBytes) return 'the batch file changed size since it was uploaded; upload the file again';
    try {
      await this.catalog.get(sandboxId, batch.datasetId);
    } catch {
      return `dataset ${batch.datasetId} no longer exists`;
    }
    return undefined;
  }

  private async settle(job: BatchJob, outcome: JobOutcome): Promise<void> {
    this.options.metrics.batchesActive.dec();
    if (outcome.kind === 'crashed') {
      const batch = await this.store.get(job.sandboxId, job.batchId);
      if (batch && !isFinal(batch.status)) await this.fail(job.sandboxId, batch, `processing stopped unexpectedly: ${outcome.error.message}`);
    } else if (outcome.kind === 'done' && outcome.batch && isFinal(outcome.batch.status)) {
      await rm(this.batchDir(job.batchId), { recursive: true, force: true });
    }
  }

  private async fail(sandboxId: string, batch: Batch, reason: string): Promise<void> {
    const now = new Date().toISOString();
    await this.store.put(sandboxId, { ...batch, status: 'failed', error: reason, updatedAt: now, completedAt: now });
    await rm(this.batchDir(batch.id), { recursive: true, force: true });
  }

  private jobFor(sandboxId: string, batch: Batch, dataset: Dataset, schema: CompiledSchema): BatchJob {
    return {
      sandboxId,
      batchId: batch.id,
      dataset,
      schema: schema.doc,
      format: batch.format,
      ...(batch.mapping ? { mapping: batch.mapping } : {}),
      ignoreUnknownColumns: batch.ignoreUnknownColumns,
      filePath: this.sourcePath(batch),
      chunkRows: this.options.chunkRows ?? 2000,
    };
  }

  private batchDir(batchId: string): string {
    return join(this.options.dataDir, 'batches', batchId);
  }

  private sourcePath(batch: Pick<Batch, 'id' | 'format'>): string {
    return join(this.batchDir(batch.id), `source.${FILE_EXTENSION[batch.format]}`);
  }
}

function parseOriginal(body: string): JsonValue {
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    return body; // cut at the store's size limit
  }
}
