import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MeridianError } from '../errors.ts';
import { openLakeFixture, type LakeFixture } from './lake-fixture.ts';
import { openSandboxDatabase } from './sandbox-database.ts';

let fx: LakeFixture;
let secretFile: string;

before(async () => {
  fx = await openLakeFixture();
  const web = await fx.dataset('sbx_a', 'web_events');
  await fx.dataset('sbx_a', 'empty_events');
  await fx.ingest('sbx_a', web, [
    {
      _id: 'e1',
      timestamp: '2026-11-01T10:00:00Z',
      eventType: 'web.webpagedetails.pageViews',
      web: { webPageDetails: { name: 'home', pageViews: { value: 1 } } },
      identityMap: { Email: [{ id: 'ann@example.com', primary: true }] },
      productListItems: [{ SKU: 'sku-1', quantity: 2, priceTotal: 19.5 }],
    },
    { _id: 'e2', timestamp: '2026-11-01T11:00:00+01:00', web: { webPageDetails: { name: 'shoes' } } },
  ]);
  const secret = await fx.dataset('sbx_b', 'secret_events');
  await fx.ingest('sbx_b', secret, [{ _id: 'b-secret', timestamp: '2026-11-01T10:00:00Z', web: { webPageDetails: { name: 'sandbox b only' } } }]);
  await fx.lake.flush();
  const [file] = (await fx.lake.tables('sbx_b'))[0].files;
  secretFile = file.path;
});

after(() => fx.close());

async function rejected(sql: string, code: string, options: { timeoutMs?: number; maxRows?: number } = {}): Promise<MeridianError> {
  try {
    await fx.sql('sbx_a', sql, options);
  } catch (err) {
    assert.ok(err instanceof MeridianError, `${sql}: ${String(err)}`);
    assert.equal(err.code, code, `${sql}: ${err.message}`);
    return err;
  }
  assert.fail(`${sql} should have failed with ${code}`);
}

test('datasets are tables with typed, nested columns converted to plain JSON', async () => {
  const out = await fx.sql(
    'sbx_a',
    `SELECT _id, timestamp, web.webPageDetails.name AS page, identityMap['Email'][1].id AS email, identityMap,
            productListItems[1].quantity AS qty, productListItems, _seq
     FROM web_events ORDER BY _seq`,
  );
  assert.deepEqual(out.rows[0], {
    _id: 'e1',
    timestamp: '2026-11-01T10:00:00.000Z',
    page: 'home',
    email: 'ann@example.com',
    identityMap: { Email: [{ id: 'ann@example.com', authenticatedState: null, primary: true }] },
    qty: 2,
    productListItems: [{ SKU: 'sku-1', name: null, quantity: 2, priceTotal: 19.5, currencyCode: null, productAddMethod: null, productCategories: null }],
    _seq: 1,
  });
  assert.equal(out.rows[1].timestamp, '2026-11-01T10:00:00.000Z', 'offsets are normalized to UTC');
  assert.deepEqual(out.columns.slice(0, 3), [
    { name: '_id', type: 'VARCHAR' },
    { name: 'timestamp', type: 'TIMESTAMP WITH TIME ZONE' },
    { name: 'page', type: 'VARCHAR' },
  ]);
  assert.equal(out.rowCount, 2);
  assert.equal(out.truncated, false);
  assert.ok(out.elapsedMs >= 0);
});

