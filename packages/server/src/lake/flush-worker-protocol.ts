/** Messages between the `Lake` (main thread) and its flush worker thread (`flush-worker.ts`). */
import type { ColumnPlan, DatasetRef } from './column-plans.ts';
import type { SliceResult } from './slice-writer.ts';

export interface FlushWorkerData {
  /** The SQLite database holding the lake's file catalog and watermark; the worker opens its own connection. */
  databasePath: string;
  /** The cells of the main connection's write gate (storage/write-gate.ts): this thread writes after the event loop. */
  writeGate?: SharedArrayBuffer;
  /** The record log's database (read only here); the same file as `databasePath` when absent. */
  recordsPath?: string;
  durability: 'normal' | 'full';
  /** The main connection's `wal_autocheckpoint`, so the worker checkpoints no more eagerly than it. */
  autoCheckpointPages: number;
  /** Absolute path of the lake root. */
  lakeRoot: string;
  sliceSize?: number;
}

export type ToFlushWorker =
  | { type: 'writeSlice'; id: number; watermark: number; until: number }
  /** The answer to a `planColumns` request. */
  | { type: 'columnPlans'; id: number; plans: ColumnPlan[] }
  | { type: 'columnPlansFailed'; id: number; message: string }
  /** Sent only when no slice is in progress: release DuckDB and SQLite, then exit. */
  | { type: 'close' };

export type FromFlushWorker =
  /** Mid-slice: the worker needs the current columns of the datasets the slice holds. */
  | { type: 'planColumns'; id: number; datasets: DatasetRef[] }
  | { type: 'sliceWritten'; id: number; result: SliceResult }
  /** The slice failed (nothing committed); the worker keeps running. */
  | { type: 'sliceFailed'; id: number; message: string };
