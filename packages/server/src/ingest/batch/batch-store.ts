/**
 * Storage interface of batches (status, counts, checkpoints); the embedded implementation is
 * `sqlite-batch-store.ts`. Rejected rows are not here: they live in the record log's rejections.
 */
import type { Batch } from './model.ts';

export interface BatchPage {
  items: Batch[];
  /** Cursor of the next page, when there may be one. */
  next?: string;
}

export interface BatchStore {
  /** Inserts or replaces the batch (the whole document: status, counts, checkpoint). */
  put(sandboxId: string, batch: Batch): Promise<void>;
  get(sandboxId: string, id: string): Promise<Batch | undefined>;
  /** Batches of one dataset, newest first. */
  listByDataset(sandboxId: string, datasetId: string, page: { limit: number; cursor?: string }): Promise<BatchPage>;
  /** Every batch of every sandbox still `loading` or `processing`, for resuming after a restart. */
  listUnfinished(): Promise<(Batch & { sandboxId: string })[]>;
  /** Deletes the batches of a dataset; returns their ids. */
  deleteDataset(sandboxId: string, datasetId: string): Promise<string[]>;
}
