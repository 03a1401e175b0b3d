/**
 * Entry point of a batch's reader thread: prepares chunks (parse, coerce, validate, serialize) and
 * hands them to the batch worker that writes them, staying at most `CHUNKS_AHEAD` chunks ahead.
 * Started by `read-in-worker.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MeridianError } from '../../errors.ts';
import { prepareChunks } from './prepare-chunks.ts';
import type { ChunkReaderData, FromChunkReader, ToChunkReader } from './read-in-worker.ts';

/** Chunks prepared but not yet written: enough to keep both threads busy, few enough to keep memory flat. */
const CHUNKS_AHEAD = 2;

const port = parentPort!;
let sent = 0;
let written = 0;
let wake: (() => void) | undefined;
let startWith: ((data: ChunkReaderData) => void) | undefined;
const started = new Promise<ChunkReaderData>((resolve) => (startWith = resolve));
port.on('message', (message: ToChunkReader) => {
  if (message.type === 'start') return startWith?.(message);
  written++;
  wake?.();
});
const send = (message: FromChunkReader) => port.postMessage(message);
// A spare thread is started before its batch is known (it loads its modules during the upload).
const given = workerData as Partial<ChunkReaderData> | undefined;
const { job, skipRows } = given?.job ? (given as ChunkReaderData) : await started;

try {
  for await (const chunk of prepareChunks(job, skipRows)) {
    send({ type: 'chunk', chunk });
    sent++;
    while (sent - written >= CHUNKS_AHEAD) await new Promise<void>((resolve) => (wake = resolve));
  }
  send({ type: 'end' });
} catch (err) {
  send({ type: 'failed', detail: err instanceof MeridianError ? err.detail : `the file cannot be read: ${(err as Error).message}` });
} finally {
  port.close();
}
