/**
 * A text file read as decoded text, piece by piece, with memory flat in file size: UTF-8 by
 * default, UTF-16LE when the file starts with its byte order mark; the byte order mark itself is
 * skipped. Characters cut between two reads are decoded whole.
 *
 * @example
 *   const file = readFileText('/data/batches/bat_1/source.csv');
 *   for await (const text of file.pieces) parser.push(text);
 *   file.bytesRead(); // the file's size, once read to the end
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isMainThread } from 'node:worker_threads';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const UTF16LE_BOM = [0xff, 0xfe];
/**
 * Small reads keep the rows parsed from one read young: they die before the next scavenge
 * instead of being promoted (64 KiB parses ~20% cheaper than 1 MiB, mostly in GC).
 */
const DEFAULT_READ_BYTES = 64 * 1024;
/** How many first bytes csv-parse looked at before deciding whether a file starts with a byte order mark. */
const BOM_WINDOW = 3;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

/**
 * Bytes in, text out, in pieces cut anywhere: the encoding is chosen from the first bytes.
 *
 * @example
 *   const decoder = new FileTextDecoder();
 *   decoder.write(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xc3])); // 'a' (the BOM skipped, 'é' not complete yet)
 *   decoder.write(Buffer.from([0xa9]));                         // 'é'
 *   decoder.end();                                              // ''
 */
export class FileTextDecoder {
  private decoder: StringDecoder | undefined;
  /** First bytes, kept until there are enough to look for a byte order mark. */
  private head: Buffer | undefined;

  write(bytes: Buffer): string {
    if (this.decoder) return this.decoder.write(bytes);
    const head = this.head ? Buffer.concat([this.head, bytes]) : bytes;
    if (head.length < BOM_WINDOW) {
      this.head = head;
      return '';
    }
    this.head = undefined;
    if (startsWith(head, UTF8_BOM)) return this.start('utf8').write(head.subarray(UTF8_BOM.length));
    if (startsWith(head, UTF16LE_BOM)) return this.start('utf16le').write(head.subarray(UTF16LE_BOM.length));
    return this.start('utf8').write(head);
  }

  /** The text still held (an incomplete character comes out as U+FFFD). */
  end(): string {
    // A file shorter than the window has no byte order mark, as csv-parse saw it.
    const decoder = this.decoder ?? this.start('utf8');
    const head = this.head;
    this.head = undefined;
    return head ? decoder.write(head) + decoder.end() : decoder.end();
  }

  private start(encoding: 'utf8' | 'utf16le'): StringDecoder {
    this.decoder = new StringDecoder(encoding);
    return this.decoder;
  }
}

export interface FileText {
  pieces: AsyncIterable<string>;
  /** Bytes of the file read so far. */
  bytesRead(): number;
}

export interface FileTextOptions {
  /** Bytes per read (default 64 KiB). */
  readBytes?: number;
}

/**
 * The file's bytes in reads of `size`. In a worker thread (batch workers and their readers) each
 * read blocks only that thread, so it is made there: libuv's pool, where asynchronous reads go,
 * runs at a lower priority than the threads that answer requests (bulk work such as the lake's
 * DuckDB queries runs on it), and a batch's reads must not wait behind them. On the event loop,
 * reads go through the pool, so a long read never holds requests.
 */
async function* fileBytes(path: string, size: number): AsyncGenerator<Buffer> {
  if (isMainThread) {
    yield* createReadStream(path, { highWaterMark: size }) as AsyncIterable<Buffer>;
    return;
  }
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      // A new buffer per read: the decoder may hold a file's first bytes until the next one.
      const buffer = Buffer.allocUnsafe(size);
      const n = readSync(fd, buffer, 0, size, null);
      if (n === 0) return;
      yield n === size ? buffer : buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The file's text in pieces, as read; reading stops when the iteration does.
 *
 * @example
 *   for await (const text of readFileText(path, { readBytes: 1024 }).pieces) ...
 */
export function readFileText(path: string, options: FileTextOptions = {}): FileText {
  let bytes = 0;
  async function* pieces(): AsyncGenerator<string> {
    const decoder = new FileTextDecoder();
    for await (const chunk of fileBytes(path, options.readBytes ?? DEFAULT_READ_BYTES)) {
      bytes += chunk.length;
      const text = decoder.write(chunk);
      if (text !== '') yield text;
    }
    const rest = decoder.end();
    if (rest !== '') yield rest;
  }
  return { pieces: pieces(), bytesRead: () => bytes };
}
