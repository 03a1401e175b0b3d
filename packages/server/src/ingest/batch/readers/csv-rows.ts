/**
 * Streaming CSV reading: the header, then data rows as arrays of cells, in chunks, with memory
 * flat in file size (parsing by `csv-parser.ts`). A row that cannot be read (a quote never
 * closed) is reported in its place, with its row number, instead of failing the file; stray
 * quotes inside unquoted values are taken literally.
 *
 * @example
 *   const header = await readCsvHeader('/data/batches/bat_1/source.csv'); // ['_id', 'person.name.firstName']
 *   for await (const chunk of readCsvRows(path, { skipRows: 0, chunkRows: 5000 }).chunks) { ... }
 */
import { problem } from '../../../errors.ts';
import { CsvParser, type CsvEnd } from './csv-parser.ts';
import { readFileText, type FileText } from './file-text.ts';
import type { FileRows, ReadOptions, RowRead } from './file-rows.ts';

/** Rows (header included) as the file's text is parsed; the last batch says whether a quote was left open. */
async function* parseFile(file: FileText): AsyncGenerator<CsvEnd> {
  const parser = new CsvParser();
  for await (const text of file.pieces) yield { rows: parser.push(text) };
  yield parser.finish();
}

function unclosedQuoteReason(line: number): string {
  return `a quote opened in this row is never closed, so everything up to the end of the file (line ${String(line)}) was read as one value`;
}

/**
 * The header row; INVALID_FILE when the file is empty or its first row cannot be read.
 *
 * @example
 *   await readCsvHeader(path); // ['crm.crmId', 'person.name.firstName']
 */
export async function readCsvHeader(path: string): Promise<string[]> {
  for await (const parsed of parseFile(readFileText(path))) {
    if (parsed.rows.length > 0) return parsed.rows[0].map((h) => h.trim());
    if (parsed.unclosedQuoteLine !== undefined) {
      // Worded as csv-parse worded it, as this reader's answers always were.
      throw problem('INVALID_FILE', `the CSV header cannot be read: Quote Not Closed: the parsing is finished with an opening quote at line ${String(parsed.unclosedQuoteLine)}`);
    }
  }
  throw problem('INVALID_FILE', 'the file is empty: a CSV file needs a header row naming its columns');
}

/**
 * Data rows in chunks, each row its cells or the reason it could not be read.
 *
 * @example
 *   const { chunks, bytesRead } = readCsvRows(path, { skipRows: 0, chunkRows: 5000 });
 */
export function readCsvRows(path: string, options: ReadOptions): FileRows<string[]> {
  const file = readFileText(path);
  async function* chunks(): AsyncGenerator<RowRead<string[]>[]> {
    let records = 0;
    let row = 0;
    let chunk: RowRead<string[]>[] = [];
    for await (const parsed of parseFile(file)) {
      for (const values of parsed.rows) {
        if (++records === 1) continue; // the header
        if (++row <= options.skipRows) continue;
        chunk.push({ row, values });
        if (chunk.length >= options.chunkRows) {
          yield chunk;
          chunk = [];
        }
      }
      if (parsed.unclosedQuoteLine !== undefined) {
        const reason = unclosedQuoteReason(parsed.unclosedQuoteLine);
        if (records === 0) throw problem('INVALID_FILE', `the CSV header cannot be read: ${reason}`);
        if (++row > options.skipRows) chunk.push({ row, unreadable: reason, original: '' });
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return { chunks: chunks(), bytesRead: file.bytesRead };
}
