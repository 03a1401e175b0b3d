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
  /** A worker waiting for a job (started ahead, see `warmUp`, or done with its last one), or undefined. */
  private spare?: { worker: Worker; release(): void };
  /** Workers told to stop while waiting (one spare is enough); `stop` waits for them. */
  private readonly retiring = new Set<Promise<void>>();

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

  /** The thread id of the worker waiting for a job, if one is (tests: a finished worker is kept). */
  get spareThreadId(): number | undefined {
    return this.spare?.worker.threadId;
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
    this.holdSpare(startModuleWorker(WORKER_MODULE, data));
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
    await this.takeSpare()?.terminate();
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
    await Promise.all([...this.retiring]);
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

  /** Keeps a started worker waiting for a job; until one comes, a failure or exit only drops it. */
  private holdSpare(worker: Worker): void {
    const ignore = () => undefined;
    const drop = () => {
      if (this.spare?.worker === worker) this.spare = undefined;
    };
    worker.on('error', ignore);
    worker.once('exit', drop);
    this.spare = {
      worker,
      release: () => {
        worker.off('error', ignore);
        worker.off('exit', drop);
      },
    };
  }

  private takeSpare(): Worker | undefined {
    const spare = this.spare;
    this.spare = undefined;
    spare?.release();
    return spare?.worker;
  }

  /** Lets a worker that finished its job go gracefully (it closes its connection and reader). */
  private retire(worker: Worker): void {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve())).finally(() => this.retiring.delete(exited));
    this.retiring.add(exited);
    worker.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  private start(job: BatchJob): void {
    let worker = this.takeSpare();
    if (worker) {
      worker.postMessage({ type: 'run', job } satisfies ToWorker);
    } else {
      const data: BatchWorkerData = { job, databasePath: this.options.databasePath, durability: this.options.durability };
      worker = startModuleWorker(WORKER_MODULE, data);
    }
    const running: ActiveJob = { job, worker, cancelled: false };
    this.active.set(job.batchId, running);
    let failure: Error | undefined;
    const onMessage = (message: FromWorker) => {
      if (message.type === 'chunk') return this.events.chunk(job, message.report);
      detach();
      if (running.cancelled) return this.ended(running, { kind: 'cancelled' });
      if (message.batch?.status === 'processing') return this.ended(running, { kind: 'stopped' });
      this.ended(running, { kind: 'done', batch: message.batch });
    };
    const onError = (error: Error) => (failure = error);
    const onExit = (code: number) => {
      detach();
      let outcome: JobOutcome;
      if (running.cancelled) outcome = { kind: 'cancelled' };
      else if (this.stopping && !failure) outcome = { kind: 'stopped' };
      else outcome = { kind: 'crashed', error: failure ?? new Error(`the worker exited with code ${code}`) };
      this.ended(running, outcome);
    };
    const detach = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  }

  /**
   * A job's end. A worker that finished its job waits for the next, its code compiled and warm (a
   * fresh thread spent ~0.3 s of CPU compiling during its first batch); it stays only as the one
   * spare, and only while jobs are queued or `keepWarm` asks for one. Any other worker that
   * finished is told to stop; one that stopped, crashed or was cancelled is exiting already.
   */
  private ended(running: ActiveJob, outcome: JobOutcome): void {
    this.active.delete(running.job.batchId);
    this.settle(running.job, outcome);
    if (outcome.kind === 'done') {
      if (this.spare || this.stopping) this.retire(running.worker);
      else this.holdSpare(running.worker);
    }
    this.pump();
    if (this.options.keepWarm) {
      if (this.active.size === 0) this.warmUp();
    } else if (this.spare?.worker === running.worker) {
      this.retire(this.takeSpare()!);
    }
  }
}
