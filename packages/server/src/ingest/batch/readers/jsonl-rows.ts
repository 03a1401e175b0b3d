/**
 * Streaming JSON lines reading: one JSON value per line, blank lines skipped. The row number of a
 * line is its line number; a line that is not JSON is reported in its place.
 *
 * @example
 *   for await (const chunk of readJsonLines(path, { skipRows: 0, chunkRows: 5000 }).chunks) { ... }
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FileRows, ReadOptions, RowRead } from './file-rows.ts';

/**
 * Parsed lines in chunks; a line that is not JSON comes as unreadable, with its text.
 *
 * @example
 *   const { chunks } = readJsonLines(path, { skipRows: 0, chunkRows: 5000 });
 */
export function readJsonLines(path: string, options: ReadOptions): FileRows<unknown> {
  let bytes = 0;
  async function* chunks(): AsyncGenerator<RowRead<unknown>[]> {
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    file.on('data', (data) => (bytes += data.length));
    const lines = createInterface({ input: file, crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    let read = 0;
    let chunk: RowRead<unknown>[] = [];
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      read++;
      if (read <= options.skipRows) continue;
      try {
        chunk.push({ row: line, values: JSON.parse(text) as unknown });
      } catch (err) {
        chunk.push({ row: line, unreadable: `is not valid JSON: ${(err as Error).message}`, original: text.slice(0, 65_536) });
      }
      if (chunk.length >= options.chunkRows) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return { chunks: chunks(), bytesRead: () => bytes };
}
