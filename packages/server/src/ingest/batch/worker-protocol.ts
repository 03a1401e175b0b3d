/** Messages between the main thread and a batch worker thread. */
import type { Batch } from './model.ts';
import type { BatchJob, ChunkReport } from './process-batch.ts';

export interface BatchWorkerData {
  /** Absent for a spare worker started ahead of its batch: it waits for a `run` message. */
  job?: BatchJob;
  /** The SQLite database the worker opens its own connection to (WAL: one writer at a time, readers never wait). */
  databasePath: string;
  durability: 'normal' | 'full';
}

export type FromWorker =
  /** A chunk is durable and checkpointed. */
  | { type: 'chunk'; report: ChunkReport }
  | { type: 'finished'; batch: Batch | undefined };

export type ToWorker = { type: 'stop' } | { type: 'run'; job: BatchJob };
