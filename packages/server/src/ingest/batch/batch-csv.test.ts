/* eslint-disable @typescript-eslint/no-explicit-any -- integration test: responses are asserted field by field */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../../testing/harness.ts';
import { createDataset, recordsOfBatch, uploadBatch, waitForBatch } from './batch-test-support.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

const HEADER = 'crm.crmId,person.name.firstName,person.birthDate,loyalty.points,person.gender,crm.lastPurchaseDate,crm.emailDeliverable';

test('a CSV with a few bad rows ends partial: bad rows are named by row and field, good rows are all in the dataset', async () => {
  const datasetId = await createDataset(server, 'crm_partial');
  const csv = [
    HEADER,
    'C1,Ada,1815-12-10,12.5,female,2026-01-31 09:30:00,yes',
    'C2,Bob,31/02/2020,3,male,,no',
    'C3,Cy,1990-02-01,3,,2026-01-31T09:30:00+01:00,TRUE',
    'C4,Di,1991-03-04,lots,female,,0',
    'C5,Ed,,7,,20260131T093000Z,',
    'C6,Flo,1992-05-06,8,robot,,1',
    'C7,Gus,1993-06-07,-2,male,2026-02-01,false',
  ].join('\n');
  const upload = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv' });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  assert.equal(upload.body.status, 'processing');
  const batch = await waitForBatch(server, upload.body.id);
  assert.equal(batch.status, 'partial');
  assert.deepEqual(
    { read: batch.rowsRead, accepted: batch.rowsAccepted, rejected: batch.rowsRejected, duplicate: batch.rowsDuplicate, progress: batch.progress },
    { read: 7, accepted: 4, rejected: 3, duplicate: 0, progress: 1 },
  );

  const rejections = await server.api('GET', `/api/v1/batches/${batch.id}/rejections`);
  assert.equal(rejections.status, 200);
  const byRow = rejections.body.items.map((r: any) => ({ row: r.row, paths: r.errors.map((e: any) => e.path) }));
  assert.deepEqual(byRow, [
    { row: 2, paths: ['person.birthDate'] },
    { row: 4, paths: ['loyalty.points'] },
    { row: 6, paths: ['person.gender'] },
  ]);
  const messages = rejections.body.items.map((r: any) => r.errors[0].message);
  assert.match(messages[0], /must be a date \(YYYY-MM-DD\), got "31\/02\/2020"/);
  assert.match(messages[1], /must be a number, got "lots"/);
  assert.match(messages[2], /must be one of/);
  assert.equal(rejections.body.items[0].original['person.birthDate'], '31/02/2020', 'the original row is kept as read');

  const records = await recordsOfBatch(server, datasetId, batch.id);
  assert.deepEqual([...records.keys()].sort(), [`${batch.id}:1`, `${batch.id}:3`, `${batch.id}:5`, `${batch.id}:7`]);
  const ada = records.get(`${batch.id}:1`);
  assert.deepEqual(ada, {
    _id: `${batch.id}:1`,
    crm: { crmId: 'C1', lastPurchaseDate: '2026-01-31T09:30:00.000Z', emailDeliverable: true },
    person: { name: { firstName: 'Ada' }, birthDate: '1815-12-10', gender: 'female' },
    loyalty: { points: 12.5 },
  });
  assert.equal(records.get(`${batch.id}:3`).crm.lastPurchaseDate, '2026-01-31T08:30:00.000Z', 'offsets are normalized to UTC');
  assert.equal(records.get(`${batch.id}:5`).crm.lastPurchaseDate, '2026-01-31T09:30:00.000Z', 'ISO 8601 basic format is accepted');
  assert.equal(records.get(`${batch.id}:5`).person.birthDate, undefined, 'an empty cell leaves the field absent');

  const list = await server.api('GET', `/api/v1/datasets/${datasetId}/batches`);
  assert.equal(list.body.items[0].id, batch.id);
});

