/**
 * Shared by the SQL engine's tests and benchmark: an in-memory DuckDB with the `pql_*` macros and
 * the input tables, and a runner that evaluates one compiled case for one profile.
 *
 * @example
 *   const db = await openPqlDatabase();
 *   await loadPqlInput(db.connection, profiles);
 *   await preparePqlInput(db.connection);
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Expr } from '../pql/ast.ts';
import type { JsonValue } from '../pql/cases.ts';
import { compileToSql } from './compile.ts';
import { createPqlInputTables } from './input-layout.ts';
import { installPqlFunctions } from './prelude.ts';

export interface PqlDatabase {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  close(): void;
}

/**
 * An in-memory DuckDB ready for compiled audiences.
 *
 * @example
 *   const db = await openPqlDatabase({ threads: '2' });
 */
export async function openPqlDatabase(config: Record<string, string> = {}): Promise<PqlDatabase> {
  const instance = await DuckDBInstance.create(':memory:', config);
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  await installPqlFunctions(connection);
  await createPqlInputTables(connection);
  return { instance, connection, close: () => { connection.closeSync(); instance.closeSync(); } };
}

/**
 * Runs independent queries on `width` connections of one instance at once (query planning is the
 * cost of a small test query, and it runs in DuckDB's threads, not on the event loop).
 *
 * @example
 *   const results = await runConcurrently(db, tasks.map((t) => (c) => c.runAndReadAll(t.sql)), 4);
 */
export async function runConcurrently<T>(db: PqlDatabase, tasks: readonly ((connection: DuckDBConnection) => Promise<T>)[], width = 4): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    const connection = await db.instance.connect();
    try {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index](connection);
      }
    } finally {
      connection.closeSync();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/**
 * Evaluates `ast` for one loaded profile: a boolean (audience mode) or the JSON value.
 *
 * @example
 *   await evaluateForProfile(db.connection, ast, 'p1', now, 'audience');  // true
 */
export async function evaluateForProfile(connection: DuckDBConnection, ast: Expr, profileId: string, now: number | string, mode: 'audience' | 'value'): Promise<JsonValue> {
  const compiled = compileToSql(ast, { now, mode, profileId });
  const reader = await connection.runAndReadAll(compiled.sql, compiled.params);
  const rows = reader.getRows();
  if (mode === 'audience') return rows.length > 0;
  const raw = rows[0]?.[1];
  return raw === null || raw === undefined ? null : (JSON.parse(String(raw)) as JsonValue);
}
