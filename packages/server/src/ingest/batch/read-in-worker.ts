/**
 * A chunk source backed by a reader thread: the batch worker writes chunk n while the reader
 * prepares chunk n+1, so parsing and SQLite writing use two cores. Each chunk is acknowledged once
 * written, which is the reader's back-pressure. A reader that got to a file's end (or found it
 * unreadable) waits for the next one: its compiled code stays warm from one batch to the next.
 *
 * @example
 *   const reader = new ChunkReaderThread();
 *   const batch = await processBatch(job, stores, hooks, (job, skipRows) => reader.read(job, skipRows));
 */
import type { Worker } from 'node:worker_threads';
import { MeridianError } from '../../errors.ts';
import type { BatchJob, PreparedChunk } from './prepare-chunks.ts';
import { siblingModule, startModuleWorker } from './worker-spawn.ts';

export interface ChunkReaderData {
  job: BatchJob;
  skipRows: number;
}

export type FromChunkReader = { type: 'chunk'; chunk: PreparedChunk } | { type: 'end' } | { type: 'failed'; detail: string };

/** `start`: the next file to read; `written`: a chunk was written (back-pressure). */
export type ToChunkReader = ({ type: 'start' } & ChunkReaderData) | { type: 'written' };

const READER_MODULE = siblingModule(import.meta.url, 'chunk-reader-worker');

/**
 * One reader thread, reading one file at a time. Started before its first batch is known, so it
 * loads its modules meanwhile. After a file read to its end (or found unreadable) it is ready for
 * the next; after anything else (a crash, a writer that stopped early) it is terminated, and
 * `usable` is false.
 */
export class ChunkReaderThread {
  private readonly worker: Worker = startModuleWorker(READER_MODULE, {});
  private exited = false;
  private reading = false;

  constructor() {
    // Until it reads, a failure only means the next batch starts a fresh reader.
    this.worker.on('error', () => undefined);
    this.worker.once('exit', () => (this.exited = true));
  }

  /** Whether the thread can read another file. */
  get usable(): boolean {
    return !this.exited && !this.reading;
  }

  /**
   * Prepared chunks of the job's file, `skipRows` rows passed over.
   *
   * @example
   *   for await (const chunk of reader.read(job, 0)) await write(chunk);
   */
  async *read(job: BatchJob, skipRows: number): AsyncGenerator<PreparedChunk> {
    if (!this.usable) throw new Error('the reader thread cannot read another file');
    this.reading = true;
    const reader = this.worker;
    const inbox: FromChunkReader[] = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const nudge = () => {
      wake?.();
      wake = undefined;
    };
    const onMessage = (message: FromChunkReader) => {
      inbox.push(message);
      nudge();
    };
    const onError = (error: Error) => {
      failure = error;
      nudge();
    };
    reader.on('message', onMessage);
    reader.on('error', onError);
    reader.on('exit', nudge);
    reader.postMessage({ type: 'start', job, skipRows } satisfies ToChunkReader);
    let fileDone = false;
    try {
      for (;;) {
        while (inbox.length === 0 && !failure && !this.exited) await new Promise<void>((resolve) => (wake = resolve));
        const message = inbox.shift();
        if (!message) throw failure ?? new Error('the reader thread stopped before the end of the file');
        if (message.type === 'end' || message.type === 'failed') {
          fileDone = true;
          if (message.type === 'failed') throw new MeridianError('INVALID_FILE', message.detail);
          return;
        }
        yield message.chunk;
        reader.postMessage({ type: 'written' } satisfies ToChunkReader);
      }
    } finally {
      reader.off('message', onMessage);
      reader.off('error', onError);
      reader.off('exit', nudge);
      // Only a reader that said `end` or `failed` is known to wait for the next file; any other is mid-file.
      if (fileDone) this.reading = false;
      else await this.terminate();
    }
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
    this.exited = true;
  }
}
