import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer({ MERIDIAN_LAKE_FLUSH_MS: '60000', MERIDIAN_QUERY_MAX_ROWS: '50' });
});
after(() => server.stop());

test('records ingested over HTTP are queryable with SQL, and sandboxes never see each other', async () => {
  const ds = await server.api('POST', '/api/v1/datasets', { name: 'web_events', schemaId: 'experience-event' });
  assert.equal(ds.status, 201, JSON.stringify(ds.body));
  const ingest = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [
    { _id: 'e1', timestamp: '2026-11-01T10:00:00Z', web: { webPageDetails: { name: 'home' } }, identityMap: { Email: [{ id: 'ann@example.com' }] } },
    { _id: 'e2', timestamp: '2026-11-01T10:05:00Z', web: { webPageDetails: { name: 'shoes' } } },
    { _id: 'e3', timestamp: '2026-11-02T09:00:00Z', web: { webPageDetails: { name: 'home' } } },
  ]);
  assert.equal(ingest.status, 200, JSON.stringify(ingest.body));

  const res = await server.api('POST', '/api/v1/query', {
    sql: 'SELECT web.webPageDetails.name AS page, count(*) AS views, min(timestamp) AS first FROM web_events GROUP BY 1 ORDER BY 1',
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.rows, [
    { page: 'home', views: 2, first: '2026-11-01T10:00:00.000Z' },
    { page: 'shoes', views: 1, first: '2026-11-01T10:05:00.000Z' },
  ]);
  assert.deepEqual(res.body.columns, [
    { name: 'page', type: 'VARCHAR' },
    { name: 'views', type: 'BIGINT' },
    { name: 'first', type: 'TIMESTAMP WITH TIME ZONE' },
  ]);
  assert.equal(res.body.truncated, false);
  assert.equal(typeof res.body.elapsedMs, 'number');

  const identities = await server.api('POST', '/api/v1/query', { sql: "SELECT identityMap['Email'][1].id AS email FROM web_events WHERE _id = 'e1'" });
  assert.deepEqual(identities.body.rows, [{ email: 'ann@example.com' }]);

  const limited = await server.api('POST', '/api/v1/query', { sql: 'SELECT * FROM range(1000)', limit: 10 });
  assert.equal(limited.body.rowCount, 10);
  assert.equal(limited.body.truncated, true);
  const overLimit = await server.api('POST', '/api/v1/query', { sql: 'SELECT 1', limit: 51 });
  assert.equal(overLimit.status, 400, 'limit above MERIDIAN_QUERY_MAX_ROWS');
  assert.equal(overLimit.body.code, 'VALIDATION_FAILED');

  const created = await server.api('POST', '/api/v1/sandboxes', { name: 'dev' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const devDs = await server.api('POST', '/api/v1/datasets', { name: 'dev_events', schemaId: 'experience-event' }, { sandbox: 'dev' });
  assert.equal(devDs.status, 201);
  await server.api('POST', `/api/v1/ingest/${devDs.body.id}`, { _id: 'd1', timestamp: '2026-11-01T10:00:00Z' }, { sandbox: 'dev' });

  const fromDev = await server.api('POST', '/api/v1/query', { sql: 'SELECT * FROM web_events' }, { sandbox: 'dev' });
  assert.equal(fromDev.status, 422);
  assert.equal(fromDev.body.code, 'QUERY_FAILED', "prod's dataset is not a table in dev");
  const devTables = await server.api('POST', '/api/v1/query', { sql: 'SHOW TABLES' }, { sandbox: 'dev' });
  assert.deepEqual(devTables.body.rows, [{ name: 'dev_events' }]);
  const prodFiles = await server.api('POST', '/api/v1/query', { sql: "SELECT * FROM read_parquet('" + server.dataDir + "/lake/**/*.parquet')" }, { sandbox: 'dev' });
  assert.equal(prodFiles.status, 422);
  assert.equal(prodFiles.body.code, 'QUERY_REJECTED');

  const copy = await server.api('POST', '/api/v1/query', { sql: "COPY web_events TO '/tmp/meridian-out.csv'" });
  assert.equal(copy.status, 422);
  assert.equal(copy.body.code, 'QUERY_REJECTED');
  assert.equal(copy.headers.get('content-type'), 'application/problem+json; charset=utf-8');

  const metrics = await server.api('GET', '/metrics', undefined, { key: null });
  assert.match(String(metrics.body), /meridian_query_duration_seconds_count \d+/);
  assert.match(String(metrics.body), /meridian_lake_pending_records 0/);

  const devLake = join(server.dataDir, 'lake', `sandbox=${created.body.id}`);
  assert.ok(existsSync(devLake), 'dev records reached the lake');
  const deleted = await server.api('DELETE', '/api/v1/sandboxes/dev');
  assert.equal(deleted.status, 204);
  assert.ok(!existsSync(devLake), "deleting a sandbox removes its lake files");
  const afterDelete = await server.api('POST', '/api/v1/query', { sql: 'SELECT count(*) AS n FROM web_events' });
  assert.deepEqual(afterDelete.body.rows, [{ n: 3 }], 'deleting another sandbox leaves prod intact');
});

test('deleting a dataset removes its files and its table', async () => {
  const ds = await server.api('POST', '/api/v1/datasets', { name: 'tmp_events', schemaId: 'experience-event' });
  await server.api('POST', `/api/v1/ingest/${ds.body.id}`, { _id: 't1', timestamp: '2026-11-01T10:00:00Z' });
  const before = await server.api('POST', '/api/v1/query', { sql: 'SELECT _id FROM tmp_events' });
  assert.deepEqual(before.body.rows, [{ _id: 't1' }]);
  const sandboxId = (await server.api('GET', '/api/v1/sandboxes')).body.items.find((s: { name: string }) => s.name === 'prod').id;
  const dir = join(server.dataDir, 'lake', `sandbox=${sandboxId}`, `dataset=${ds.body.id}`);
  assert.ok(existsSync(dir));
  assert.equal((await server.api('DELETE', `/api/v1/datasets/${ds.body.id}`)).status, 204);
  assert.ok(!existsSync(dir));
  const after = await server.api('POST', '/api/v1/query', { sql: 'SELECT _id FROM tmp_events' });
  assert.equal(after.body.code, 'QUERY_FAILED');
});

test('after a privacy delete, no SQL query returns a trace of the person', async () => {
  const ds = await server.api('POST', '/api/v1/datasets', { name: 'people_events', schemaId: 'experience-event', profileEnabled: true });
  assert.equal(ds.status, 201, JSON.stringify(ds.body));
  await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [
    { _id: 'g1', timestamp: '2026-11-01T10:00:00Z', identityMap: { Email: [{ id: 'gone@example.com' }] } },
    { _id: 's1', timestamp: '2026-11-01T10:01:00Z', identityMap: { Email: [{ id: 'stay@example.com' }] } },
  ]);
  const sql = 'SELECT _id FROM people_events ORDER BY _id';
  assert.deepEqual((await server.api('POST', '/api/v1/query', { sql })).body.rows, [{ _id: 'g1' }, { _id: 's1' }]);
  const job = await server.api('POST', '/api/v1/privacy/jobs', { type: 'delete', identity: { namespace: 'Email', value: 'gone@example.com' } });
  assert.equal(job.body.status, 'complete', JSON.stringify(job.body));
  assert.deepEqual((await server.api('POST', '/api/v1/query', { sql })).body.rows, [{ _id: 's1' }]);
});

test('a viewer key may query; an ingest-only key may not', async () => {
  const viewer = await server.api('POST', '/api/v1/api-keys', { name: 'analyst', role: 'viewer' });
  const ingestOnly = await server.api('POST', '/api/v1/api-keys', { name: 'pipeline', role: 'ingest' });
  assert.equal(viewer.status, 201, JSON.stringify(viewer.body));
  const ok = await server.api('POST', '/api/v1/query', { sql: 'SELECT 1 AS one' }, { key: viewer.body.secret });
  assert.deepEqual(ok.body.rows, [{ one: 1 }]);
  const refused = await server.api('POST', '/api/v1/query', { sql: 'SELECT 1 AS one' }, { key: ingestOnly.body.secret });
  assert.equal(refused.status, 403);
  const empty = await server.api('POST', '/api/v1/query', { sql: '' });
  assert.equal(empty.status, 400);
});

// Last in this file: the answer comes at the time limit, but the interrupted query reads the lake
// until it has stopped (its pool thread runs at a lower priority), and files that other tests
// delete meanwhile would wait for it.
test('a query past its time limit is answered 408 QUERY_TIMEOUT', async () => {
  const slow = await server.api('POST', '/api/v1/query', { sql: 'SELECT count(*) FROM range(1000000000000::BIGINT)', timeoutMs: 200 });
  assert.equal(slow.status, 408);
  assert.equal(slow.body.code, 'QUERY_TIMEOUT');
});
