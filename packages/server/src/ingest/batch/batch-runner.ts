/**
 * Runs batch processing jobs in worker threads, a few at a time, so parsing, coercion, validation
 * and writing never hold the main event loop. Relays each worker's chunk counts to the main
 * thread, stops workers gracefully (at a chunk boundary) on shutdown, and kills them at once when
 * their dataset is deleted.
 *
 * @example
 *   const runner = new BatchRunner({ databasePath, durability: 'normal', concurrency: 1 }, events);
 *   runner.enqueue(job);
 *   await runner.stop();
 */
import type { Worker } from 'node:worker_threads';
import type { Batch } from './model.ts';
import type { BatchJob, ChunkReport } from './process-batch.ts';
import type { BatchWorkerData, FromWorker, ToWorker } from './worker-protocol.ts';
import { siblingModule, startModuleWorker } from './worker-spawn.ts';

export type JobOutcome =
  | { kind: 'done'; batch: Batch | undefined }
  /** Stopped at a chunk boundary (shutdown) or before it started; the batch stays `processing`. */
  | { kind: 'stopped' }
  | { kind: 'cancelled' }
  | { kind: 'crashed'; error: Error };

export interface RunnerEvents {
  /** After each durable chunk, on the main thread. */
  chunk(job: BatchJob, report: ChunkReport): void;
  /** Exactly once per enqueued job. */
  finished(job: BatchJob, outcome: JobOutcome): Promise<void>;
}

export interface BatchRunnerOptions {
  databasePath: string;
  durability: 'normal' | 'full';
  /** Batches processed at the same time; SQLite has one writer, so more than 1 rarely helps. */
  concurrency: number;
  /** How long a stopping worker may take to finish its chunk before it is terminated. */
  stopTimeoutMs?: number;
  /**
   * Keep one worker started and waiting at all times (from construction, and again after each job),
   * not only from the start of an upload: loading a worker's modules took 0.6-0.9 s, longer than
   * uploading a 12 MiB file.
   */
  keepWarm?: boolean;
}

const WORKER_MODULE = siblingModule(import.meta.url, 'batch-worker');

interface ActiveJob {
  job: BatchJob;
  worker: Worker;
  cancelled: boolean;
}

export class BatchRunner {
  private readonly queue: BatchJob[] = [];
  private readonly active = new Map<string, ActiveJob>();
  private readonly settling = new Set<Promise<void>>();
  private stopping = false;
  /** A worker started ahead of its job (see `warmUp`), or undefined. */
  private spare?: Worker;

  constructor(
    private readonly options: BatchRunnerOptions,
    private readonly events: RunnerEvents,
  ) {
    if (options.keepWarm) this.warmUp();
  }

  /** Whether a worker is loading a file now. */
  get running(): boolean {
    return this.active.size > 0;
  }

  /** Whether a started worker is waiting for a job (tests, status). */
  get warm(): boolean {
    return this.spare !== undefined;
  }

  enqueue(job: BatchJob): void {
    if (this.stopping) {
      this.settle(job, { kind: 'stopped' });
      return;
    }
    this.queue.push(job);
    this.pump();
  }

  /**
   * Starts a worker (and its reader thread) before its job is known, so loading their modules
   * overlaps the upload; the next job to start takes it. At most one waits.
   */
  warmUp(): void {
    if (this.stopping || this.spare) return;
    const data: BatchWorkerData = { databasePath: this.options.databasePath, durability: this.options.durability };
    const spare = startModuleWorker(WORKER_MODULE, data);
    // Until it has a job, a failure only means the next job starts a fresh worker.
    spare.on('error', () => undefined);
    spare.once('exit', () => {
      if (this.spare === spare) this.spare = undefined;
    });
    this.spare = spare;
  }

  /** Cancels (queued) or kills (running) every job the predicate picks; resolves once they are gone. */
  async cancel(picks: (job: BatchJob) => boolean): Promise<void> {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (picks(this.queue[i])) this.settle(this.queue.splice(i, 1)[0], { kind: 'cancelled' });
    }
    const exits: Promise<unknown>[] = [];
    for (const running of this.active.values()) {
      if (!picks(running.job)) continue;
      running.cancelled = true;
      exits.push(running.worker.terminate());
    }
    await Promise.all(exits);
    await this.settled();
  }

  /** Asks running workers to stop after their current chunk (terminating them after a timeout); queued jobs stay `processing` for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    const spare = this.spare;
    this.spare = undefined;
    await spare?.terminate();
    for (const job of this.queue.splice(0)) this.settle(job, { kind: 'stopped' });
    const timeout = this.options.stopTimeoutMs ?? 10_000;
    await Promise.all(
      [...this.active.values()].map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void worker.terminate(), timeout);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            worker.postMessage({ type: 'stop' } satisfies ToWorker);
          }),
      ),
    );
    await this.settled();
  }

  /** Resolves when nothing is queued or running (tests, benchmarks). */
  async whenIdle(): Promise<void> {
    while (this.queue.length > 0 || this.active.size > 0 || this.settling.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }

  private settle(job: BatchJob, outcome: JobOutcome): void {
    const done = this.events
      .finished(job, outcome)
      .catch((err: Error) => process.emitWarning(`batch ${job.batchId}: recording its end failed: ${err.message}`))
      .finally(() => this.settling.delete(done));
    this.settling.add(done);
  }

  private pump(): void {
    while (!this.stopping && this.active.size < this.options.concurrency && this.queue.length > 0) this.start(this.queue.shift()!);
  }

  private start(job: BatchJob): void {
    const data: BatchWorkerData = {
      job,
      databasePath: this.options.databasePath,
      durability: this.options.durability,
    };
    let worker: Worker;
    if (this.spare) {
      worker = this.spare;
      this.spare = undefined;
      worker.postMessage({ type: 'run', job } satisfies ToWorker);
    } else {
      worker = startModuleWorker(WORKER_MODULE, data);
    }
    const running: ActiveJob = { job, worker, cancelled: false };
    this.active.set(job.batchId, running);
    let finished: { batch: Batch | undefined } | undefined;
    let failure: Error | undefined;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'finished') finished = { batch: message.batch };
      else this.events.chunk(job, message.report);
    });
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      this.active.delete(job.batchId);
      let outcome: JobOutcome;
      if (running.cancelled) outcome = { kind: 'cancelled' };
      else if (finished) outcome = finished.batch?.status === 'processing' ? { kind: 'stopped' } : { kind: 'done', batch: finished.batch };
      else if (this.stopping && !failure) outcome = { kind: 'stopped' };
      else outcome = { kind: 'crashed', error: failure ?? new Error(`the worker exited with code ${code}`) };
      this.settle(job, outcome);
      this.pump();
      // Started after the job, not while it ran: loading modules would have taken CPU from it.
      if (this.options.keepWarm && this.active.size === 0) this.warmUp();
    });
  }
}
