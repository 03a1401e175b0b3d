/**
 * Entry point of a batch's reader thread: prepares chunks (parse, coerce, validate, serialize) and
 * hands them to the batch worker that writes them, staying at most `CHUNKS_AHEAD` chunks ahead.
 * Reads one file per `start` message, one after another, for as long as its batch worker keeps it
 * (`read-in-worker.ts`).
 */
import { parentPort } from 'node:worker_threads';
import { MeridianError } from '../../errors.ts';
import { prepareChunks } from './prepare-chunks.ts';
import type { ChunkReaderData, FromChunkReader, ToChunkReader } from './read-in-worker.ts';

/**
 * Chunks prepared but not yet written (~0.5 MiB each): enough to keep both threads busy, few enough
 * to keep memory flat. On two cores each thread is preempted now and then by the others (the
 * projector, the event loop, checkpoints); with 2 the reader and the writer waited for each other
 * ~0.4–0.6 s each in a 2.5 s file, with 8 one rides out the other's preemption.
 */
const CHUNKS_AHEAD = 8;

const port = parentPort!;
let sent = 0;
let written = 0;
let wake: (() => void) | undefined;
const files: ChunkReaderData[] = [];
port.on('message', (message: ToChunkReader) => {
  if (message.type === 'start') files.push(message);
  else written++;
  wake?.();
});
const send = (message: FromChunkReader) => port.postMessage(message);
const next = async (): Promise<ChunkReaderData> => {
  while (files.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  return files.shift()!;
};

for (;;) {
  const { job, skipRows } = await next();
  // Every `written` of the previous file came before this `start` (one port, in order).
  sent = 0;
  written = 0;
  try {
    for await (const chunk of prepareChunks(job, skipRows)) {
      send({ type: 'chunk', chunk });
      sent++;
      while (sent - written >= CHUNKS_AHEAD) await new Promise<void>((resolve) => (wake = resolve));
    }
    send({ type: 'end' });
  } catch (err) {
    send({ type: 'failed', detail: err instanceof MeridianError ? err.detail : `the file cannot be read: ${(err as Error).message}` });
  }
}
