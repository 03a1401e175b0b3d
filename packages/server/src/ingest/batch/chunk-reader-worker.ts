/**
 * Entry point of a batch's reader thread: prepares chunks (parse, coerce, validate, serialize) and
 * hands them to the batch worker that writes them, staying at most `CHUNKS_AHEAD` chunks ahead.
 * Started by `read-in-worker.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MeridianError } from '../../errors.ts';
import { prepareChunks } from './prepare-chunks.ts';
import type { ChunkReaderData, FromChunkReader } from './read-in-worker.ts';

/** Chunks prepared but not yet written: enough to keep both threads busy, few enough to keep memory flat. */
const CHUNKS_AHEAD = 2;

const port = parentPort!;
const { job, skipRows } = workerData as ChunkReaderData;
let sent = 0;
let written = 0;
let wake: (() => void) | undefined;
port.on('message', () => {
  written++;
  wake?.();
});
const send = (message: FromChunkReader) => port.postMessage(message);

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
