/**
 * Streams an upload to disk chunk by chunk, so a 1 GB file needs no more memory than a small one,
 * and refuses it once it passes the size limit (counted after gzip decoding). With `durable`
 * (`MERIDIAN_DURABILITY=full`) the file is on the disk before the upload is answered, as a
 * committed record is: a power loss after the 202 cannot lose it.
 *
 * @example
 *   const bytes = await storeUpload(request.body, '/data/batches/bat_1/source.csv', 10 * 2 ** 30);
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MeridianError, problem } from '../../errors.ts';

export async function storeUpload(body: Readable, path: string, maxBytes: number, { durable = false } = {}): Promise<number> {
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) callback(problem('PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes (MERIDIAN_BATCH_MAX_BYTES)`));
      else callback(null, chunk);
    },
  });
  const file = createWriteStream(path);
  try {
    await pipeline(body, limit, file);
  } catch (err) {
    // A refused upload rejects as soon as the stream is destroyed, while the file may still be
    // opening: wait until it is closed, so the caller can remove it (and its folder) at once.
    if (!file.closed) await once(file, 'close');
    throw asUploadProblem(err as NodeJS.ErrnoException) ?? err;
  }
  if (durable) await syncToDisk(path);
  return bytes;
}

/** Flushes a new file and the directory entry naming it to the disk, so a power loss keeps both. */
async function syncToDisk(path: string): Promise<void> {
  for (const target of [path, dirname(path)]) {
    const handle = await open(target, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** The problem a failed upload means for the client; undefined for failures of our own (they stay 500s). */
function asUploadProblem(err: NodeJS.ErrnoException): MeridianError | undefined {
  if (err instanceof MeridianError) return err;
  if (err.code?.startsWith('Z_')) return problem('INVALID_ENCODING', `the gzip body cannot be decoded: ${err.message}`);
  if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.message === 'aborted') {
    return problem('BAD_REQUEST', 'the upload was interrupted before the whole file arrived');
  }
  if (err.code === 'ENOSPC') return problem('UNAVAILABLE', 'the server has no disk space left for the file');
  return undefined;
}
