import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLakeFixture } from './lake-fixture.ts';
import { planColumnsFromCatalog } from './column-plans.ts';
import { LakeWriter } from './lake-writer.ts';
import { SliceWriter } from './slice-writer.ts';
import { ParquetWriter, readSizeFor } from './parquet-writer.ts';
import { SqliteLakeStore } from './sqlite-lake-store.ts';
import type { LakeStore } from './lake-store.ts';

const event = (id: string, timestamp: string, page = 'home') => ({ _id: id, timestamp, web: { webPageDetails: { name: page } } });

function parquetFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).sort();
}

test('every accepted record lands in Parquet once, partitioned by sandbox, dataset and UTC day', async () => {
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    const other = await fx.dataset('sbx_a', 'app_events');
    await fx.ingest('sbx_a', web, [event('e1', '2026-11-01T10:00:00Z'), event('e2', '2026-11-01T23:30:00-02:00'), event('e3', '2026-11-01T23:59:59Z')]);
    await fx.ingest('sbx_a', other, [event('a1', '2026-11-01T10:00:00Z')]);
    await fx.lake.flush();

    const lakeDir = join(fx.dataDir, 'lake');
    assert.deepEqual(parquetFilesUnder(join(lakeDir, 'sandbox=sbx_a', `dataset=${web.id}`)), [
      join('day=2026-11-01', 'part-00000000000000000001.parquet'),
      join('day=2026-11-02', 'part-00000000000000000002.parquet'),
    ]);
    assert.deepEqual(parquetFilesUnder(join(lakeDir, 'sandbox=sbx_a', `dataset=${other.id}`)), [join('day=2026-11-01', 'part-00000000000000000004.parquet')]);
    assert.equal(await new SqliteLakeStore(fx.db).watermark(), await fx.records.lastSeq());
    assert.equal(await fx.lake.pending(), 0);

    const rows = (await fx.sql('sbx_a', 'SELECT _id, web.webPageDetails.name AS page, _seq FROM web_events ORDER BY _seq')).rows;
    assert.deepEqual(rows, [
      { _id: 'e1', page: 'home', _seq: 1 },
      { _id: 'e2', page: 'home', _seq: 2 },
      { _id: 'e3', page: 'home', _seq: 3 },
    ]);

    await fx.lake.flush();
    assert.equal(parquetFilesUnder(lakeDir).length, 3, 'a flush with nothing new writes nothing');
    await fx.ingest('sbx_a', web, [event('e4', '2026-11-01T11:00:00Z')]);
    await fx.lake.flush();
    assert.ok(parquetFilesUnder(lakeDir).some((f) => f.endsWith('part-00000000000000000005.parquet')));
    assert.equal((await fx.sql('sbx_a', 'SELECT count(*) AS n FROM web_events')).rows[0].n, 4);
  } finally {
    await fx.close();
  }
});

test('a crash after writing a slice but before the watermark moved re-writes the same files, never duplicating rows', async () => {
  const fx = await openLakeFixture();
  const parquet = await ParquetWriter.open(join(fx.dataDir, 'lake'));
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1', '2026-11-01T10:00:00Z'), event('e2', '2026-11-01T11:00:00Z')]);
    const store = new SqliteLakeStore(fx.db);
    const crashingStore: LakeStore = Object.assign(Object.create(store) as LakeStore, {
      commitSlice: async () => {
        throw new Error('crash before commit');
      },
    });
    const slices = new SliceWriter({ records: fx.records, store: crashingStore, parquet, planColumns: planColumnsFromCatalog(fx.catalog, fx.schemas) });
    const crashing = new LakeWriter({ records: fx.records, store, slices });
    await assert.rejects(crashing.drain(), /crash before commit/);
    const dayDir = join(fx.dataDir, 'lake', 'sandbox=sbx_a', `dataset=${web.id}`, 'day=2026-11-01');
    assert.deepEqual(parquetFilesUnder(dayDir), ['part-00000000000000000001.parquet'], 'the file was written');
    assert.equal(await store.watermark(), 0, 'the watermark did not move');

    await fx.ingest('sbx_a', web, [event('e3', '2026-11-01T12:00:00Z')]);
    await fx.lake.flush();
    assert.deepEqual(parquetFilesUnder(dayDir), ['part-00000000000000000001.parquet'], 'the same file, written again');
    const rows = (await fx.sql('sbx_a', 'SELECT _id FROM web_events ORDER BY _seq')).rows;
    assert.deepEqual(rows, [{ _id: 'e1' }, { _id: 'e2' }, { _id: 'e3' }]);
  } finally {
    parquet.close();
    await fx.close();
  }
});