test('an empty dataset is a queryable, correctly typed empty table', async () => {
  assert.deepEqual((await fx.sql('sbx_a', 'SELECT count(*) AS n FROM empty_events')).rows, [{ n: 0 }]);
  const described = await fx.sql('sbx_a', 'DESCRIBE empty_events');
  const types = Object.fromEntries(described.rows.map((r) => [r.column_name, r.column_type]));
  assert.equal(types.timestamp, 'TIMESTAMP WITH TIME ZONE');
  assert.match(String(types.web), /^STRUCT\(webPageDetails STRUCT\("name" VARCHAR/);
  const tables = (await fx.sql('sbx_a', 'SHOW TABLES')).rows.map((r) => r.name);
  assert.deepEqual(tables, ['empty_events', 'web_events'], 'only this sandbox’s datasets');
});

test("another sandbox's data is never visible, not even by guessing its file path", async () => {
  await rejected('SELECT * FROM secret_events', 'QUERY_FAILED');
  await rejected(`SELECT * FROM read_parquet('${secretFile}')`, 'QUERY_REJECTED');
  await rejected(`SELECT * FROM read_parquet('${join(fx.dataDir, 'lake')}/**/*.parquet')`, 'QUERY_REJECTED');
  const ownDir = join(fx.dataDir, 'lake', 'sandbox=sbx_a');
  await rejected(`SELECT * FROM read_parquet('${ownDir}/../sandbox=sbx_b/**/*.parquet')`, 'QUERY_REJECTED');
  await rejected(`SELECT * FROM glob('${join(fx.dataDir, 'lake')}/*')`, 'QUERY_REJECTED');
  await rejected(`SELECT * FROM parquet_metadata('${secretFile}')`, 'QUERY_REJECTED');
  const b = await fx.sql('sbx_b', 'SELECT web.webPageDetails.name AS page FROM secret_events');
  assert.deepEqual(b.rows, [{ page: 'sandbox b only' }], 'sandbox b reads its own');
});

test('the DuckDB lockdown refuses files, the network, extensions and settings even for statements that look like queries', async () => {
  await rejected(`SELECT * FROM read_csv('/etc/passwd')`, 'QUERY_REJECTED');
  await rejected(`SELECT * FROM read_text('/etc/passwd')`, 'QUERY_REJECTED');
  await rejected(`SELECT * FROM read_blob('/etc/passwd')`, 'QUERY_REJECTED');
  await rejected(`WITH x AS (SELECT * FROM read_json('/etc/passwd')) SELECT * FROM x`, 'QUERY_REJECTED');
  await rejected(`SELECT * FROM 'https://example.com/data.parquet'`, 'QUERY_REJECTED');
  const settings = await fx.sql(
    'sbx_a',
    `SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions', 'allowed_directories') ORDER BY name`,
  );
  assert.deepEqual(settings.rows, [
    { name: 'allowed_directories', value: '[]' },
    { name: 'autoinstall_known_extensions', value: 'false' },
    { name: 'autoload_known_extensions', value: 'false' },
    { name: 'enable_external_access', value: 'false' },
    { name: 'lock_configuration', value: 'true' },
  ]);
});

test('statements that write, load or reconfigure are refused with QUERY_REJECTED', async () => {
  for (const sql of [
    `COPY (SELECT * FROM web_events) TO '/tmp/meridian-leak.csv'`,
    `EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/meridian-leak.csv'`,
    `ATTACH '/tmp/meridian-leak.db' AS leak`,
    `INSTALL httpfs`,
    `LOAD httpfs`,
    `SET enable_external_access = true`,
    `RESET lock_configuration`,
    `PRAGMA enable_external_access`,
    `CREATE TABLE t AS SELECT 1`,
    `DROP VIEW web_events`,
    `SELECT 1; SELECT 2`,
    `PIVOT web_events ON eventType`,
  ]) {
    const err = await rejected(sql, 'QUERY_REJECTED');
    assert.equal(err.status, 422);
  }
});

test('the locked DuckDB itself refuses what the text check would catch: writes, attach, extensions, settings, other files', async () => {
  const tables = await fx.lake.tables('sbx_a');
  const ownFile = tables.find((t) => t.name === 'web_events')?.files[0].path;
  assert.ok(ownFile);
  const database = await openSandboxDatabase(tables, { threads: '1', memory_limit: '256MB' });
  try {
    const refused: [string, RegExp][] = [
      [`COPY (SELECT 1) TO '/tmp/meridian-leak.csv'`, /Permission Error/],
      [`COPY (SELECT 1) TO '${ownFile}.csv'`, /Permission Error/],
      [`ATTACH '/tmp/meridian-leak.db' AS leak`, /Permission Error/],
      [`EXPORT DATABASE '/tmp/meridian-leak'`, /Permission Error/],
      [`INSTALL httpfs`, /Permission Error/],
      [`LOAD httpfs`, /Permission Error/],
      [`SET enable_external_access = true`, /configuration has been locked/],
      [`SET allowed_directories = ['/']`, /configuration has been locked/],
      [`SET allowed_paths = ['/etc/passwd']`, /configuration has been locked/],
      [`SELECT * FROM read_csv('/etc/passwd')`, /Permission Error/],
      [`SELECT * FROM read_parquet('${secretFile}')`, /Permission Error/],
    ];
    for (const [sql, reason] of refused) await assert.rejects(database.connection.run(sql), reason, sql);
    const own = await database.connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${ownFile}')`);
    assert.equal(Number(own.getRows()[0][0]), 2, "the sandbox's own files stay readable");
  } finally {
    database.close();
  }
});

test('a query past its time limit is interrupted with QUERY_TIMEOUT, and the service keeps working', async () => {
  const started = Date.now();
  const err = await rejected('SELECT count(*) FROM range(1000000000000::BIGINT) a, range(10) b', 'QUERY_TIMEOUT', { timeoutMs: 300 });
  assert.equal(err.status, 408);
  assert.ok(Date.now() - started < 5000, 'stopped promptly');
  assert.deepEqual((await fx.sql('sbx_a', 'SELECT 42 AS answer')).rows, [{ answer: 42 }]);
});

test('at most maxRows rows come back, with truncated telling whether there were more', async () => {
  const many = await fx.sql('sbx_a', 'SELECT range AS n FROM range(5000)', { maxRows: 100 });
  assert.equal(many.rows.length, 100);
  assert.equal(many.rowCount, 100);
  assert.equal(many.truncated, true);
  assert.deepEqual(many.rows[99], { n: 99 });
  const exact = await fx.sql('sbx_a', 'SELECT range AS n FROM range(100)', { maxRows: 100 });
  assert.equal(exact.truncated, false);
  assert.equal(exact.rows.length, 100);
});

test('results include records accepted just before the query (the lake flushes first)', async () => {
  const web = await fx.catalog.get('sbx_a', 'web_events');
  await fx.ingest('sbx_a', web, [{ _id: 'fresh', timestamp: '2026-11-02T00:00:00Z' }]);
  const out = await fx.sql('sbx_a', "SELECT count(*) AS n FROM web_events WHERE _id = 'fresh'");
  assert.deepEqual(out.rows, [{ n: 1 }]);
});

test('values beyond JSON numbers stay exact as strings; JSON, dates and maps come back as JSON', async () => {
  const out = await fx.sql(
    'sbx_a',
    `SELECT 9007199254740993::BIGINT AS big, 12::BIGINT AS small, DATE '2026-11-01' AS day, '{"a":[1]}'::JSON AS doc,
            MAP {1: 'x'} AS int_map, 'NaN'::DOUBLE AS nan, 1.25::DECIMAL(5,2) AS dec, TIMESTAMP '2026-11-01 10:00:00' AS naive`,
  );
  assert.deepEqual(out.rows[0], {
    big: '9007199254740993',
    small: 12,
    day: '2026-11-01',
    doc: { a: [1] },
    int_map: [{ key: 1, value: 'x' }],
    nan: 'NaN',
    dec: 1.25,
    naive: '2026-11-01T10:00:00.000',
  });
  assert.equal(out.columns.find((c) => c.name === 'doc')?.type, 'JSON');
});
