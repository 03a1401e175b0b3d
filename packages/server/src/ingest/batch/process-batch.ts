/**
 * The writing half of batch processing: takes prepared chunks, writes each one (valid records and
 * rejected rows) in one transaction, checkpoints the counts after it, and settles the final status.
 * Runs in the batch worker thread; storage comes in as interfaces. A resumed batch skips the rows
 * its checkpoint already counts; rows written after the last checkpoint come back as duplicates
 * of their deterministic `_id`, never twice.
 *
 * @example
 *   const batch = await processBatch(job, { records, batches }, { chunkWritten: (report) => log(report) });
 *   batch.status; // 'partial'
 */
import { MeridianError } from '../../errors.ts';
import type { NewRecord, RecordStore } from '../record-store.ts';
import type { BatchStore } from './batch-store.ts';
import { finalStatus, isFinal, type Batch } from './model.ts';
import { prepareChunks, type BatchJob, type ChunkSource, type PreparedChunk } from './prepare-chunks.ts';

export type { BatchJob } from './prepare-chunks.ts';

export interface ChunkReport {
  rowsRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}

export interface ProcessHooks {
  /** After each committed chunk (its rows are durable and checkpointed). */
  chunkWritten?(report: ChunkReport): void;
  /** Asked after each chunk; true stops there, leaving the batch `processing` to be resumed. */
  stopRequested?(): boolean;
}

export interface ProcessStores {
  records: RecordStore;
  batches: BatchStore;
}

/**
 * Processes a batch to its end (or to a requested stop) and returns it as stored.
 *
 * @example
 *   await processBatch(job, stores, { stopRequested: () => shuttingDown }, readChunksInWorker);
 */
export async function processBatch(job: BatchJob, stores: ProcessStores, hooks: ProcessHooks = {}, readChunks: ChunkSource = prepareChunks): Promise<Batch | undefined> {
  const { sandboxId, batchId } = job;
  const batch = await stores.batches.get(sandboxId, batchId);
  if (!batch || isFinal(batch.status)) return batch;
  const save = async () => {
    batch.updatedAt = new Date().toISOString();
    await stores.batches.put(sandboxId, batch);
  };
  batch.startedAt ??= new Date().toISOString();
  try {
    for await (const chunk of readChunks(job, batch.rowsRead)) {
      const report = await writeChunk(chunk, job, stores.records);
      batch.rowsRead += report.rowsRead;
      batch.rowsAccepted += report.accepted;
      batch.rowsRejected += report.rejected;
      batch.rowsDuplicate += report.duplicates;
      batch.bytesProcessed = Math.min(batch.sizeBytes, chunk.bytesRead);
      batch.progress = batch.sizeBytes === 0 ? 1 : batch.bytesProcessed / batch.sizeBytes;
      await save();
      hooks.chunkWritten?.(report);
      if (hooks.stopRequested?.()) return batch;
    }
    batch.status = finalStatus(batch);
    if (batch.status === 'failed') batch.error = `every row was rejected (${batch.rowsRejected} rows); see the batch's rejections`;
    batch.bytesProcessed = batch.sizeBytes;
    batch.progress = 1;
  } catch (err) {
    batch.status = 'failed';
    batch.error = err instanceof MeridianError ? err.detail : `the file cannot be read: ${(err as Error).message}`;
  }
  batch.completedAt = new Date().toISOString();
  await save();
  return batch;
}

async function writeChunk(chunk: PreparedChunk, job: BatchJob, records: RecordStore): Promise<ChunkReport> {
  const valid: NewRecord[] = new Array(chunk.bodies.length);
  for (let i = 0; i < chunk.bodies.length; i++) {
    const record: NewRecord = { sandboxId: job.sandboxId, datasetId: job.dataset.id, recordId: chunk.recordIds[i], timestamp: chunk.timestamps[i], batchId: job.batchId, body: chunk.bodies[i] };
    if (chunk.idTimes[i] !== 0) record.idTime = chunk.idTimes[i];
    valid[i] = record;
  }
  const { inserted, duplicateIndexes } = await records.append(valid, chunk.rejections);
  return { rowsRead: chunk.rowsRead, accepted: inserted, rejected: chunk.rejections.length, duplicates: duplicateIndexes.length };
}
