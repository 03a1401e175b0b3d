/**
 * The locked-down DuckDB a query runs in: a fresh in-memory instance with one view per dataset
 * table, after which it may read exactly those tables' Parquet files and nothing else (no other
 * file, no network, no extension loading, no setting changes). This is the isolation boundary.
 *
 * @example
 *   const db = await openSandboxDatabase(await lake.tables(sandboxId), { threads: '2', memory_limit: '1GB' });
 *   try { await db.connection.run('SELECT count(*) FROM web_events'); } finally { db.close(); }
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { LakeTable } from './lake.ts';
import { quoteLiteralList } from './sql.ts';
import { createViewSql } from './table-views.ts';

export interface SandboxDatabase {
  connection: DuckDBConnection;
  /** Interrupts whatever runs and releases the instance. */
  close(): void;
}

export interface SandboxDatabaseConfig {
  threads: string;
  memory_limit: string;
}

/**
 * Opens the instance, creates the views, then locks it. `onConnection` receives the connection
 * as soon as it exists, so a time limit can interrupt even the view creation.
 */
export async function openSandboxDatabase(
  tables: readonly LakeTable[],
  config: SandboxDatabaseConfig,
  onConnection?: (connection: DuckDBConnection) => void,
): Promise<SandboxDatabase> {
  const instance = await DuckDBInstance.create(':memory:', {
    ...config,
    // No spill directory: DuckDB would add it to the readable paths.
    temp_directory: '',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  let connection: DuckDBConnection | undefined;
  const close = () => {
    connection?.interrupt();
    connection?.closeSync();
    instance.closeSync();
  };
  try {
    connection = await instance.connect();
    onConnection?.(connection);
    for (const table of tables) await connection.run(createViewSql(table));
    await lockDown(connection, tables.flatMap((t) => t.files.map((f) => f.path)));
    return { connection, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** After this, the connection can read exactly `paths` and change no setting. */
async function lockDown(connection: DuckDBConnection, paths: readonly string[]): Promise<void> {
  await connection.run(`SET TimeZone = 'UTC'`);
  // allowed_paths (exact files) rather than allowed_directories: a directory would also let a
  // statement create new files in it.
  await connection.run(`SET allowed_directories = []`);
  await connection.run(`SET allowed_paths = ${quoteLiteralList(paths)}`);
  await connection.run(`SET enable_external_access = false`);
  await connection.run(`SET autoinstall_known_extensions = false`);
  await connection.run(`SET autoload_known_extensions = false`);
  await connection.run(`SET lock_configuration = true`);
}
