/**
 * The reading half of batch processing: reads a stored file in chunks and turns each row into a
 * serialized record or a rejection with its reasons. No storage: the chunks go to whoever writes
 * them (in the batch worker, from a reader thread of its own, so parsing and writing overlap).
 *
 * @example
 *   for await (const chunk of prepareChunks(job, 0)) await write(chunk); // chunk.bodies[0] === '{"crm":{...},"_id":"bat_1:1"}'
 */
import { MeridianError } from '../../errors.ts';
import type { Dataset } from '../../catalog/model.ts';
import { composeFields } from '../../schema/compose.ts';
import type { SchemaDoc } from '../../schema/model.ts';
import { compileValidator } from '../../schema/validate.ts';
import type { JsonObject, JsonValue } from '../../storage/json.ts';
import { ownTimeOf, type NewRejection } from '../record-store.ts';
import { describe, planColumns, type RecordPlan } from './column-plan.ts';
import type { BatchFormat, ColumnMapping } from './model.ts';
import type { FileRows, ReadOptions } from './readers/file-rows.ts';
import { readCsvHeader, readCsvRows } from './readers/csv-rows.ts';
import { readJsonLines } from './readers/jsonl-rows.ts';
import { readParquetColumns, readParquetRows } from './readers/parquet-rows.ts';
import { csvRowToRecord, jsonLineToRecord, typedRowToRecord, type RowContext, type RowOutcome } from './row-to-record.ts';

export interface BatchJob {
  sandboxId: string;
  batchId: string;
  dataset: Dataset;
  schema: SchemaDoc;
  format: BatchFormat;
  mapping?: ColumnMapping;
  ignoreUnknownColumns: boolean;
  filePath: string;
  /** Rows per write transaction. */
  chunkRows: number;
}

/** Rows made ready to write: valid records serialized, in columns (cheap to pass between threads), and rejections. */
export interface PreparedChunk {
  rowsRead: number;
  /** Bytes of the file consumed once this chunk was read. */
  bytesRead: number;
  recordIds: string[];
  /** Record time (epoch ms): the record's `timestamp`, else the time it was read. */
  timestamps: number[];
  /** The record's own time (`NewRecord.idTime`), 0 when it has none. */
  idTimes: number[];
  bodies: string[];
  rejections: NewRejection[];
}

/** Where a writer gets its chunks from; `skipRows` rows (already written) are passed over. */
export type ChunkSource = (job: BatchJob, skipRows: number) => AsyncIterable<PreparedChunk>;

/** Rows of one format, how each becomes a record, and how it is shown when rejected. */
interface RowPipeline<T> {
  rows: FileRows<T>;
  toRecord(values: T, row: number): RowOutcome;
  original(values: T): JsonValue;
  /** False when no record can have a `timestamp` (no column fills it): every record is timed when read. */
  mayHaveTimestamp: boolean;
}


function fillsTimestamp(plan: RecordPlan): boolean {
  return plan.columns.some((c) => c.steps[0].key === 'timestamp');
}

function byColumn(header: readonly string[], values: readonly JsonValue[]): JsonObject {
  const out: JsonObject = {};
  values.forEach((value, i) => (out[i < header.length ? header[i] : `column ${i + 1}`] = value));
  return out;
}

function planOrFail(header: readonly string[], job: BatchJob): RecordPlan {
  const planned = planColumns(header, composeFields(job.schema), {
    ...(job.mapping ? { mapping: job.mapping } : {}),
    ignoreUnknownColumns: job.ignoreUnknownColumns,
  });
  if ('errors' in planned) throw new MeridianError('INVALID_MAPPING', describe(planned.errors), { errors: planned.errors });
  return planned.plan;
}

async function openPipeline(job: BatchJob, read: ReadOptions): Promise<RowPipeline<unknown>> {
  const context = { validate: compileValidator(job.schema), batchId: job.batchId } satisfies Omit<RowContext, 'plan'>;
  switch (job.format) {
    case 'csv': {
      const plan = planOrFail(await readCsvHeader(job.filePath), job);
      const withPlan: RowContext = { ...context, plan };
      const pipeline: RowPipeline<string[]> = {
        rows: readCsvRows(job.filePath, read),
        toRecord: (cells, row) => csvRowToRecord(cells, row, withPlan),
        original: (cells) => byColumn(plan.header, cells),
        mayHaveTimestamp: fillsTimestamp(plan),
      };
      return pipeline as RowPipeline<unknown>;
    }
    case 'parquet': {
      const plan = planOrFail(await readParquetColumns(job.filePath), job);
      const withPlan: RowContext = { ...context, plan };
      const pipeline: RowPipeline<JsonValue[]> = {
        rows: readParquetRows(job.filePath, read),
        toRecord: (values, row) => typedRowToRecord(values, row, withPlan),
        original: (values) => byColumn(plan.header, values),
        mayHaveTimestamp: fillsTimestamp(plan),
      };
      return pipeline as RowPipeline<unknown>;
    }
    case 'jsonl':
      return {
        rows: readJsonLines(job.filePath, read),
        toRecord: (value, row) => jsonLineToRecord(value, row, context),
        original: (value) => (value === undefined ? null : (value as JsonValue)),
        mayHaveTimestamp: true,
      };
  }
}

/**
 * Chunks of a batch's file, ready to write; the first `skipRows` rows are passed over.
 *
 * @example
 *   for await (const chunk of prepareChunks(job, 0)) chunk.rejections.length; // rows rejected in this chunk
 */
export async function* prepareChunks(job: BatchJob, skipRows: number): AsyncGenerator<PreparedChunk> {
  const pipeline = await openPipeline(job, { skipRows, chunkRows: job.chunkRows });
  for await (const rows of pipeline.rows.chunks) {
    const now = Date.now();
    const chunk: PreparedChunk = { rowsRead: rows.length, bytesRead: 0, recordIds: [], timestamps: [], idTimes: [], bodies: [], rejections: [] };
    const reject = (row: number, errors: NewRejection['errors'], original: JsonValue) =>
      chunk.rejections.push({ sandboxId: job.sandboxId, datasetId: job.dataset.id, batchId: job.batchId, source: 'batch', index: row, errors, body: JSON.stringify(original) });
    for (const read of rows) {
      if (read.unreadable !== undefined) {
        reject(read.row, [{ path: '', message: read.unreadable }], read.original);
        continue;
      }
      const outcome = pipeline.toRecord(read.values, read.row);
      if (outcome.errors) {
        reject(read.row, outcome.errors, pipeline.original(read.values));
        continue;
      }
      chunk.recordIds.push(outcome.record._id as string);
      const own = pipeline.mayHaveTimestamp ? ownTimeOf(outcome.record) : undefined;
      chunk.timestamps.push(own ?? now);
      chunk.idTimes.push(own ?? 0);
      chunk.bodies.push(JSON.stringify(outcome.record));
    }
    chunk.bytesRead = pipeline.rows.bytesRead();
    yield chunk;
  }
}
