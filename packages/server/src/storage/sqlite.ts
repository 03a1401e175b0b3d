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
import type { WriteGate } from './write-gate.ts';

export type SqliteDatabase = Database.Database;

export function openSqlite(
  path: string,
  durability: 'normal' | 'full' = 'normal',
  /** Pages of WAL after which this connection checkpoints inline; raise it when a checkpointer runs. */
  autoCheckpointPages = 1000,
  /**
   * Page cache of this connection. 16 MiB (64 MiB before): pages beyond it come from the OS page
   * cache, which does not count against the process, so memory stays flat in the data's size
   * (CSV bench: peak RSS full/quarter 1.31 → 1.20–1.25; profile lookups unchanged, p99 < 0.2 ms).
   * Connections that append or read in order need even less (`LOG_CACHE_KIB`).
   */
  cacheKiB = 16_384,
  /** Turns at the write lock shared with this process's other threads writing the same file (`write-gate.ts`). */
  gate?: WriteGate,
): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // In WAL mode `normal` loses nothing on a process crash (kill -9): a committed transaction is in
  // the WAL file in the OS page cache. `full` also fsyncs every commit, for power loss.
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${autoCheckpointPages}`);
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma(`cache_size = -${Math.max(64, Math.floor(cacheKiB))}`);
  if (gate) gates.set(db, gate);
  return immediateTransactions(db, gate);
}

const gates = new WeakMap<SqliteDatabase, WriteGate>();

/** The write gate a connection was opened with: its `cells` go to worker threads writing the same file. */
export function writeGateOf(db: SqliteDatabase): WriteGate | undefined {
  return gates.get(db);
}

/**
 * Makes `db.transaction(fn)()` begin with BEGIN IMMEDIATE (its `.deferred` form stays available).
 * Several connections write the same file (the event loop, the projector, the lake's worker), and
 * most transactions read before they write. A deferred one holds a read snapshot until its first
 * write; if another connection committed meanwhile, that write fails at once with SQLITE_BUSY
 * (the snapshot cannot be upgraded, and the busy timeout does not apply). Taking the write lock
 * first makes it wait its turn instead.
 *
 * @example
 *   const db = immediateTransactions(new Database(path));
 *   db.transaction(() => { read(); write(); })(); // BEGIN IMMEDIATE ... COMMIT
 */
export function immediateTransactions(db: SqliteDatabase, gate?: WriteGate): SqliteDatabase {
  const transaction = db.transaction.bind(db);
  type Mode = (this: unknown, ...args: never[]) => unknown;
  // Nested calls run as savepoints inside the outer transaction, which holds the gate already.
  const gated = (mode: Mode): Mode =>
    gate
      ? function (this: unknown, ...args: never[]) {
          if (db.inTransaction) return mode.apply(this, args);
          const entered = gate.enter();
          try {
            return mode.apply(this, args);
          } finally {
            if (entered) gate.leave();
          }
        }
      : mode;
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const modes = transaction(fn);
    const immediate = gated(modes.immediate);
    const run = function (this: unknown, ...args: never[]) {
      return immediate.apply(this, args);
    };
    return Object.defineProperties(run, {
      default: { value: immediate },
      deferred: { value: modes.deferred },
      immediate: { value: immediate },
      exclusive: { value: gated(modes.exclusive) },
    });
  }) as SqliteDatabase['transaction'];
  return db;
}

/**
 * Page cache for connections that only append to the record log or read it in order (the log
 * writer, batch writers, the followers' reading side): their working set is the B-trees' right
 * edges, and a large cache per connection only made memory grow with the size of the data.
 */
export const LOG_CACHE_KIB = 8_192;

const statements = new WeakMap<SqliteDatabase, Map<string, Database.Statement>>();

/**
 * A `LIMIT` clause whose value comes from a bound parameter (`?` or a named one) and is read each
 * time the statement runs. Written bare, `LIMIT ?` defeats statement caching: SQLite (3.46 and
 * later) builds the value bound at prepare time into the program as a constant and marks the
 * parameter so that binding it again expires the statement, so a cached statement with a bare
 * `LIMIT ?` was parsed and planned again on every run (`sqlite3Reprepare` under `sqlite3_step`
 * in a perf profile: a tenth of the profile projector's thread at two edge connections, where it
 * reads the log after every event). A LIMIT that is an expression is evaluated at run time.
 *
 * @example
 *   prepared(db, `SELECT seq FROM records WHERE seq > ? ORDER BY seq ${boundLimit()}`).all(after, 500);
 *   prepared(db, `SELECT id FROM jobs ORDER BY id ${boundLimit('@limit')}`).all({ limit: 20 });
 */
export function boundLimit(parameter = '?'): string {
  return `LIMIT CAST(${parameter} AS INTEGER)`;
}


/**
 * A prepared statement for this SQL text, prepared once per database (preparing costs more than
 * running a simple statement, and hot paths run the same few statements all the time).
 *
 * @example
 *   prepared(db, 'SELECT doc FROM schemas WHERE id = ?').get(id);
 */
export function prepared(db: SqliteDatabase, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/**
 * Runs `read` inside one read transaction, so the statements it runs share one snapshot and one
 * lock. A statement outside a transaction begins and ends its own: on Linux two `fcntl` lock
 * calls and an `fstat` on the database file, about 6 µs on a 2-core VM, against about 1 µs for the
 * index probe itself (a point read by primary key: 7.3 µs alone, 0.96 µs among 1,000 in one
 * transaction). Inside a transaction already, `read` simply runs in it. `read` must not await:
 * the transaction ends when it returns.
 *
 * @example
 *   const ids = readTogether(db, () => keys.map((k) => find.get(sandboxId, k)));
 */
export function readTogether<T>(db: SqliteDatabase, read: () => T): T {
  if (db.inTransaction) return read();
  prepared(db, 'BEGIN DEFERRED').run();
  try {
    return read();
  } finally {
    // A read-only transaction commits without writing; it only releases the snapshot and the lock.
    if (db.inTransaction) prepared(db, 'COMMIT').run();
  }
}

/**
 * Runs `readOne` for each item: alone for a single item (a transaction around one statement only
 * adds two), in one `readTogether` transaction for several.
 *
 * @example
 *   readEach(db, keys, (key) => found.set(key, find.get(sandboxId, key)));
 */
export function readEach<T>(db: SqliteDatabase, items: readonly T[], readOne: (item: T) => void): void {
  if (items.length === 1) readOne(items[0]);
  else if (items.length > 1) readTogether(db, () => items.forEach((item) => readOne(item)));
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
