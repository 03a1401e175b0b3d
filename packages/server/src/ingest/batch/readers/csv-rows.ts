/**
 * Streaming CSV reading with csv-parse: the header, then data rows as arrays of cells, in chunks,
 * with memory flat in file size. A row the parser cannot read (an unclosed quote) is reported in
 * its place, with its row number, instead of failing the file; stray quotes inside unquoted
 * values are taken literally.
 *
 * @example
 *   const header = await readCsvHeader('/data/batches/bat_1/source.csv'); // ['_id', 'person.name.firstName']
 *   for await (const chunk of readCsvRows(path, { skipRows: 0, chunkRows: 5000 }).chunks) { ... }
 */
import { createReadStream } from 'node:fs';
import { parse, type CsvError, type Options } from 'csv-parse';
import { problem } from '../../../errors.ts';
import type { FileRows, ReadOptions, RowRead } from './file-rows.ts';

const PARSE_OPTIONS: Options = {
  bom: true,
  relax_quotes: true,
  relax_column_count: true,
  skip_empty_lines: true,
  skip_records_with_error: true,
};

/**
 * The header row; INVALID_FILE when the file is empty or its first row cannot be read.
 *
 * @example
 *   await readCsvHeader(path); // ['crm.crmId', 'person.name.firstName']
 */
export async function readCsvHeader(path: string): Promise<string[]> {
  const parser = createReadStream(path).pipe(parse({ bom: true, relax_quotes: true, skip_empty_lines: true, to: 1 }));
  try {
    for await (const header of parser as AsyncIterable<string[]>) return header.map((h) => h.trim());
  } catch (err) {
    throw problem('INVALID_FILE', `the CSV header cannot be read: ${(err as Error).message}`);
  }
  throw problem('INVALID_FILE', 'the file is empty: a CSV file needs a header row naming its columns');
}

function unreadableReason(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return `a quote opened in this row is never closed, so everything up to the end of the file (line ${String(error.lines)}) was read as one value`;
  }
  return `cannot be read as CSV (near line ${String(error.lines)}): ${error.message}`;
}

/**
 * Data rows in chunks, each row its cells or the reason it could not be read.
 *
 * @example
 *   const { chunks, bytesRead } = readCsvRows(path, { skipRows: 0, chunkRows: 5000 });
 */
export function readCsvRows(path: string, options: ReadOptions): FileRows<string[]> {
  let bytes = 0;
  async function* chunks(): AsyncGenerator<RowRead<string[]>[]> {
    // Skipped rows are announced by a callback while records flow through the stream; each skip
    // remembers how many records preceded it, so rows keep their file order and numbers.
    const pendingSkips: { afterRecords: number; reason: string }[] = [];
    const parser = parse({
      ...PARSE_OPTIONS,
      on_skip: (error) => {
        if (error) pendingSkips.push({ afterRecords: Number(error.records), reason: unreadableReason(error) });
        return undefined;
      },
    });
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    file.on('data', (data) => (bytes += data.length));
    file.on('error', (err) => parser.destroy(err));
    file.pipe(parser);

    let records = 0;
    let row = 0;
    let chunk: RowRead<string[]>[] = [];
    const takeSkips = (upTo: number) => {
      while (pendingSkips.length > 0 && pendingSkips[0].afterRecords <= upTo) {
        const skip = pendingSkips.shift()!;
        if (skip.afterRecords === 0) throw problem('INVALID_FILE', `the CSV header cannot be read: ${skip.reason}`);
        row++;
        if (row > options.skipRows) chunk.push({ row, unreadable: skip.reason, original: '' });
      }
    };
    for await (const cells of parser as AsyncIterable<string[]>) {
      takeSkips(records);
      records++;
      if (records === 1) continue; // the header
      row++;
      if (row > options.skipRows) chunk.push({ row, values: cells });
      if (chunk.length >= options.chunkRows) {
        yield chunk;
        chunk = [];
      }
    }
    takeSkips(Number.POSITIVE_INFINITY);
    if (chunk.length > 0) yield chunk;
  }
  return { chunks: chunks(), bytesRead: () => bytes };
}
