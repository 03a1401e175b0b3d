import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../ingest/batch/worker-spawn.ts';
import { openSqlite, writeGateOf } from './sqlite.ts';
import { WriteGate } from './write-gate.ts';

test('the gate is taken by one writer at a time; a writer that waits too long goes on without it', () => {
  const foreground = new WriteGate();
  const background = new WriteGate(foreground.cells, 'background', 20);
  assert.equal(foreground.enter(), true);
  assert.equal(foreground.held, true);
  assert.equal(background.enter(), false); // waited 20 ms, then gave up
  foreground.leave();
  assert.equal(background.held, false);
  assert.equal(background.enter(), true);
  const impatient = new WriteGate(foreground.cells, 'foreground', 20);
  assert.equal(impatient.enter(), false);
  assert.equal(impatient.foregroundWaiting, 0);
  background.leave();
});

test('a transaction holds the gate from BEGIN to COMMIT or ROLLBACK; nested ones run inside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-gate-'));
  const db = openSqlite(join(dir, 'x.db'), 'normal', 1000, undefined, new WriteGate());
  try {
    const gate = writeGateOf(db)!;
    db.exec('CREATE TABLE t (name TEXT)');
    const heldInside: boolean[] = [];
    db.transaction(() => {
      heldInside.push(gate.held);
      db.transaction(() => heldInside.push(gate.held))();
      db.prepare('INSERT INTO t VALUES (?)').run('a');
    })();
    assert.deepEqual(heldInside, [true, true]);
    assert.equal(gate.held, false);
    assert.throws(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (?)').run('b');
        throw new Error('no');
      })(),
    );
    assert.equal(gate.held, false);
    assert.deepEqual(db.prepare('SELECT name FROM t').pluck().all(), ['a']);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function writer(cells: SharedArrayBuffer, path: string, name: string, role: 'holder' | 'follower'): { worker: Worker; messages: string[] } {
  const worker = startModuleWorker(siblingModule(import.meta.url, 'write-gate-test-worker'), { cells, path, name, role });
  const messages: string[] = [];
  worker.on('message', (m: string) => messages.push(m));
  return { worker, messages };
}

const until = async (messages: string[], wanted: string) => {
  while (!messages.includes(wanted)) await new Promise((resolve) => setTimeout(resolve, 2));
};

test('the event loop writes before a waiting background thread, and never meets the busy lock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-gate-'));
  const path = join(dir, 'x.db');
  const db = openSqlite(path, 'normal', 1000, undefined, new WriteGate());
  try {
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    // Without the gate, BEGIN IMMEDIATE would fail at once while another thread writes.
    db.pragma('busy_timeout = 0');
    const cells = writeGateOf(db)!.cells;
    // Tries only once the event loop waits below: it must let the event loop go first.
    const follower = writer(cells, path, 'second background', 'follower');
    await until(follower.messages, 'ready');
    // Holds its transaction until the event loop waits for the gate.
    const holder = writer(cells, path, 'first background', 'holder');
    await until(holder.messages, 'holding');
    db.transaction(() => db.prepare('INSERT INTO t (name) VALUES (?)').run('event loop'))();
    await Promise.all([once(holder.worker, 'exit'), once(follower.worker, 'exit')]);
    assert.deepEqual(db.prepare('SELECT name FROM t ORDER BY id').pluck().all(), ['first background', 'event loop', 'second background']);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
