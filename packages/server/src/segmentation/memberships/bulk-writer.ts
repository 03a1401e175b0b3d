/**
 * Writes a batch job's memberships on a thread of their own. A job's write phase was one thread's
 * work: decode a batch of transitions from DuckDB, group it by profile, write it to SQLite, then
 * the next. With the SQLite part on this thread, the event loop decodes and groups the next batch
 * while the last one is written. The rows are built on the caller's thread (`profileRowsOf`, which
 * also refuses bad audience ids before anything is sent); each write commits on its own, in order.
 *
 * @example
 *   const bulk = new MembershipBulkWriter({ databasePath, durability: 'normal', writeGate: gate.cells });
 *   const store = new SqliteMembershipStore(db, bulk);  // puts of 1,000+ memberships go to the thread
 *   await store.close();
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../../ingest/batch/worker-spawn.ts';

const WORKER_MODULE = siblingModule(import.meta.url, 'bulk-writer-worker');

export interface BulkWriterData {
  databasePath: string;
  durability: 'normal' | 'full';
  /** The process's write gate (storage/write-gate.ts), which the thread joins as a background writer. */
  writeGate?: SharedArrayBuffer;
  /**
   * The thread's module (its URL), one that calls `serveBulkWrites` (bulk-writer-thread.ts): by
   * default `bulk-writer-worker`, memberships alone.
   */
  module?: string;
}

export type ToBulkWriter = { type: 'write'; id: number; sandboxId: string; rows: readonly string[]; along?: unknown } | { type: 'close' };
export type FromBulkWriter = { type: 'ready' } | { type: 'written'; id: number } | { type: 'failed'; id: number; message: string };

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class MembershipBulkWriter {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly waiters = new Map<number, Waiter>();
  /** The last write sent: the thread answers in order, so once it settles every earlier one has. */
  private last: Promise<void> = Promise.resolve();
  private nextId = 1;
  private closed = false;

  constructor(private readonly data: BulkWriterData) {}

  /**
   * Writes flat profile rows (`profileRowsOf`) of one sandbox, and what `along` carries for the
   * thread's module to write in the same transaction; resolves once they are committed.
   */
  async write(sandboxId: string, rows: readonly string[], along?: unknown): Promise<void> {
    if (this.closed) throw new Error('the membership bulk writer is closed');
    const worker = await this.thread();
    const id = this.nextId++;
    const written = new Promise<void>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    this.last = written.catch(() => undefined);
    worker.ref(); // a write is awaited: the thread keeps the process alive until it answers
    worker.postMessage({ type: 'write', id, sandboxId, rows, ...(along !== undefined ? { along } : {}) } satisfies ToBulkWriter);
    return written;
  }

  /** Lets the writes sent so far finish, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    await this.last;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref(); // the process waits for the thread to close its connection
    worker.postMessage({ type: 'close' } satisfies ToBulkWriter);
    await exited;
  }

  private thread(): Promise<Worker> {
    if (!this.ready) {
      const worker = startModuleWorker(this.data.module ? new URL(this.data.module) : WORKER_MODULE, this.data);
      this.worker = worker; // referenced while it starts: a write waits for it
      this.ready = new Promise<void>((resolve, reject) => {
        worker.on('message', (message: FromBulkWriter) => {
          if (message.type === 'ready') {
            if (this.waiters.size === 0) worker.unref();
            return resolve();
          }
          this.settle(message.id, message.type === 'failed' ? new Error(message.message) : undefined);
        });
        worker.on('error', (err) => {
          reject(err);
          this.failAll(err);
        });
        worker.on('exit', (code) => {
          const err = new Error(`the membership bulk writer's thread exited (${code})`);
          reject(err);
          this.failAll(err);
          // A later write starts a new thread, unless the writer is closed.
          this.ready = undefined;
          this.worker = undefined;
        });
      });
    }
    return this.ready.then(() => this.worker!);
  }

  private settle(id: number, err?: Error): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    if (err) waiter.reject(err);
    else waiter.resolve();
    if (this.waiters.size === 0) this.worker?.unref();
  }

  private failAll(err: Error): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, err);
  }
}
