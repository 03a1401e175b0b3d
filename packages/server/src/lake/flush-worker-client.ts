/**
 * The main thread's handle on the lake's flush worker thread: sends it one slice at a time,
 * answers its column-plan questions, reports a crash and starts a new thread for the next slice
 * (a slice cut short by a crash was not committed, and is written again into the same files).
 * The thread keeps the process alive only while a slice is in progress or it is closing.
 *
 * @example
 *   const worker = new FlushWorker({ workerData: { databasePath, durability: 'normal', autoCheckpointPages: 1000, lakeRoot }, planColumns, onCrash });
 *   await worker.writeSliceAfter(watermark, until);
 *   await worker.close();
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../ingest/batch/worker-spawn.ts';
import type { ColumnPlanner, DatasetRef } from './column-plans.ts';
import type { FlushWorkerData, FromFlushWorker, ToFlushWorker } from './flush-worker-protocol.ts';
import type { SliceResult, SliceWriting } from './slice-writer.ts';

const WORKER_MODULE = siblingModule(import.meta.url, 'flush-worker');
/** How long a closing thread may take to release DuckDB and SQLite before it is terminated. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface FlushWorkerOptions {
  /** What the thread opens. */
  workerData: FlushWorkerData;
  /** Answers the thread's column-plan questions, on the main thread. */
  planColumns: ColumnPlanner;
  /** Told when the thread dies unexpectedly; the next slice starts a new one. */
  onCrash(err: FlushWorkerCrashed): void;
}

/** The flush worker thread died (an uncaught error, a native crash, `kill()`), not at `close()`. */
export class FlushWorkerCrashed extends Error {
  constructor(exitCode: number, cause: Error | undefined) {
    super(
      `the lake's flush worker stopped unexpectedly (exit code ${exitCode}${cause ? `: ${cause.message}` : ''}); ` +
        'the slice it was writing is written again by a new worker',
      { cause },
    );
    this.name = 'FlushWorkerCrashed';
  }
}

interface PendingSlice {
  resolve(result: SliceResult): void;
  reject(err: Error): void;
}

/** One running thread and the slice it owes an answer for. */
interface FlushThread {
  worker: Worker;
  pending: Map<number, PendingSlice>;
  failure?: Error;
  closing: boolean;
  exited: boolean;
}

export class FlushWorker implements SliceWriting {
  private thread?: FlushThread;
  private nextSliceId = 1;
  private closed = false;

  /** The thread starts with the first slice (a lake that never has anything to write never loads it). */
  constructor(private readonly options: FlushWorkerOptions) {}

  /** Writes one slice in the thread; after a crash, tries once more on a new thread. */
  async writeSliceAfter(watermark: number, until: number): Promise<SliceResult> {
    try {
      return await this.requestSlice(watermark, until);
    } catch (err) {
      if (!(err instanceof FlushWorkerCrashed) || this.closed) throw err;
      return this.requestSlice(watermark, until);
    }
  }

  /** Ends the thread at once, as a crash would: a slice in progress is abandoned uncommitted. */
  async kill(): Promise<void> {
    await this.thread?.worker.terminate();
  }

  /** Lets the thread release its connections and exit. Call when no slice is in progress. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    if (!thread || thread.exited) return;
    thread.closing = true;
    // Awaiting an unref'd thread would let the process exit with this promise pending.
    thread.worker.ref();
    const exited = new Promise<void>((resolve) => thread.worker.once('exit', () => resolve()));
    const timer = setTimeout(() => void thread.worker.terminate(), CLOSE_TIMEOUT_MS);
    this.post(thread, { type: 'close' });
    await exited;
    clearTimeout(timer);
  }

  private requestSlice(watermark: number, until: number): Promise<SliceResult> {
    if (this.closed) return Promise.reject(new Error("the lake's flush worker is closed"));
    const thread = this.runningThread();
    const id = this.nextSliceId++;
    return new Promise<SliceResult>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref(); // a caller awaits it now
      thread.pending.set(id, { resolve, reject });
      this.post(thread, { type: 'writeSlice', id, watermark, until });
    }).finally(() => {
      thread.pending.delete(id);
      if (thread.pending.size === 0 && !thread.closing) thread.worker.unref();
    });
  }

  private runningThread(): FlushThread {
    if (this.thread && !this.thread.exited) return this.thread;
    const worker = startModuleWorker(WORKER_MODULE, this.options.workerData);
    const thread: FlushThread = { worker, pending: new Map(), closing: false, exited: false };
    thread.worker.unref();
    thread.worker.on('message', (message: FromFlushWorker) => this.receive(thread, message));
    thread.worker.on('error', (err) => (thread.failure = err));
    thread.worker.on('exit', (code) => this.onExit(thread, code));
    this.thread = thread;
    return thread;
  }

  private receive(thread: FlushThread, message: FromFlushWorker): void {
    switch (message.type) {
      case 'planColumns':
        void this.answerPlan(thread, message.id, message.datasets);
        break;
      case 'sliceWritten':
        thread.pending.get(message.id)?.resolve(message.result);
        break;
      case 'sliceFailed':
        thread.pending.get(message.id)?.reject(new Error(message.message));
        break;
    }
  }

  private async answerPlan(thread: FlushThread, id: number, datasets: DatasetRef[]): Promise<void> {
    try {
      this.post(thread, { type: 'columnPlans', id, plans: await this.options.planColumns(datasets) });
    } catch (err) {
      this.post(thread, { type: 'columnPlansFailed', id, message: err instanceof Error ? err.message : String(err) });
    }
  }

  private onExit(thread: FlushThread, code: number): void {
    thread.exited = true;
    if (this.thread === thread) this.thread = undefined;
    if (thread.closing) {
      for (const slice of thread.pending.values()) slice.reject(new Error("the lake's flush worker was closed mid-slice"));
      return;
    }
    const crash = new FlushWorkerCrashed(code, thread.failure);
    for (const slice of thread.pending.values()) slice.reject(crash);
    this.options.onCrash(crash);
  }

  private post(thread: FlushThread, message: ToFlushWorker): void {
    if (!thread.exited) thread.worker.postMessage(message);
  }
}