test('a rejected row never blocks the valid rows of its file, across write chunks', async () => {
  const datasetId = await createDataset(server, 'crm_many');
  const lines = ['crm.crmId,loyalty.points'];
  for (let row = 1; row <= 12_000; row++) lines.push(row % 1000 === 0 ? `C${row},not-a-number` : `C${row},${row}`);
  const upload = await uploadBatch(server, datasetId, lines.join('\n') + '\n', { contentType: 'text/csv' });
  const batch = await waitForBatch(server, upload.body.id);
  assert.equal(batch.status, 'partial');
  assert.equal(batch.rowsAccepted, 11_988);
  assert.equal(batch.rowsRejected, 12);
  const info = await server.api('GET', `/api/v1/datasets/${datasetId}`);
  assert.equal(info.body.recordCount, 11_988);
  const rejections = await server.api('GET', `/api/v1/batches/${batch.id}/rejections?limit=5`);
  assert.deepEqual(rejections.body.items.map((r: any) => r.row), [1000, 2000, 3000, 4000, 5000]);
  const next = await server.api('GET', `/api/v1/batches/${batch.id}/rejections?limit=100&cursor=${rejections.body.next}`);
  assert.deepEqual(next.body.items.map((r: any) => r.row), [6000, 7000, 8000, 9000, 10_000, 11_000, 12_000]);
});

test('a mapping renames and drops columns; it may come as a query parameter or a header', async () => {
  const datasetId = await createDataset(server, 'crm_mapped');
  const csv = 'id,first,email,internal\nC1,Ada,ada@example.com,x\nC2,Bob,bob@example.com,y\n';
  const mapping = { id: 'crm.crmId', first: 'person.name.firstName', email: 'personalEmail.address', internal: null };
  const byQuery = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv', query: { mapping: JSON.stringify(mapping) } });
  assert.equal(byQuery.status, 202, JSON.stringify(byQuery.body));
  const batch = await waitForBatch(server, byQuery.body.id);
  assert.equal(batch.status, 'success');
  assert.deepEqual(batch.mapping, mapping);
  const records = await recordsOfBatch(server, datasetId, batch.id);
  assert.deepEqual(records.get(`${batch.id}:2`), { _id: `${batch.id}:2`, crm: { crmId: 'C2' }, person: { name: { firstName: 'Bob' } }, personalEmail: { address: 'bob@example.com' } });

  const byHeader = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv', headers: { 'x-meridian-mapping': JSON.stringify(mapping) } });
  assert.equal((await waitForBatch(server, byHeader.body.id)).rowsAccepted, 2);
});

test('array items and identity maps can be filled from columns', async () => {
  const datasetId = await createDataset(server, 'web_rows', 'experience-event', false);
  const csv = '_id,timestamp,productListItems[0].SKU,productListItems[1].SKU,identityMap.Email[0].id\ne1,2026-03-01T10:00:00Z,A-1,B-2,ada@example.com\n';
  const upload = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv' });
  const batch = await waitForBatch(server, upload.body.id);
  assert.equal(batch.status, 'success', JSON.stringify(batch));
  const record = (await recordsOfBatch(server, datasetId, batch.id)).get('e1');
  assert.deepEqual(record.productListItems, [{ SKU: 'A-1' }, { SKU: 'B-2' }]);
  assert.deepEqual(record.identityMap, { Email: [{ id: 'ada@example.com' }] });
});

test('a column that is not a schema field is refused up front, naming the column, unless unknown columns are ignored', async () => {
  const datasetId = await createDataset(server, 'crm_unknown');
  const csv = 'crm.crmId,shoe_size\nC1,42\n';
  const refused = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv' });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.code, 'INVALID_MAPPING');
  assert.match(refused.body.detail, /shoe_size/);
  assert.deepEqual(refused.body.errors.map((e: any) => e.path), ['shoe_size']);
  const failed = await server.api('GET', `/api/v1/batches/${refused.body.batchId}`);
  assert.equal(failed.body.status, 'failed');

  const badTarget = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv', query: { mapping: JSON.stringify({ shoe_size: 'person.shoeSize' }) } });
  assert.equal(badTarget.status, 422);
  assert.match(badTarget.body.detail, /person\.shoeSize is not a field of the schema/);

  const ignored = await uploadBatch(server, datasetId, csv, { contentType: 'text/csv', query: { ignoreUnknownColumns: 'true' } });
  assert.equal(ignored.status, 202);
  assert.equal((await waitForBatch(server, ignored.body.id)).rowsAccepted, 1);
});

test('an empty file is refused; a file with only a header succeeds with no rows', async () => {
  const datasetId = await createDataset(server, 'crm_empty');
  const empty = await uploadBatch(server, datasetId, '', { contentType: 'text/csv' });
  assert.equal(empty.status, 422);
  assert.equal(empty.body.code, 'INVALID_FILE');
  assert.match(empty.body.detail, /empty/);
  const headerOnly = await uploadBatch(server, datasetId, 'crm.crmId,person.name.firstName\n', { contentType: 'text/csv' });
  assert.equal(headerOnly.status, 202);
  const batch = await waitForBatch(server, headerOnly.body.id);
  assert.deepEqual({ status: batch.status, read: batch.rowsRead }, { status: 'success', read: 0 });
});

