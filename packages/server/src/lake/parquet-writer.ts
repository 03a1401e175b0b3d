/**
 * Writes and rewrites the lake's Parquet files through a DuckDB instance used only for that.
 * Rows go through a JSON-lines staging file read with explicit column types, so every file is
 * typed from the schema, never inferred. A file appears under its final name only when complete.
 *
 * @example
 *   const writer = await ParquetWriter.open('/data/lake');
 *   await writer.write('sandbox=s/dataset=d/day=2026-11-01/part-1.parquet', columns, stageLines(lines));
 *   writer.close();
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { StagedLines } from './lake-rows.ts';
import { SYSTEM_COLUMNS, toSqlType, type LakeColumn } from './lake-types.ts';
import { quoteIdent, quoteLiteral } from './sql.ts';

/** Staging files and DuckDB spill files live here; never part of the lake. */
export const STAGING_DIR = '_staging';
/**
 * DuckDB sizes its JSON read buffers from `maximum_object_size`, and allocating and freeing them
 * is paid per file: with 32 MiB for every file a 10,000-event slice cost ~14 µs a row, with 1 MiB
 * ~12. Each file gets the smallest power of two (from 1 MiB) that holds its longest line.
 */
const MIN_READ_BYTES = 1024 * 1024;

/**
 * The `maximum_object_size` for a staging file: a power of two from 1 MiB above its longest line.
 *
 * @example
 *   readSizeFor(7);  // 1048576
 */
export function readSizeFor(longestLineBytes: number): number {
  let size = MIN_READ_BYTES;
  while (size <= longestLineBytes + 1) size *= 2;
  return size;
}

export interface ParquetWriterOptions {
  /** DuckDB threads for writing (default 1: the lake must not starve the edge of CPU). */
  threads?: number;
  memoryLimit?: string;
  /**
   * Folder under the staging directory where DuckDB spills (default `duckdb-spill`). Each instance
   * needs its own: two instances spilling into one folder would use the same file names.
   */
  spillDirName?: string;
}

export class ParquetWriter {
  private constructor(
    private readonly root: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(root: string, options: ParquetWriterOptions = {}): Promise<ParquetWriter> {
    const staging = join(root, STAGING_DIR);
    await mkdir(staging, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 1),
      memory_limit: options.memoryLimit ?? '512MB',
      temp_directory: join(staging, options.spillDirName ?? 'duckdb-spill'),
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return new ParquetWriter(root, instance, connection);
  }

  /**
   * Writes rows to `relPath`, replacing any earlier version. Layout `rows`: each line is a row
   * already shaped to `columns` (`rowEncoder`, staged by `stageLines`). Layout `wrapped`: each line
   * carries the system columns and the record body under `_body` (`stageWrapped`), and DuckDB types the body's
   * fields while reading; it fails, writing nothing, when a value does not fit its column.
   */
  async write(relPath: string, columns: readonly LakeColumn[], lines: StagedLines, layout: 'rows' | 'wrapped' = 'rows'): Promise<void> {
    const staged = join(this.root, STAGING_DIR, `${randomUUID()}.jsonl`);
    await writeFile(staged, lines.content);
    try {
      const typeOf = (c: LakeColumn) => `${quoteLiteral(c.name)}: ${quoteLiteral(toSqlType(c.type))}`;
      let types: string;
      let select: string;
      if (layout === 'rows') {
        types = columns.map(typeOf).join(', ');
        select = '*';
      } else {
        const system = columns.filter((c) => SYSTEM_COLUMNS.some((s) => s.name === c.name));
        const fields = columns.filter((c) => !system.includes(c));
        const body: LakeColumn = { name: '_body', type: { kind: 'struct', fields } };
        types = [...system, body].map(typeOf).join(', ');
        select = columns.map((c) => (system.includes(c) ? quoteIdent(c.name) : `${quoteIdent('_body')}.${quoteIdent(c.name)}`)).join(', ');
      }
      const source =
        `SELECT ${select} FROM read_json(${quoteLiteral(staged)}, columns = {${types}}, format = 'newline_delimited', ` +
        `maximum_object_size = ${readSizeFor(lines.longestLine)})`;
      await this.copyAtomically(source, relPath);
    } finally {
      await rm(staged, { force: true });
    }
  }

  /**
   * How many rows of a file match `condition` (SQL built by the lake, never user input), and how
   * many it holds.
   */
  async countRows(relPath: string, condition: string): Promise<{ matching: number; total: number }> {
    const reader = await this.connection.runAndReadAll(
      `SELECT count(*) FILTER (WHERE ${condition}) AS matching, count(*) AS total FROM read_parquet(${quoteLiteral(join(this.root, relPath))})`,
    );
    const [matching, total] = reader.getRows()[0];
    return { matching: Number(matching), total: Number(total) };
  }

  /** Writes to `newRelPath` the rows of `relPath` that do not match `condition`. */
  async copyWithout(relPath: string, newRelPath: string, condition: string): Promise<void> {
    const source =
      `SELECT * FROM read_parquet(${quoteLiteral(join(this.root, relPath))}) ` +
      `WHERE NOT coalesce(${condition}, false) ORDER BY ${quoteIdent('_seq')}`;
    await this.copyAtomically(source, newRelPath);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** COPY to a hidden temp name, fsync, make read-only, then rename into place. */
  private async copyAtomically(selectSql: string, relPath: string): Promise<void> {
    const target = join(this.root, relPath);
    const temp = join(dirname(target), `.${randomUUID()}.parquet.tmp`);
    await mkdir(dirname(target), { recursive: true });
    try {
      await this.connection.run(`COPY (${selectSql}) TO ${quoteLiteral(temp)} (FORMAT parquet, COMPRESSION zstd)`);
      const handle = await open(temp, 'r');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await chmod(temp, 0o444);
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }
}
