import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteRecordStore } from './sqlite-record-store.ts';
import { SqliteBatchStore } from './batch/sqlite-batch-store.ts';
import { moveRecordLog, recordLogPath } from './record-log-file.ts';
import type { Batch } from './batch/model.ts';

const record = (recordId: string) => ({ sandboxId: 'sbx_1', datasetId: 'ds_1', recordId, timestamp: 1_700_000_000_000, body: JSON.stringify({ _id: recordId }) });

test('a data directory from before the split gets its log, rejections and batches moved once, sequence numbers kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-record-log-'));
  try {
    const mainPath = join(dir, 'meridian.db');
    const old = openSqlite(mainPath);
    const oldRecords = new SqliteRecordStore(old);
    await oldRecords.append([record('a'), record('b'), record('c')], [
      { sandboxId: 'sbx_1', datasetId: 'ds_1', source: 'stream', index: 3, errors: [{ path: '/x', message: 'bad' }], body: '{"x":1}' },
    ]);
    await oldRecords.deleteSeqs([3]); // the newest record gone: its number must still never come back
    await new SqliteBatchStore(old).put('sbx_1', { id: 'bat_1', datasetId: 'ds_1', status: 'success' } as Batch);
    old.close();

    const recordsDb = openSqlite(recordLogPath(dir));
    const records = new SqliteRecordStore(recordsDb);
    const batches = new SqliteBatchStore(recordsDb);
    assert.deepEqual(moveRecordLog(recordsDb, mainPath), { moved: 2 });
    assert.deepEqual((await records.readAfter(0, 10)).map((r) => [r.seq, r.recordId]), [[1, 'a'], [2, 'b']]);
    assert.equal((await records.listRejections('sbx_1', { limit: 10 }))[0].errors[0].path, '/x');
    assert.equal((await batches.get('sbx_1', 'bat_1'))?.status, 'success');
    const { seqs } = await records.append([record('d')]);
    assert.deepEqual(seqs, [4]);

    const main = openSqlite(mainPath);
    const left = main.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'rejected_records', 'batches')`).all();
    main.close();
    assert.deepEqual(left, []);
    assert.deepEqual(moveRecordLog(recordsDb, mainPath), { moved: 0 });
    recordsDb.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