test('on start, files the catalog does not list (crash leftovers) are removed and listed files kept', async () => {
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1', '2026-11-01T10:00:00Z')]);
    await fx.lake.flush();
    const dayDir = join(fx.dataDir, 'lake', 'sandbox=sbx_a', `dataset=${web.id}`, 'day=2026-11-01');
    writeFileSync(join(dayDir, 'part-00000000000000000099.parquet'), 'orphan');
    writeFileSync(join(dayDir, '.half-written.parquet.tmp'), 'partial');
    mkdirSync(join(fx.dataDir, 'lake', '_staging'), { recursive: true });
    writeFileSync(join(fx.dataDir, 'lake', '_staging', 'slice.jsonl'), '{}');
    await fx.reopenLake();
    assert.deepEqual(readdirSync(dayDir), ['part-00000000000000000001.parquet']);
    assert.deepEqual(readdirSync(join(fx.dataDir, 'lake', '_staging')), [], 'staging is emptied');
    assert.equal((await fx.sql('sbx_a', 'SELECT count(*) AS n FROM web_events')).rows[0].n, 1);
  } finally {
    await fx.close();
  }
});

test('files written before a schema gained fields stay readable next to files written after', async () => {
  const fx = await openLakeFixture();
  try {
    await fx.schemas.seedSandbox('sbx_a');
    const v1 = {
      name: 'app_event',
      class: 'event' as const,
      fields: {
        app: { type: 'object' as const, properties: { name: { type: 'string' as const } } },
        items: { type: 'array' as const, items: { type: 'object' as const, properties: { sku: { type: 'string' as const } } } },
      },
    };
    const schema = await fx.schemas.create('sbx_a', v1);
    const ds = await fx.dataset('sbx_a', 'app_events', schema.id);
    await fx.ingest('sbx_a', ds, [{ _id: 'old', timestamp: '2026-11-01T10:00:00Z', app: { name: 'shop' }, items: [{ sku: 's1' }] }]);
    await fx.lake.flush();

    await fx.schemas.update('sbx_a', schema.id, {
      ...v1,
      fields: {
        app: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
        items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } } },
        score: { type: 'number' },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
      },
    });
    await fx.ingest('sbx_a', ds, [{ _id: 'new', timestamp: '2026-11-01T11:00:00Z', app: { name: 'shop', version: '2.0' }, items: [{ sku: 's2', qty: 3 }], score: 0.5, tags: { a: 'b' } }]);

    const out = await fx.sql('sbx_a', 'SELECT _id, app.version, items, score, tags FROM app_events ORDER BY _seq');
    assert.deepEqual(out.rows, [
      { _id: 'old', version: null, items: [{ sku: 's1', qty: null }], score: null, tags: null },
      { _id: 'new', version: '2.0', items: [{ sku: 's2', qty: 3 }], score: 0.5, tags: { a: 'b' } },
    ]);
    const onlyOld = await fx.sql('sbx_a', "SELECT * FROM app_events WHERE _id = 'old'");
    assert.equal(onlyOld.rows.length, 1);
    assert.deepEqual(
      onlyOld.columns.filter((c) => ['app', 'score', 'tags'].includes(c.name)),
      [
        { name: 'app', type: 'STRUCT("name" VARCHAR, "version" VARCHAR)' },
        { name: 'score', type: 'DOUBLE' },
        { name: 'tags', type: 'MAP(VARCHAR, VARCHAR)' },
      ],
    );
  } finally {
    await fx.close();
  }
});

