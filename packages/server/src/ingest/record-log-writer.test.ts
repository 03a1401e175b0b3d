import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openSqlite } from '../storage/sqlite.ts';
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

test('records packed for the writer thread come back exactly as they were', () => {
  fc.assert(fc.property(fc.array(anyRecord, { maxLength: 40 }), (records) => assert.deepEqual(unpackRecords(packRecords(records)), records.map((r) => ({ ...r })))));
});

test('the writer thread commits appends and answers with their log positions; closing waits for them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-log-writer-'));
  try {
    const recordsPath = join(dir, 'records.db');
    new SqliteRecordStore(openSqlite(recordsPath)); // the platform migrates before the thread starts
    const writer = new RecordLogWriter({ recordsPath, durability: 'normal', autoCheckpointPages: 1000 });
    const record = (recordId: string): NewRecord => ({ sandboxId: 's', datasetId: 'd', recordId, timestamp: 1, body: `{"_id":"${recordId}"}` });
    const [first, second] = await Promise.all([writer.append([record('a'), record('b')]), writer.append([record('b'), record('c')], [])]);
    assert.deepEqual(first.seqs, [1, 2]);
    assert.deepEqual(second.duplicateIndexes, [0]);
    assert.equal(second.inserted, 1);
    const last = writer.append([record('d')]);
    await writer.close();
    assert.equal((await last).inserted, 1);
    await assert.rejects(writer.append([record('e')]), /closed/);
    const stored = await new SqliteRecordStore(openSqlite(recordsPath)).readAfter(0, 10);
    assert.deepEqual(stored.map((r) => r.recordId), ['a', 'b', 'c', 'd']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
