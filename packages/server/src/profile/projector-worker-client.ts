/**
 * The main thread's handle on the profile projector's worker thread: nudges it when the log grows,
 * answers its plan questions from the services that own datasets, schemas and identity settings,
 * relays what it applied (streaming audiences, edge projection), and starts a new thread after a
 * crash (the projector resumes from its watermark, so nothing is lost).
 *
 * @example
 *   const projection = new ProjectorWorker({ workerData, plans, onApplied, onProfileChanged, onError });
 *   projection.nudge();          // after records are written
 *   await projection.catchUp();  // everything logged so far is in profiles
 *   await projection.close();
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../ingest/batch/worker-spawn.ts';
import type { DatasetRef, ProjectionPlanner } from './projection-plans.ts';
import { ProjectorActivity, type FromProjectorWorker, type ProjectorWorkerData, type ToProjectorWorker } from './projector-worker-protocol.ts';

const WORKER_MODULE = siblingModule(import.meta.url, 'projector-worker');
/** How long a closing thread may take to finish its pass and release SQLite before it is terminated. */
const CLOSE_TIMEOUT_MS = 30_000;
const MAX_CRASHES_IN_A_ROW = 3;

export interface ProjectorWorkerOptions {
  /** The thread's settings; the activity cells are the client's own. */
  workerData: Omit<ProjectorWorkerData, 'activity'>;
  /** Answers the thread's plan questions, on the main thread. */
  plans: ProjectionPlanner;
  onApplied?: (sandboxId: string, identities: readonly string[]) => void;
  onProfileChanged?: (sandboxId: string, identities: readonly string[]) => void;
  /** A record skipped, a failed pass, or a crashed thread (replaced by a new one). */
  onError?: (err: Error, seq?: number) => void;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class ProjectorWorker {
  private worker?: Worker;
  private failure?: Error;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private closing = false;
  private nudgeQueued = false;
  private readonly activity = new ProjectorActivity();
  /** Settles when the current thread is ready (or has exited). */
  private threadReady: Promise<void> = Promise.resolve();
  private markReady: () => void = () => undefined;
  /** Threads that died in a row without finishing a catch-up: past a few, waiters get the error instead of another thread. */
  private crashes = 0;

  constructor(private readonly options: ProjectorWorkerOptions) {}

  /**
   * Tells the thread the log has grown. Cheap: the nudges of one event-loop turn (every request
   * a group commit answered) become at most one message, and none while the thread is busy (it
   * sees the nudge count move when its pass ends and runs one more).
   */
  nudge(): void {
    if (this.closing || this.nudgeQueued) return;
    this.nudgeQueued = true;
    setImmediate(() => {
      this.nudgeQueued = false;
      if (this.closing) return;
      if (this.activity.nudged()) this.post({ type: 'nudge' });
    });
  }

  /** Resolves once every record in the log when it was called has been projected. */
  catchUp(): Promise<void> {
    if (this.closing) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.thread().ref(); // someone awaits the thread now
      this.post({ type: 'catchUp', id });
    }).finally(() => {
      this.waiters.delete(id);
      if (this.waiters.size === 0) this.worker?.unref();
    });
  }

  /**
   * Starts the thread now instead of at the first nudge, and resolves once it has loaded its
   * modules and opened its connections: the first records a server accepts are then not held
   * behind the thread's start (~0.3 s on 2 cores).
   */
  start(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.thread();
    return this.threadReady;
  }

  /** Lets the thread finish its pass, release its connection and exit. */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    worker.postMessage({ type: 'close' } satisfies ToProjectorWorker);
    await exited;
    clearTimeout(timer);
  }

  /** Ends the thread at once, as a crash would (tests). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(WORKER_MODULE, { ...this.options.workerData, activity: this.activity.buffer } satisfies ProjectorWorkerData);
    worker.unref();
    this.threadReady = new Promise<void>((resolve) => (this.markReady = resolve));
    worker.on('message', (message: FromProjectorWorker) => this.receive(worker, message));
    worker.on('error', (err) => (this.failure = err));
    worker.on('exit', (code) => this.onExit(worker, code));
    this.worker = worker;
    this.failure = undefined;
    return worker;
  }

  private post(message: ToProjectorWorker): void {
    this.thread().postMessage(message);
  }

  private receive(worker: Worker, message: FromProjectorWorker): void {
    const { onApplied, onProfileChanged, onError } = this.options;
    switch (message.type) {
      case 'ready':
        if (this.worker === worker) this.markReady();
        break;
      case 'plan':
        void this.answerPlan(worker, message.id, message.datasets);
        break;
      case 'applied':
        onApplied?.(message.sandboxId, message.identities);
        break;
      case 'changed':
        onProfileChanged?.(message.sandboxId, message.identities);
        break;
      case 'skipped':
        onError?.(new Error(message.message), message.seq);
        break;
      case 'passFailed':
        onError?.(new Error(`profile projection pass failed (retried on the next write): ${message.message}`));
        break;
      case 'caughtUp':
        this.crashes = 0;
        this.waiters.get(message.id)?.resolve();
        break;
      case 'catchUpFailed':
        this.waiters.get(message.id)?.reject(new Error(message.message));
        break;
    }
  }

  private async answerPlan(worker: Worker, id: number, datasets: DatasetRef[]): Promise<void> {
    let answer: ToProjectorWorker;
    try {
      answer = { type: 'plans', id, plans: await this.options.plans(datasets) };
    } catch (err) {
      answer = { type: 'plansFailed', id, message: err instanceof Error ? err.message : String(err) };
    }
    if (this.worker === worker) worker.postMessage(answer);
  }

  /** A thread that exits without being asked to is replaced, and the callers waiting on it are answered by the new one. */
  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.markReady();
    this.worker = undefined;
    if (this.closing) {
      for (const w of this.waiters.values()) w.resolve();
      return;
    }
    const crash = new Error(
      `the profile projector's thread stopped unexpectedly (exit code ${code}${this.failure ? `: ${this.failure.message}` : ''}); a new one resumes from the watermark`,
    );
    this.options.onError?.(crash);
    // The thread may have died busy: the next nudge (or catch-up) starts a new one, from the watermark.
    this.activity.idle();
    if (this.waiters.size === 0) return;
    if (++this.crashes > MAX_CRASHES_IN_A_ROW) {
      for (const w of this.waiters.values()) w.reject(crash);
      return;
    }
    this.thread().ref();
    for (const id of this.waiters.keys()) this.post({ type: 'catchUp', id });
  }
}
