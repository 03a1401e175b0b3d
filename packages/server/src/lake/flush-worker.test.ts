import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { planColumnsFromCatalog, type ColumnPlanner } from './column-plans.ts';
import { FlushWorker, FlushWorkerCrashed } from './flush-worker-client.ts';
import { openLakeFixture, type LakeFixture } from './lake-fixture.ts';
import { LakeWriter } from './lake-writer.ts';
import { SqliteLakeStore } from './sqlite-lake-store.ts';

const event = (id: string) => ({ _id: id, timestamp: '2026-11-01T10:00:00Z', web: { webPageDetails: { name: 'home' } } });

/** A flush worker over the fixture's database and lake, driven like the `Lake` drives it. */
function flushWorkerFor(fx: LakeFixture, planColumns: ColumnPlanner) {
  const crashes: FlushWorkerCrashed[] = [];
  const worker = new FlushWorker({
    workerData: { databasePath: join(fx.dataDir, 'meridian.db'), durability: 'normal', autoCheckpointPages: 1000, lakeRoot: fx.lake.root },
    planColumns,
    onCrash: (err) => crashes.push(err),
  });
  const writer = new LakeWriter({ records: fx.records, store: new SqliteLakeStore(fx.db), slices: worker });
  return { worker, writer, crashes };
}

test('a flush worker that dies mid-slice is reported and replaced, and the slice is written exactly once', async () => {
  const fx = await openLakeFixture();
  const planFromCatalog = planColumnsFromCatalog(fx.catalog, fx.schemas);
  let killMidSlice = true;
  const { worker, writer, crashes } = flushWorkerFor(fx, async (datasets) => {
    if (killMidSlice) {
      killMidSlice = false;
      await worker.kill(); // the thread has read the slice and waits for its column plan
    }
    return planFromCatalog(datasets);
  });
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1'), event('e2'), event('e3')]);
    assert.equal(await writer.drain(), true);
    assert.equal(crashes.length, 1, 'the crash is reported');
    assert.match(crashes[0].message, /flush worker stopped unexpectedly/);
    assert.deepEqual((await fx.sql('sbx_a', 'SELECT _id FROM web_events ORDER BY _seq')).rows, [{ _id: 'e1' }, { _id: 'e2' }, { _id: 'e3' }]);

    await worker.kill();
    assert.equal(crashes.length, 2, 'a thread dying while idle is reported too');
    await fx.ingest('sbx_a', web, [event('e4')]);
    await writer.drain();
    assert.equal((await fx.sql('sbx_a', 'SELECT count(*) AS n FROM web_events')).rows[0].n, 4, 'the next slice starts a new thread');
  } finally {
    await worker.close();
    await fx.close();
  }
});

test('a slice that fails in the flush worker fails the flush, commits nothing, and the worker keeps serving', async () => {
  const fx = await openLakeFixture();
  const planFromCatalog = planColumnsFromCatalog(fx.catalog, fx.schemas);
  let failNextPlan = true;
  const { worker, writer, crashes } = flushWorkerFor(fx, async (datasets) => {
    if (failNextPlan) {
      failNextPlan = false;
      throw new Error('the schema service is unavailable');
    }
    return planFromCatalog(datasets);
  });
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1')]);
    await assert.rejects(writer.drain(), /the schema service is unavailable/);
    assert.equal(await writer.pending(), 1, 'the watermark did not move');
    await writer.drain();
    assert.equal(await writer.pending(), 0);
    assert.equal(crashes.length, 0, 'a failed slice is not a crash');
  } finally {
    await worker.close();
    await fx.close();
  }
});

test('a lake over an in-memory database flushes in-process', async () => {
  const fx = await openLakeFixture({ inMemoryDatabase: true });
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1'), event('e2')]);
    assert.deepEqual((await fx.sql('sbx_a', 'SELECT _id FROM web_events ORDER BY _seq')).rows, [{ _id: 'e1' }, { _id: 'e2' }]);
  } finally {
    await fx.close();
  }
});
