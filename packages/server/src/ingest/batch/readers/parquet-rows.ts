/**
 * Parquet reading through DuckDB (`read_parquet`), streamed in DuckDB's vectors of ~2,000 rows so
 * memory stays flat; values arrive JSON-shaped (BIGINT, DECIMAL and TIMESTAMP as text, structs as
 * objects) and are coerced to the schema later.
 *
 * @example
 *   const columns = await readParquetColumns(path);   // ['_id', 'person.name.firstName', 'loyalty']
 *   for await (const chunk of readParquetRows(path, { skipRows: 0, chunkRows: 5000 }).chunks) { ... }
 */
import { statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { problem } from '../../../errors.ts';
import type { JsonValue } from '../../../storage/json.ts';
import type { FileRows, ReadOptions, RowRead } from './file-rows.ts';

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * One thread and a memory cap: the worker's JavaScript, not DuckDB, is the bottleneck. Loaded on
 * first use, so CSV and JSON lines batches never pay for DuckDB's native library.
 */
async function openDuckDb(): Promise<{ connection: DuckDBConnection; close(): void }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' });
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * The file's column names; INVALID_FILE when it is not a readable Parquet file.
 *
 * @example
 *   await readParquetColumns(path); // ['crm.crmId', 'homeAddress']
 */
export async function readParquetColumns(path: string): Promise<string[]> {
  const duck = await openDuckDb();
  try {
    return (await duck.connection.stream(`SELECT * FROM read_parquet(${sqlString(path)}) LIMIT 0`)).columnNames();
  } catch (err) {
    throw problem('INVALID_FILE', `the file cannot be read as Parquet: ${(err as Error).message}`);
  } finally {
    duck.close();
  }
}

/**
 * Rows as arrays of JSON-shaped values, in column order, in chunks; progress by rows over the file's row count.
 *
 * @example
 *   const { chunks } = readParquetRows(path, { skipRows: 10_000, chunkRows: 5000 }); // resumes after row 10,000
 */
export function readParquetRows(path: string, options: ReadOptions): FileRows<JsonValue[]> {
  const size = statSync(path).size;
  let total = 0;
  let consumed = options.skipRows;
  async function* chunks(): AsyncGenerator<RowRead<JsonValue[]>[]> {
    const duck = await openDuckDb();
    try {
      const counted = await (await duck.connection.stream(`SELECT count(*) FROM read_parquet(${sqlString(path)})`)).getRowsJson();
      total = Number(counted[0][0]);
      // Scans keep file order (DuckDB preserves insertion order), so OFFSET resumes where a run stopped.
      const skip = Math.max(0, Math.floor(options.skipRows));
      const result = await duck.connection.stream(`SELECT * FROM read_parquet(${sqlString(path)}) OFFSET ${skip}`);
      let chunk: RowRead<JsonValue[]>[] = [];
      for await (const vector of result.yieldRowsJson()) {
        for (const values of vector) chunk.push({ row: ++consumed, values: values as JsonValue[] });
        if (chunk.length >= options.chunkRows) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    } finally {
      duck.close();
    }
  }
  return { chunks: chunks(), bytesRead: () => (total === 0 ? 0 : Math.min(size, Math.round((size * consumed) / total))) };
}
