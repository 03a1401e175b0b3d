import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../storage/sqlite.ts';
import { SqliteSchemaStore } from '../schema/sqlite-store.ts';
import { SchemaService } from '../schema/service.ts';
import { SqliteDatasetStore } from './sqlite-store.ts';
import { CatalogService } from './service.ts';
import { SqliteRecordStore } from '../ingest/sqlite-record-store.ts';
import { IngestService } from '../ingest/service.ts';
import { RetentionSweeper } from './retention.ts';

test('records older than a dataset retention expire; younger ones and datasets without retention stay', async () => {
  const db = openSqlite(':memory:');
  const schemas = new SchemaService(new SqliteSchemaStore(db));
  await schemas.seedSandbox('sbx1');
  const catalog = new CatalogService(new SqliteDatasetStore(db), schemas);
  const records = new SqliteRecordStore(db);
  const ingest = new IngestService(records, schemas);
  const kept = await catalog.create('sbx1', { name: 'short', schemaId: 'experience-event', retentionDays: 7 });
  const forever = await catalog.create('sbx1', { name: 'forever', schemaId: 'experience-event' });
  const now = Date.parse('2026-11-22T12:00:00Z');
  const events = [
    { _id: 'old', timestamp: '2026-11-01T00:00:00Z' },
    { _id: 'edge', timestamp: '2026-11-15T12:00:01Z' },
    { _id: 'new', timestamp: '2026-11-22T00:00:00Z' },
  ];
  await ingest.accept('sbx1', kept, structuredClone(events), { source: 'test' });
  await ingest.accept('sbx1', forever, structuredClone(events), { source: 'test' });

  const seen: string[] = [];
  const sweeper = new RetentionSweeper(catalog, [
    (s, d, before) => records.expire(s, d, before),
    async (_s, d, before) => {
      seen.push(`${d}<${new Date(before).toISOString()}`);
      return 0;
    },
  ]);
  assert.equal(await sweeper.sweep(now), 1);
  const left = (await records.listByDataset('sbx1', kept.id, { limit: 10 })).map((r) => r.recordId).sort();
  assert.deepEqual(left, ['edge', 'new']);
  assert.equal(await records.countByDataset('sbx1', forever.id), 3);
  assert.deepEqual(seen, [`${kept.id}<2026-11-15T12:00:00.000Z`], 'every holder of records is told the same cutoff');
  db.close();
});

test('the running server enforces retention in the record log, the lake and the timeline', async () => {
  const { startTestServer } = await import('../testing/harness.ts');
  const server = await startTestServer({ MERIDIAN_RETENTION_INTERVAL_MS: '1000', MERIDIAN_LAKE_FLUSH_MS: '50' });
  try {
    const ds = await server.api('POST', '/api/v1/datasets', { name: 'clicks', schemaId: 'experience-event', profileEnabled: true, retentionDays: 30 });
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    const ecid = '1'.repeat(38);
    await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [
      { _id: 'old', timestamp: old, identityMap: { ECID: [{ id: ecid }] } },
      { _id: 'recent', timestamp: recent, identityMap: { ECID: [{ id: ecid }] } },
    ]);
    // The sweep runs every second; wait (bounded) until each holder shows its effect.
    const eventually = async <T>(read: () => Promise<T>, expected: T) => {
      const deadline = Date.now() + 10_000;
      let value = await read();
      while (JSON.stringify(value) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        value = await read();
      }
      assert.deepEqual(value, expected);
    };
    await eventually(async () => (await server.api('GET', `/api/v1/datasets/${ds.body.id}`)).body.recordCount, 1);
    await eventually(async () => (await server.api('POST', '/api/v1/query', { sql: 'SELECT _id FROM clicks ORDER BY _id' })).body.rows, [{ _id: 'recent' }]);
    await eventually(
      async () => (await server.api('GET', `/api/v1/profiles/events?identity=ECID:${ecid}`)).body.items.map((e: { _id: string }) => e._id),
      ['recent'],
    );
  } finally {
    await server.stop();
  }
});
