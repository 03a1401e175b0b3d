/**
 * Shared SQLite plumbing for the embedded mode: opening a database in WAL mode with the
 * durability the config asks for, and per-domain schema migrations.
 *
 * @example
 *   const db = openSqlite('/data/meridian.db', 'normal');
 *   migrate(db, 'tenancy', [`CREATE TABLE sandboxes (...)`]);
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

export function openSqlite(path: string, durability: 'normal' | 'full' = 'normal'): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // In WAL mode `normal` loses nothing on a process crash (kill -9): a committed transaction is in
  // the WAL file in the OS page cache. `full` also fsyncs every commit, for power loss.
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -65536');
  return db;
}

/**
 * Applies the not-yet-applied steps of one domain's migrations, in order, each in a transaction.
 * Steps are append-only: never edit a step that has shipped.
 */
export function migrate(db: SqliteDatabase, domain: string, steps: readonly string[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (domain TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
  const row = db.prepare('SELECT version FROM schema_migrations WHERE domain = ?').get(domain) as
    | { version: number }
    | undefined;
  const applied = row?.version ?? 0;
  for (let i = applied; i < steps.length; i++) {
    db.transaction(() => {
      db.exec(steps[i]);
      db.prepare(
        'INSERT INTO schema_migrations (domain, version) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET version = excluded.version',
      ).run(domain, i + 1);
    })();
  }
}
