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
