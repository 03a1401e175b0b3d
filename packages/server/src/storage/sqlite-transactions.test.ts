import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, readEach, readTogether, type SqliteDatabase } from './sqlite.ts';

/** Two connections to one new database holding an empty table `t (v INTEGER)`, closed and removed after `use`. */
function withTwoConnections(use: (mine: SqliteDatabase, other: SqliteDatabase) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-tx-'));
  const path = join(dir, 'x.db');
  const mine = openSqlite(path);
  const other = openSqlite(path);
  try {
    mine.exec('CREATE TABLE t (v INTEGER)');
    use(mine, other);
  } finally {
    mine.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a transaction takes the write lock when it begins, so a commit by another connection cannot strand it', () => {
  withTwoConnections((mine, other) => {
    other.pragma('busy_timeout = 0');
    const readThenWrite = (interleave: () => void) =>
      mine.transaction(() => {
        mine.prepare('SELECT count(*) FROM t').get(); // the read snapshot starts here
        interleave(); // another connection tries to commit in between
        mine.prepare('INSERT INTO t VALUES (1)').run();
      });

    // Ours (IMMEDIATE): the other connection is the one told to wait; our write goes through.
    let refused: unknown;
    readThenWrite(() => {
      try {
        other.prepare('INSERT INTO t VALUES (2)').run();
      } catch (err) {
        refused = err;
      }
    })();
    assert.match(String(refused), /database is locked/);
    assert.deepEqual(mine.prepare('SELECT v FROM t').pluck().all(), [1]);

    // SQLite's default (DEFERRED): the other commit succeeds and ours fails at once, without waiting.
    assert.throws(() => readThenWrite(() => other.prepare('INSERT INTO t VALUES (3)').run()).deferred(), { code: 'SQLITE_BUSY_SNAPSHOT' });
    assert.deepEqual(mine.prepare('SELECT v FROM t ORDER BY v').pluck().all(), [1, 3]);
  });
});

test('readTogether runs reads in one snapshot, ends it even when a read throws, and joins a transaction already open', () => {
  withTwoConnections((mine, other) => {
    const count = mine.prepare('SELECT count(*) FROM t').pluck();

    // Inside: one snapshot, so a commit by another connection between two reads is not seen by the second.
    const seen = readTogether(mine, () => {
      const before = count.get();
      other.prepare('INSERT INTO t VALUES (1)').run();
      return [before, count.get(), mine.inTransaction];
  });
  assert.deepEqual(seen, [0, 0, true]);
  assert.equal(mine.inTransaction, false, 'the read transaction ended');
  assert.equal(count.get(), 1, 'the next read sees the commit');

  // A failing read still ends the transaction: the connection is not left holding a snapshot.
  assert.throws(() => readTogether(mine, () => mine.prepare('SELECT * FROM missing').all()), /no such table/);
  assert.equal(mine.inTransaction, false);

  // Within a write transaction it neither begins nor commits anything of its own.
  mine.transaction(() => {
    mine.prepare('INSERT INTO t VALUES (2)').run();
    assert.equal(readTogether(mine, () => count.get()), 2);
    assert.equal(mine.inTransaction, true);
  })();
  assert.equal(count.get(), 2);
  });
});

test('readEach reads one item without a transaction and several in one', () => {
  withTwoConnections((mine) => {
    const seen: [string, boolean][] = [];
    readEach(mine, ['a'], (item) => seen.push([item, mine.inTransaction]));
    readEach(mine, ['b', 'c'], (item) => seen.push([item, mine.inTransaction]));
    readEach(mine, [], (item) => seen.push([item, mine.inTransaction]));
    assert.deepEqual(seen, [['a', false], ['b', true], ['c', true]]);
    assert.equal(mine.inTransaction, false);
  });
});
