import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from './sqlite.ts';
import { multiRowWriter } from './multi-row.ts';

test('every row count is written once, in order, whatever the chunking', () => {
  const db = openSqlite(':memory:');
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const put = multiRowWriter(db, 'INSERT INTO t (n, v)', 2, 'ON CONFLICT (n) DO UPDATE SET v = excluded.v', 8);
  for (const count of [0, 1, 7, 8, 9, 23]) {
    db.exec('DELETE FROM t');
    put(Array.from({ length: count }, (_, i) => [i, `v${i}`]));
    assert.deepEqual(db.prepare('SELECT n, v FROM t ORDER BY n').all(), Array.from({ length: count }, (_, i) => ({ n: i, v: `v${i}` })), `${count} rows`);
  }
  put([[3, 'again']]);
  assert.equal(db.prepare('SELECT v FROM t WHERE n = 3').pluck().get(), 'again', 'the tail clause applies (upsert)');
});

test('a writer refuses a shape past SQLite\'s parameter limit', () => {
  const db = openSqlite(':memory:');
  assert.throws(() => multiRowWriter(db, 'INSERT INTO t (a)', 200, '', 256), /parameter limit/);
});
