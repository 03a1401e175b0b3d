import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundLimit, openSqlite, prepared } from './sqlite.ts';

const SOURCE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The server's source files (tests left out), relative to its `src`. */
function sourceFiles(): string[] {
  return readdirSync(SOURCE_ROOT, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
}

test('one cached statement with a bound LIMIT answers each limit it is given', () => {
  const db = openSqlite(':memory:');
  try {
    db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 10; i++) insert.run(`v${i}`);
    const page = (after: number, limit: number) => prepared(db, `SELECT seq FROM t WHERE seq > ? ORDER BY seq ${boundLimit()}`).pluck().all(after, limit);
    assert.deepEqual(page(0, 3), [1, 2, 3]);
    assert.deepEqual(page(3, 1), [4]);
    assert.deepEqual(page(8, 5), [9, 10]);
    assert.deepEqual(page(0, 0), []);
    const named = (limit: number) => prepared(db, `SELECT seq FROM t ORDER BY seq DESC ${boundLimit('@limit')}`).pluck().all({ limit });
    assert.deepEqual(named(2), [10, 9]);
    assert.deepEqual(named(4), [10, 9, 8, 7]);
  } finally {
    db.close();
  }
});

test('no statement in the server binds a bare LIMIT parameter (each run would prepare it again)', () => {
  const bare = /\bLIMIT\s+[?@:$]/;
  const comment = /^\s*(\*|\/\/|\/\*)/;
  const offenders: string[] = [];
  for (const file of sourceFiles()) {
    readFileSync(join(SOURCE_ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (bare.test(line) && !comment.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, [], 'write `${boundLimit()}` (storage/sqlite.ts) instead of a bare `LIMIT ?`');
});
