/**
 * Writing export rows to files: CSV (RFC 4180 quoting, chosen delimiter) and JSON lines, optionally
 * gzip-compressed, streamed to a hidden temporary file; Parquet through DuckDB from a JSON-lines
 * staging file with column types taken from the values. Files appear under their final names only
 * when complete (`commit`), so a crash never leaves half a file behind.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';
import type { JsonObject, JsonValue } from '../../../storage/json.ts';
import { quoteIdent, quoteLiteral } from '../../../lake/sql.ts';

export type FileFormat = 'csv' | 'jsonl' | 'parquet';

function csvCell(value: JsonValue | undefined, delimiter: string): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.includes(delimiter) || /["\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly (JsonValue | undefined)[], delimiter: string): string {
  return values.map((v) => csvCell(v, delimiter)).join(delimiter) + '\n';
}

type ColumnKind = 'empty' | 'number' | 'boolean' | 'text';

/** One file being written: lines go to a temporary path, renamed on commit. */
export class PartWriter {
  private readonly out: WriteStream;
  private readonly sink: WriteStream | Gzip;
  private readonly kinds: ColumnKind[];
  rows = 0;

  constructor(
    readonly tempPath: string,
    readonly finalPath: string,
    private readonly format: FileFormat,
    private readonly columns: readonly string[],
    gzip: boolean,
    private readonly delimiter: string,
  ) {
    this.out = createWriteStream(tempPath);
    this.out.on('error', () => undefined); // surfaced by finish()
    if (gzip && format !== 'parquet') {
      const zip = createGzip();
      zip.pipe(this.out);
      this.sink = zip;
    } else this.sink = this.out;
    this.kinds = columns.map(() => 'empty');
    if (format === 'csv') this.sink.write(csvLine(columns, delimiter));
  }

  async write(rows: readonly JsonObject[]): Promise<void> {
    let text = '';
    for (const row of rows) {
      if (this.format === 'csv') text += csvLine(this.columns.map((c) => row[c]), this.delimiter);
      else {
        if (this.format === 'parquet') this.observe(row);
        text += JSON.stringify(row) + '\n';
      }
    }
    this.rows += rows.length;
    if (!this.sink.write(text)) await once(this.sink, 'drain');
  }

  /** Finishes the temporary file (for Parquet: the staging JSON lines, converted by `toParquet`). */
  async finish(): Promise<void> {
    this.sink.end();
    if (this.out.writableFinished) return;
    await once(this.out, 'finish');
  }

  /** DuckDB column types for the Parquet file. */
  sqlTypes(): string[] {
    return this.kinds.map((k) => (k === 'number' ? 'DOUBLE' : k === 'boolean' ? 'BOOLEAN' : 'VARCHAR'));
  }

  private observe(row: JsonObject): void {
    for (const [i, column] of this.columns.entries()) {
      const v = row[column];
      if (v === undefined || v === null) continue;
      const kind: ColumnKind = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'text';
      if (this.kinds[i] === 'empty') this.kinds[i] = kind;
      else if (this.kinds[i] !== kind) this.kinds[i] = 'text';
      if (kind === 'text' && typeof v === 'object') row[column] = JSON.stringify(v);
    }
  }
}

/**
 * Writes every row into files of at most `limit` rows, asking `open()` for the next file when one
 * is full, and finishes the last; returns how many rows were written.
 *
 * @example
 *   const rows = await writeInParts(job.rows, 5_000_000, () => new PartWriter(temp(), final(), 'csv', columns, false, ','));
 */
export async function writeInParts(chunks: AsyncIterable<readonly JsonObject[]>, limit: number, open: () => PartWriter): Promise<number> {
  let current = open();
  let rows = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      if (current.rows >= limit) {
        await current.finish();
        current = open();
      }
      const take = chunk.slice(offset, offset + (limit - current.rows));
      await current.write(take);
      offset += take.length;
      rows += take.length;
    }
  }
  await current.finish();
  return rows;
}

/** Converts a finished JSON-lines staging file to Parquet at `target` (zstd). */
export async function toParquet(staging: string, target: string, columns: readonly string[], types: readonly string[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  try {
    const connection = await instance.connect();
    try {
      const spec = columns.map((c, i) => `${quoteLiteral(c)}: ${quoteLiteral(types[i])}`).join(', ');
      const select = columns.map((c) => quoteIdent(c)).join(', ');
      await connection.run(
        `COPY (SELECT ${select} FROM read_json(${quoteLiteral(staging)}, columns = {${spec}}, format = 'newline_delimited')) TO ${quoteLiteral(target)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export async function commitFile(tempPath: string, finalPath: string): Promise<void> {
  await rename(tempPath, finalPath);
}

export async function discard(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { force: true })));
}
