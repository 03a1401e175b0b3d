/**
 * Writes many rows with multi-row `INSERT ... VALUES (...), (...)` statements: one call into SQLite
 * per chunk instead of one per row. Chunks are powers of two up to `maxRows` (at most
 * log2(maxRows) + 1 prepared statements per writer, each made on first use), so any row count costs
 * at most that many calls.
 *
 * @example
 *   const put = multiRowWriter(db, 'INSERT INTO t (a, b)', 2, 'ON CONFLICT (a) DO UPDATE SET b = excluded.b');
 *   put([['x', 1], ['y', 2]]);  // inside the caller's transaction
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './sqlite.ts';

/** SQLite allows 32,766 parameters per statement; 256 rows keep well under it for up to 127 columns. */
export const MAX_ROWS_PER_STATEMENT = 256;

export type RowWriter = (rows: readonly (readonly unknown[])[]) => void;

export function multiRowWriter(db: SqliteDatabase, head: string, columns: number, tail = '', maxRows = MAX_ROWS_PER_STATEMENT): RowWriter {
  if (columns * maxRows > 32_766) throw new Error(`${columns} columns × ${maxRows} rows exceed SQLite's parameter limit`);
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  const statements = new Map<number, Statement>();
  const statementFor = (rows: number): Statement => {
    let statement = statements.get(rows);
    if (!statement) {
      statement = db.prepare(`${head} VALUES ${Array.from({ length: rows }, () => row).join(', ')} ${tail}`);
      statements.set(rows, statement);
    }
    return statement;
  };
  const args: unknown[] = [];
  return (rows) => {
    let i = 0;
    for (let size = maxRows; size >= 1 && i < rows.length; size = size >> 1) {
      while (rows.length - i >= size) {
        args.length = 0;
        for (let j = i; j < i + size; j++) for (const value of rows[j]) args.push(value);
        statementFor(size).run(args);
        i += size;
      }
    }
  };
}