test('a quote that is never closed rejects the row it opens in, with the reason; rows before it are written', async () => {
  const datasetId = await createDataset(server, 'crm_quote');
  const csv = 'crm.crmId,person.name.firstName\nC1,Ada\nC2,"Bob\nC3,Cy\n';
  const batch = await waitForBatch(server, (await uploadBatch(server, datasetId, csv, { contentType: 'text/csv' })).body.id);
  assert.equal(batch.status, 'partial');
  assert.equal(batch.rowsAccepted, 1);
  const rejections = await server.api('GET', `/api/v1/batches/${batch.id}/rejections`);
  assert.equal(rejections.body.items.length, 1);
  assert.equal(rejections.body.items[0].row, 2);
  assert.match(rejections.body.items[0].errors[0].message, /quote .* never closed/);
});

test('rows with the wrong number of values are rejected alone; a stray quote inside a value is kept literally', async () => {
  const datasetId = await createDataset(server, 'crm_ragged');
  const csv = 'crm.crmId,person.name.firstName\nC1,Ada\nC2\nC3,Cy,extra\nC4,O"Neil\n';
  const batch = await waitForBatch(server, (await uploadBatch(server, datasetId, csv, { contentType: 'text/csv' })).body.id);
  assert.deepEqual({ accepted: batch.rowsAccepted, rejected: batch.rowsRejected }, { accepted: 2, rejected: 2 });
  const rejections = await server.api('GET', `/api/v1/batches/${batch.id}/rejections`);
  assert.deepEqual(rejections.body.items.map((r: any) => [r.row, r.errors[0].message]), [
    [2, 'has 1 values but the header has 2 columns'],
    [3, 'has 3 values but the header has 2 columns'],
  ]);
  const records = await recordsOfBatch(server, datasetId, batch.id);
  assert.equal(records.get(`${batch.id}:4`).person.name.firstName, 'O"Neil');
});

test('every row rejected: the batch fails and says so', async () => {
  const datasetId = await createDataset(server, 'crm_all_bad');
  const batch = await waitForBatch(server, (await uploadBatch(server, datasetId, 'loyalty.points\nx\ny\n', { contentType: 'text/csv' })).body.id);
  assert.equal(batch.status, 'failed');
  assert.match(batch.error, /every row was rejected \(2 rows\)/);
});

test('a gzip-encoded upload is decoded and stored', async () => {
  const datasetId = await createDataset(server, 'crm_gzip');
  const csv = 'crm.crmId,person.name.firstName\nC1,Ada\nC2,Bob\n';
  const upload = await uploadBatch(server, datasetId, gzipSync(csv), { contentType: 'text/csv', headers: { 'content-encoding': 'gzip' } });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  assert.equal(upload.body.sizeBytes, Buffer.byteLength(csv));
  const batch = await waitForBatch(server, upload.body.id);
  assert.deepEqual({ status: batch.status, accepted: batch.rowsAccepted }, { status: 'success', accepted: 2 });
});

test('rejections download as CSV and JSON lines with row number, field path, reason and original row', async () => {
  const datasetId = await createDataset(server, 'crm_download');
  const csv = 'crm.crmId,person.birthDate,loyalty.points\nC1,1990-01-01,1\nC2,"soon, maybe",x\n';
  const batch = await waitForBatch(server, (await uploadBatch(server, datasetId, csv, { contentType: 'text/csv' })).body.id);
  const asCsv = await server.api('GET', `/api/v1/batches/${batch.id}/rejections.csv`);
  assert.equal(asCsv.status, 200);
  assert.match(asCsv.headers.get('content-type') ?? '', /text\/csv/);
  assert.match(asCsv.headers.get('content-disposition') ?? '', /attachment; filename=".*-rejections\.csv"/);
  const lines = (asCsv.body as string).trim().split('\r\n');
  assert.equal(lines[0], 'row,path,reason,original');
  assert.equal(lines.length, 3, 'one line per problem');
  assert.match(lines[1], /^2,person\.birthDate,"must be a date \(YYYY-MM-DD\), got ""soon, maybe""",/);
  assert.match(lines[2], /^2,loyalty\.points,/);
  assert.ok(lines[1].endsWith('"{""crm.crmId"":""C2"",""person.birthDate"":""soon, maybe"",""loyalty.points"":""x""}"'));

  const asJsonl = await fetch(`${server.url}/api/v1/batches/${batch.id}/rejections.jsonl`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  assert.match(asJsonl.headers.get('content-type') ?? '', /application\/x-ndjson/);
  const rows = (await asJsonl.text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => [r.row, r.errors.length, r.original['crm.crmId']]), [[2, 2, 'C2']]);
});

