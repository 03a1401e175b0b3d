import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';
import type { NewRecord } from './record-store.ts';

const record = (datasetId: string, recordId: string): NewRecord => ({
  sandboxId: 'sbx_1',
  datasetId,
  recordId,
  timestamp: 1_700_000_000_000,
  body: JSON.stringify({ _id: recordId }),
});

test('appends number the new records in input order and report duplicates, whatever mix a group holds', async () => {
  // Inputs drawn from a small id space so duplicates (earlier appends, and within one append) are common;
  // a plain model of "first writer of (dataset, _id) wins" says which inputs each append must take.
  const appendRuns = fc.array(
    fc.array(fc.record({ dataset: fc.constantFrom('ds_a', 'ds_b'), id: fc.integer({ min: 0, max: 150 }) }), { maxLength: 180 }),
    { minLength: 1, maxLength: 6 },
  );
  await fc.assert(
    fc.asyncProperty(appendRuns, async (runs) => {
      const db = openSqlite(':memory:');
      const store = new SqliteRecordStore(db);
      const seen = new Map<string, number>();
      let highest = 0;
      for (const run of runs) {
        const inputs = run.map(({ dataset, id }) => record(dataset, `r${id}`));
        const fresh = new Set<string>();
        const isNew = inputs.map((r) => {
          const key = `${r.datasetId}/${r.recordId}`;
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
          seen.set(`${inputs[i].datasetId}/${inputs[i].recordId}`, seq);
        }
      }
      const stored = await store.readAfter(0, 10_000);
      assert.deepEqual(
        stored.map((r) => [r.seq, `${r.datasetId}/${r.recordId}`]),
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