test('retention drops whole days before the cutoff and rewrites the boundary day without its expired rows', async () => {
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [
      event('d1a', '2026-11-01T09:00:00Z'),
      event('d1b', '2026-11-01T18:00:00Z'),
      event('d2-early', '2026-11-02T10:00:00Z'),
      event('d2-late', '2026-11-02T14:00:00Z'),
      event('d3', '2026-11-03T08:00:00Z'),
    ]);
    const cutoff = Date.parse('2026-11-02T12:00:00Z');
    assert.equal(await fx.lake.expire('sbx_a', web.id, cutoff), 3, 'the lake flushes first, then removes 3 rows');
    const datasetDir = join(fx.dataDir, 'lake', 'sandbox=sbx_a', `dataset=${web.id}`);
    assert.deepEqual(parquetFilesUnder(join(datasetDir, 'day=2026-11-01')), []);
    assert.deepEqual(parquetFilesUnder(join(datasetDir, 'day=2026-11-02')), [`part-00000000000000000003-x${cutoff}.parquet`]);
    const ids = (await fx.sql('sbx_a', 'SELECT _id FROM web_events ORDER BY _seq')).rows.map((r) => r._id);
    assert.deepEqual(ids, ['d2-late', 'd3']);
    assert.equal(await fx.lake.expire('sbx_a', web.id, cutoff), 0, 'expiring again changes nothing');
    assert.equal(await fx.lake.expire('sbx_a', web.id, Date.parse('2026-11-03T00:00:00Z')), 1, 'a cutoff at midnight drops the day before whole');
    assert.deepEqual((await fx.sql('sbx_a', 'SELECT _id FROM web_events')).rows, [{ _id: 'd3' }]);
  } finally {
    await fx.close();
  }
});

test('a privacy deletion removes exactly the given records from the lake, in whichever files they are', async () => {
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [
      event('keep1', '2026-11-01T10:00:00Z'),
      event('gone1', '2026-11-01T11:00:00Z'),
      event('gone2', '2026-11-02T10:00:00Z'),
      event('keep2', '2026-11-03T10:00:00Z'),
    ]);
    const seqs = (await fx.sql('sbx_a', "SELECT _seq FROM web_events WHERE _id LIKE 'gone%'")).rows.map((r) => Number(r._seq));
    assert.equal(await fx.lake.deleteRecords('sbx_a', [...seqs, 999]), 2);
    assert.deepEqual((await fx.sql('sbx_a', 'SELECT _id FROM web_events ORDER BY _seq')).rows, [{ _id: 'keep1' }, { _id: 'keep2' }]);
    const datasetDir = join(fx.dataDir, 'lake', 'sandbox=sbx_a', `dataset=${web.id}`);
    assert.deepEqual(parquetFilesUnder(join(datasetDir, 'day=2026-11-02')), [], 'a file left empty is removed');
    assert.equal(parquetFilesUnder(join(datasetDir, 'day=2026-11-01')).length, 1, 'a file with other rows is rewritten');
    assert.equal(await fx.lake.deleteRecords('sbx_a', seqs), 0, 'deleting again finds nothing');
    assert.equal(await fx.lake.deleteRecords('sbx_b', [1]), 0, 'another sandbox is untouched');
  } finally {
    await fx.close();
  }
});

test('deleting a dataset or a sandbox removes its files, but not while a running query reads them', async () => {
  const fx = await openLakeFixture();
  try {
    const a = await fx.dataset('sbx_a', 'web_events');
    const kept = await fx.dataset('sbx_a', 'kept_events');
    const b = await fx.dataset('sbx_b', 'web_events');
    await fx.ingest('sbx_a', a, [event('a1', '2026-11-01T10:00:00Z')]);
    await fx.ingest('sbx_a', kept, [event('k1', '2026-11-01T10:00:00Z')]);
    await fx.ingest('sbx_b', b, [event('b1', '2026-11-01T10:00:00Z')]);
    await fx.lake.flush();
    const dirA = join(fx.dataDir, 'lake', 'sandbox=sbx_a', `dataset=${a.id}`);
    const release = fx.lake.enterRead();
    await fx.lake.deleteDataset('sbx_a', a.id);
    assert.ok(existsSync(dirA), 'kept while a query may read it');
    assert.deepEqual((await fx.lake.tables('sbx_a')).find((t) => t.datasetId === a.id)?.files, [], 'but no longer listed');
    await release();
    assert.ok(!existsSync(dirA), 'removed once the query is done');

    await fx.lake.deleteSandbox('sbx_b');
    assert.ok(!existsSync(join(fx.dataDir, 'lake', 'sandbox=sbx_b')));
    assert.equal(parquetFilesUnder(join(fx.dataDir, 'lake', 'sandbox=sbx_a', `dataset=${kept.id}`)).length, 1, 'other datasets keep theirs');
  } finally {
    await fx.close();
  }
});

test('records of a deleted dataset are skipped and the watermark moves past them', async () => {
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1', '2026-11-01T10:00:00Z')]);
    await fx.catalog.delete('sbx_a', web.id);
    await fx.lake.flush();
    assert.deepEqual(parquetFilesUnder(join(fx.dataDir, 'lake')), []);
    assert.equal(await fx.lake.pending(), 0);
  } finally {
    await fx.close();
  }
});

