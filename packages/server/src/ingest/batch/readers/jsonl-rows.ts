/**
 * Streaming JSON lines reading: one JSON value per line, blank lines skipped. The row number of a
 * line is its line number; a line that is not JSON is reported in its place.
 *
 * @example
 *   for await (const chunk of readJsonLines(path, { skipRows: 0, chunkRows: 5000 }).chunks) { ... }
 */
import type { FileRows, ReadOptions, RowRead } from './file-rows.ts';
import { readFileText } from './file-text.ts';

/**
 * Lines of text arriving in pieces cut anywhere, ended by `\n`, `\r\n` or a lone `\r` (as
 * readline splits them); the last line needs no ending.
 *
 * @example
 *   const lines = new LineSplitter();
 *   lines.push('a\r');   // []
 *   lines.push('\nb\nc'); // ['a', 'b']
 *   lines.end();         // ['c']
 */
export class LineSplitter {
  private rest = '';

  push(text: string): string[] {
    const all = this.rest + text;
    const lines: string[] = [];
    let start = 0;
    // What was held holds no line ending, but for a last '\r': only the new text is scanned.
    for (let i = Math.max(0, this.rest.length - 1); i < all.length; i++) {
      const c = all.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A '\r' at the end of the text may be the first half of '\r\n': wait for the next piece.
      if (c === 13 && i === all.length - 1) break;
      lines.push(all.slice(start, i));
      if (c === 13 && all.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.rest = all.slice(start);
    return lines;
  }

  end(): string[] {
    const rest = this.rest;
    this.rest = '';
    if (rest === '') return [];
    // A last lone '\r' ends its line.
    return [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
  }
}

/**
 * Parsed lines in chunks; a line that is not JSON comes as unreadable, with its text.
 *
 * @example
 *   const { chunks } = readJsonLines(path, { skipRows: 0, chunkRows: 5000 });
 */
export function readJsonLines(path: string, options: ReadOptions): FileRows<unknown> {
  const file = readFileText(path);
  async function* lines(): AsyncGenerator<string> {
    const splitter = new LineSplitter();
    for await (const text of file.pieces) yield* splitter.push(text);
    yield* splitter.end();
  }
  async function* chunks(): AsyncGenerator<RowRead<unknown>[]> {
    let line = 0;
    let read = 0;
    let chunk: RowRead<unknown>[] = [];
    for await (const text of lines()) {
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
  return { chunks: chunks(), bytesRead: () => file.bytesRead() };
}
