import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.ts';
import { packRecords, RecordLogWriter, unpackRecords } from './record-log-writer.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';
import type { NewRecord } from './record-store.ts';

const anyRecord: fc.Arbitrary<NewRecord> = fc.record(
  {
    sandboxId: fc.string({ unit: 'grapheme', minLength: 1 }),
    datasetId: fc.string({ minLength: 1 }),
    recordId: fc.string({ unit: 'binary' }),
    timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    batchId: fc.string({ minLength: 1 }),
    body: fc.string({ unit: 'binary', maxLength: 300 }),
  },
  { requiredKeys: ['sandboxId', 'datasetId', 'recordId', 'timestamp', 'body'] },
);

const record = (recordId: string): NewRecord => ({ sandboxId: 's', datasetId: 'd', recordId, timestamp: 1, body: `{"_id":"${recordId}"}` });

/** A migrated record log in a temporary directory (the platform migrates before the thread starts), removed after `use`. */
async function withRecordLog(use: (recordsPath: string, reader: SqliteRecordStore, other: SqliteDatabase) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-log-writer-'));
  try {
    const recordsPath = join(dir, 'records.db');
    const other = openSqlite(recordsPath);
    await use(recordsPath, new SqliteRecordStore(other), other);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records packed for the writer thread come back exactly as they were', () => {
  fc.assert(fc.property(fc.array(anyRecord, { maxLength: 40 }), (records) => assert.deepEqual(unpackRecords(packRecords(records)), records.map((r) => ({ ...r })))));
});

test('large requests are packed into several texts of moderate size, records whole, and come back exactly', () => {
  // Bodies from empty to 70,000 characters: texts split between records, and one record may exceed a text's usual size.
  const sized = fc.record({ base: anyRecord, size: fc.integer({ min: 0, max: 70_000 }), char: fc.constantFrom('a', 'é', '😀') });
  fc.assert(
    fc.property(fc.array(sized, { maxLength: 30 }), (items) => {
      const records = items.map(({ base, size, char }) => ({ ...base, body: char.repeat(Math.ceil(size / char.length)) }));
      const packed = packRecords(records);
      assert.deepEqual(unpackRecords(packed), records);
      for (const text of packed.texts) assert.ok(text.length <= 48 * 1024 || records.some((r) => r.body.length >= 40 * 1024), 'only a very large record makes a larger text');
    }),
    { numRuns: 60 },
  );
  const hundred = Array.from({ length: 100 }, (_, i) => record(`e${i}`)).map((r) => ({ ...r, body: 'x'.repeat(1100) }));
  assert.equal(packRecords(hundred).texts.length, 3, 'a 100-event request of ~1 KB events: three texts under 48 Ki characters');
});

test('the writer thread commits appends and answers with their log positions; closing waits for them', async () => {
  await withRecordLog(async (recordsPath, reader) => {
    const writer = new RecordLogWriter({ recordsPath, durability: 'normal', autoCheckpointPages: 1000 });
    const [first, second] = await Promise.all([writer.append([record('a'), record('b')]), writer.append([record('b'), record('c')], [])]);
    assert.deepEqual(first.seqs, [1, 2]);
    assert.deepEqual(second.duplicateIndexes, [0]);
    assert.equal(second.inserted, 1);
    const last = writer.append([record('d')]);
    await writer.close();
    assert.equal((await last).inserted, 1);
    await assert.rejects(writer.append([record('e')]), /closed/);
    assert.deepEqual((await reader.readAfter(0, 10)).map((r) => r.recordId), ['a', 'b', 'c', 'd']);
  });
});

test('small appends while the thread is idle are committed on the calling thread, bigger ones go to the thread, in log order', async () => {
  await withRecordLog(async (recordsPath, reader) => {
    const writer = new RecordLogWriter({ recordsPath, durability: 'normal', autoCheckpointPages: 1000 }, { directUpTo: 2 });
    const first = await writer.append([record('a'), record('b')]);
    assert.deepEqual(first.seqs, [1, 2]);
    assert.deepEqual(writer.stats(), { direct: 1, thread: 0, busy: 0 });
    // Committed when the promise resolves: another connection reads it.
    assert.deepEqual((await reader.readAfter(0, 10)).map((r) => r.recordId), ['a', 'b']);
    const big = writer.append([record('c'), record('d'), record('e')]);
    // The thread holds an append: the next small one follows it there instead of overtaking it.
    const after = writer.append([record('f')]);
    const duplicate = await writer.append([record('a')]);
    assert.deepEqual((await big).seqs, [3, 4, 5]);
    assert.deepEqual((await after).seqs, [6]);
    assert.deepEqual(duplicate.duplicateIndexes, [0]);
    assert.deepEqual(writer.stats(), { direct: 1, thread: 3, busy: 0 });
    await writer.close();
    assert.deepEqual((await reader.readAfter(0, 10)).map((r) => r.recordId), ['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

test('a direct append that finds the write lock taken goes to the thread, which waits for it; nothing is lost or doubled', async () => {
  await withRecordLog(async (recordsPath, reader, other) => {
    const writer = new RecordLogWriter({ recordsPath, durability: 'normal', autoCheckpointPages: 1000 }, { directUpTo: 8 });
    assert.deepEqual((await writer.append([record('a')])).seqs, [1]);
    other.prepare('BEGIN IMMEDIATE').run(); // a batch worker's transaction, say
    let answered = false;
    const waiting = writer.append([record('b')]).then((result) => ((answered = true), result));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(answered, false, 'the append waits for the lock at the thread');
    assert.deepEqual(writer.stats(), { direct: 1, thread: 1, busy: 1 });
    other.prepare('COMMIT').run();
    assert.deepEqual((await waiting).seqs, [2]);
    assert.deepEqual((await writer.append([record('c')])).seqs, [3]);
    assert.deepEqual(writer.stats(), { direct: 2, thread: 1, busy: 1 });
    await writer.close();
    assert.deepEqual((await reader.readAfter(0, 10)).map((r) => r.recordId), ['a', 'b', 'c']);
  });
});

test('with full durability (an fsync per commit) every append goes to the thread', async () => {
  await withRecordLog(async (recordsPath) => {
    const writer = new RecordLogWriter({ recordsPath, durability: 'full', autoCheckpointPages: 1000 }, { directUpTo: 8 });
    await writer.append([record('a')]);
    assert.deepEqual(writer.stats(), { direct: 0, thread: 1, busy: 0 });
    await writer.close();
  });
});
