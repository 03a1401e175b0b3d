/**
 * A chunk source backed by a reader thread: the batch worker writes chunk n while the reader
 * prepares chunk n+1, so parsing and SQLite writing use two cores. Each chunk is acknowledged once
 * written, which is the reader's back-pressure.
 *
 * @example
 *   const batch = await processBatch(job, stores, hooks, readChunksInWorker);
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

/** `start`: the job of a reader started without one; `written`: a chunk was written (back-pressure). */
export type ToChunkReader = ({ type: 'start' } & ChunkReaderData) | { type: 'written' };

const READER_MODULE = siblingModule(import.meta.url, 'chunk-reader-worker');

/**
 * A reader thread started before its batch is known, so it loads its modules meanwhile; hand it
 * to `readChunksInWorker`, which sends it the job. Error and exit listeners are the caller's.
 *
 * @example
 *   const spare = startSpareReader();
 *   for await (const chunk of readChunksInWorker(job, 0, spare)) await write(chunk);
 */
export function startSpareReader(): Worker {
  return startModuleWorker(READER_MODULE, {});
}

/**
 * Prepared chunks from a reader thread; the thread ends when the iteration does.
 *
 * @example
 *   for await (const chunk of readChunksInWorker(job, 0)) await write(chunk);
 */
export async function* readChunksInWorker(job: BatchJob, skipRows: number, spare?: Worker): AsyncGenerator<PreparedChunk> {
  const reader = spare ?? startModuleWorker(READER_MODULE, { job, skipRows } satisfies ChunkReaderData);
  if (spare) spare.postMessage({ type: 'start', job, skipRows } satisfies ToChunkReader);
  const inbox: FromChunkReader[] = [];
  let failure: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const nudge = () => {
    wake?.();
    wake = undefined;
  };
  reader.on('message', (message: FromChunkReader) => {
    inbox.push(message);
    nudge();
  });
  reader.on('error', (error) => {
    failure = error;
    nudge();
  });
  reader.on('exit', () => {
    exited = true;
    nudge();
  });
  try {
    for (;;) {
      while (inbox.length === 0 && !failure && !exited) await new Promise<void>((resolve) => (wake = resolve));
      const message = inbox.shift();
      if (!message) throw failure ?? new Error('the reader thread stopped before the end of the file');
      if (message.type === 'end') return;
      if (message.type === 'failed') throw new MeridianError('INVALID_FILE', message.detail);
      yield message.chunk;
      reader.postMessage({ type: 'written' } satisfies ToChunkReader);
    }
  } finally {
    await reader.terminate();
  }
}