test('slices are bounded, and the flush reports pending records and slice durations', async () => {
  const pending: number[] = [];
  const durations: number[] = [];
  const fx = await openLakeFixture({ sliceSize: 2, metrics: { pendingRecords: (n) => pending.push(n), flushSeconds: (s) => durations.push(s) } });
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [1, 2, 3, 4, 5].map((i) => event(`e${i}`, '2026-11-01T10:00:00Z')));
    assert.equal(await fx.lake.pending(), 5);
    await fx.lake.flush();
    assert.equal(durations.length, 3, 'five records in slices of two');
    assert.ok(durations.every((s) => s >= 0 && s < 10));
    assert.equal(pending.at(-1), 0);
    const files = parquetFilesUnder(join(fx.dataDir, 'lake'));
    assert.equal(files.length, 3);
    assert.equal((await fx.sql('sbx_a', 'SELECT count(DISTINCT _id) AS n FROM web_events')).rows[0].n, 5);
  } finally {
    await fx.close();
  }
});

test('a deletion asked for while a long backlog is being written goes before the rest of the backlog', async () => {
  const order: string[] = [];
  let onFirstSlice: (() => void) | undefined;
  const fx = await openLakeFixture({
    sliceSize: 1,
    metrics: {
      pendingRecords: () => undefined,
      flushSeconds: () => {
        order.push('slice');
        onFirstSlice?.();
        onFirstSlice = undefined;
      },
    },
  });
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [1, 2, 3, 4, 5].map((i) => event(`e${i}`, '2026-11-01T10:00:00Z')));
    let deleted: Promise<void> | undefined;
    onFirstSlice = () => (deleted = fx.lake.deleteSandbox('sbx_other').then(() => void order.push('deleted')));
    await fx.lake.flush();
    await deleted;
    assert.deepEqual(order, ['slice', 'deleted', 'slice', 'slice', 'slice', 'slice']);
  } finally {
    await fx.close();
  }
});

test('a logged value that does not fit its column (written before a schema change) becomes NULL without holding up its slice', async () => {
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    await fx.ingest('sbx_a', web, [event('e1', '2026-11-01T10:00:00Z')]);
    // Straight into the log, past validation, as a record accepted under an older schema would be.
    const body = { _id: 'e2', timestamp: '2026-11-01T11:00:00Z', web: { webPageDetails: { name: 'cart' } }, eventType: { not: 'a string' } };
    await fx.records.append([{ sandboxId: 'sbx_a', datasetId: web.id, recordId: 'e2', timestamp: Date.parse(body.timestamp), body: JSON.stringify({ ...body, timestamp: 'not a time' }) }]);
    await fx.ingest('sbx_a', web, [event('e3', '2026-11-01T12:00:00Z', 'checkout')]);
    await fx.lake.flush();
    const rows = (await fx.sql('sbx_a', 'SELECT _id, timestamp IS NULL AS no_time, web.webPageDetails.name AS page FROM web_events ORDER BY _seq')).rows;
    assert.deepEqual(rows, [
      { _id: 'e1', no_time: false, page: 'home' },
      { _id: 'e2', no_time: true, page: 'cart' },
      { _id: 'e3', no_time: false, page: 'checkout' },
    ]);
  } finally {
    await fx.close();
  }
});

test('DuckDB reads each staging file with a buffer sized to its longest line, so a record of several MiB still lands', async () => {
  assert.equal(readSizeFor(7), 1024 * 1024, 'at least 1 MiB');
  assert.equal(readSizeFor(1024 * 1024), 2 * 1024 * 1024, 'above the longest line');
  assert.equal(readSizeFor(3 * 1024 * 1024), 4 * 1024 * 1024);
  const fx = await openLakeFixture();
  try {
    const web = await fx.dataset('sbx_a', 'web_events');
    const long = 'ü'.repeat(1_500_000); // 3 MB of UTF-8: beyond a 1 MiB buffer
    await fx.ingest('sbx_a', web, [event('small', '2026-11-01T10:00:00Z'), event('big', '2026-11-01T10:00:01Z', long)]);
    await fx.lake.flush();
    const rows = (await fx.sql('sbx_a', 'SELECT _id, length(web.webPageDetails.name) AS n FROM web_events ORDER BY _seq')).rows;
    assert.deepEqual(rows, [
      { _id: 'small', n: 4 },
      { _id: 'big', n: 1_500_000 },
    ]);
  } finally {
    await fx.close();
  }
});
