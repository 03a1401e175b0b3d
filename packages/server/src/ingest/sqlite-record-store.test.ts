import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { migrate, openSqlite } from '../storage/sqlite.ts';
import { RECORD_LOG_MIGRATIONS, SqliteRecordStore } from './sqlite-record-store.ts';
import type { NewRecord } from './record-store.ts';

const record = (datasetId: string, recordId: string, idTime?: number): NewRecord => ({
  sandboxId: 'sbx_1',
  datasetId,
  recordId,
  timestamp: idTime ?? 1_700_000_000_000,
  ...(idTime !== undefined ? { idTime } : {}),
  body: JSON.stringify({ _id: recordId }),
});

/** The model's key of a record: a record is the same as another by dataset, own time (0 when none) and `_id`. */
const sameness = (r: NewRecord) => `${r.datasetId}/${r.idTime ?? 0}/${r.recordId}`;

test('appends number the new records in input order and report duplicates, whatever mix a group holds', async () => {
  // Inputs drawn from a small id space so duplicates (earlier appends, and within one append) are common;
  // a plain model of "first writer of (dataset, own time, _id) wins" says which inputs each append must take.
  const appendRuns = fc.array(
    fc.array(
      fc.record({ dataset: fc.constantFrom('ds_a', 'ds_b'), id: fc.integer({ min: 0, max: 150 }), time: fc.constantFrom(undefined, 1_700_000_000_001, 1_700_000_000_002) }),
      { maxLength: 180 },
    ),
    { minLength: 1, maxLength: 6 },
  );
  await fc.assert(
    fc.asyncProperty(appendRuns, async (runs) => {
      const db = openSqlite(':memory:');
      const store = new SqliteRecordStore(db);
      const seen = new Map<string, number>();
      let highest = 0;
      for (const run of runs) {
        const inputs = run.map(({ dataset, id, time }) => record(dataset, `r${id}`, time));
        const fresh = new Set<string>();
        const isNew = inputs.map((r) => {
          const key = sameness(r);
          if (seen.has(key) || fresh.has(key)) return false;
          fresh.add(key);
          return true;
        });
        const result = await store.append(inputs);
        assert.deepEqual(result.seqs.map((seq) => seq !== undefined), isNew);
        assert.deepEqual(result.duplicateIndexes, isNew.flatMap((added, i) => (added ? [] : [i])));
        assert.equal(result.inserted, fresh.size);
        // New records are numbered in input order, above every number handed out before (duplicates leave gaps).
        for (const [i, seq] of result.seqs.entries()) {
          if (seq === undefined) continue;
          assert.ok(seq > highest, `record ${i} got ${seq}, not above ${highest}`);
          highest = seq;
          seen.set(sameness(inputs[i]), seq);
        }
      }
      const stored = await store.readAfter(0, 10_000);
      assert.deepEqual(
        stored.map((r) => [r.seq, sameness(r)]),
        [...seen].map(([key, seq]) => [seq, key]),
      );
      db.close();
    }),
    { numRuns: 60 },
  );
});

test('numbers stay above the highest ever handed out, after the newest records are deleted', async () => {
  const db = openSqlite(':memory:');
  const store = new SqliteRecordStore(db);
  await store.append([record('ds_a', 'x'), record('ds_a', 'y')]);
  await store.deleteSeqs([2]);
  assert.deepEqual((await store.append([record('ds_a', 'z'), record('ds_a', 'x')])).seqs, [3, undefined]);
  db.close();
});

test('a log from before own times takes them from its bodies, so a resent event is still a duplicate', async () => {
  const db = openSqlite(':memory:');
  // The log as its first migration made it: unique on (dataset, _id) alone.
  migrate(db, 'ingest', RECORD_LOG_MIGRATIONS.slice(0, 1));
  const at = Date.parse('2026-11-01T10:00:00Z');
  db.prepare('INSERT INTO records (sandbox_id, dataset_id, record_id, ts, ingested_at, batch_id, body) VALUES (?, ?, ?, ?, ?, NULL, ?)').run('sbx_1', 'ds_a', 'e1', at, at + 5, JSON.stringify({ _id: 'e1', timestamp: '2026-11-01T10:00:00Z' }));
  db.prepare('INSERT INTO records (sandbox_id, dataset_id, record_id, ts, ingested_at, batch_id, body) VALUES (?, ?, ?, ?, ?, NULL, ?)').run('sbx_1', 'ds_a', 'p1', at + 7, at + 7, JSON.stringify({ _id: 'p1', crm: { crmId: 'C1' } }));
  const store = new SqliteRecordStore(db);
  const [e1, p1] = await store.readAfter(0, 10);
  assert.equal(e1.idTime, at, 'the event keeps its own time');
  assert.equal(p1.idTime, undefined, 'a record without a timestamp has no own time');
  const again = await store.append([
    record('ds_a', 'e1', at), // the same event sent again
    { ...record('ds_a', 'p1'), timestamp: at + 99 }, // the same untimed record, read at another time
    record('ds_a', 'e1', at + 1), // the same _id at another time: another event
  ]);
  assert.deepEqual(again.duplicateIndexes, [0, 1]);
  assert.equal(again.inserted, 1);
  db.close();
});