test('batches are scoped to their sandbox and need the ingest permission', async () => {
  const datasetId = await createDataset(server, 'crm_scoped');
  const batch = await waitForBatch(server, (await uploadBatch(server, datasetId, 'crm.crmId\nC1\n', { contentType: 'text/csv' })).body.id);
  assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev' })).status, 201);
  const elsewhere = await server.api('GET', `/api/v1/batches/${batch.id}`, undefined, { sandbox: 'dev' });
  assert.equal(elsewhere.status, 404);
  assert.equal(elsewhere.body.code, 'BATCH_NOT_FOUND');
  const viewer = await server.api('POST', '/api/v1/api-keys', { name: 'viewer', role: 'viewer' });
  const denied = await uploadBatch(server, datasetId, 'crm.crmId\nC1\n', { contentType: 'text/csv', headers: { authorization: `Bearer ${viewer.body.secret}` } });
  assert.equal(denied.status, 403);
});

test('an upload past MERIDIAN_BATCH_MAX_BYTES is refused with 413, and so is an unknown format with 415', async () => {
  const small = await startTestServer({ MERIDIAN_BATCH_MAX_BYTES: '2048' });
  try {
    const datasetId = await createDataset(small, 'crm_big');
    const big = 'crm.crmId\n' + 'C123456789\n'.repeat(400);
    const tooLarge = await uploadBatch(small, datasetId, big, { contentType: 'text/csv' });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.code, 'PAYLOAD_TOO_LARGE');
    const gzipped = await uploadBatch(small, datasetId, gzipSync(big), { contentType: 'text/csv', headers: { 'content-encoding': 'gzip' } });
    assert.equal(gzipped.status, 413, 'the limit applies to the decoded bytes');
    const batches = await small.api('GET', `/api/v1/datasets/${datasetId}/batches`);
    assert.deepEqual(batches.body.items.map((b: any) => b.status), ['failed']);
    const unknown = await uploadBatch(small, datasetId, 'x', { contentType: 'application/octet-stream' });
    assert.equal(unknown.status, 415);
    assert.match(unknown.body.detail, /format=csv\|jsonl\|parquet/);
  } finally {
    await small.stop();
  }
});

test('with MERIDIAN_BATCH_WARM_WORKER a worker waits from the start, runs the next upload, and waits again for the one after', async () => {
  const warm = await startTestServer({ MERIDIAN_BATCH_WARM_WORKER: 'true' });
  try {
    const batches = warm.running.platform.batches;
    assert.equal(batches.workerWarm, true, 'started with the server, before any upload');
    const thread = batches.warmWorkerThread;
    const datasetId = await createDataset(warm, 'crm_warm');
    for (const id of ['W1', 'W2']) {
      const batch = await waitForBatch(warm, (await uploadBatch(warm, datasetId, `${HEADER}\n${id},Wu,1990-01-02,4,female,,yes\n`, { contentType: 'text/csv' })).body.id);
      assert.equal(batch.status, 'success');
      assert.equal(batch.rowsAccepted, 1);
      await batches.whenIdle();
      assert.equal(batches.workerWarm, true, 'a worker waits for the next upload');
      // The same thread, its code already compiled, not a fresh one.
      assert.equal(batches.warmWorkerThread, thread, `after ${id}`);
    }
  } finally {
    await warm.stop();
  }
});

test('the service says a batch is loading from its upload to its end (the followers of the log step back meanwhile)', async () => {
  const batches = server.running.platform.batches;
  const datasetId = await createDataset(server, 'crm_loading');
  const rows = Array.from({ length: 30_000 }, (_, i) => `L${i},Lu,1990-01-02,4,female,,yes`).join('\n');
  const upload = await uploadBatch(server, datasetId, `${HEADER}\n${rows}\n`, { contentType: 'text/csv' });
  assert.equal(upload.status, 202);
  assert.equal(batches.loading, true, 'queued and started when the upload is answered');
  const batch = await waitForBatch(server, upload.body.id);
  assert.equal(batch.rowsAccepted, 30_000);
  await batches.whenIdle();
  assert.equal(batches.loading, false);
});
