/* eslint-disable @typescript-eslint/no-explicit-any -- integration test: responses are asserted field by field */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestServer, type TestServer } from '../../testing/harness.ts';
import { createDataset, recordsOfBatch, uploadBatch, waitForBatch } from './batch-test-support.ts';

let server: TestServer;
let scratch: string;
before(async () => {
  server = await startTestServer();
  scratch = mkdtempSync(join(tmpdir(), 'meridian-parquet-'));
});
after(async () => {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Writes a Parquet file from a SELECT with DuckDB's COPY. */
async function parquetFixture(name: string, select: string): Promise<Buffer> {
  const path = join(scratch, name);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`COPY (${select}) TO '${path}' (FORMAT PARQUET)`);
  connection.closeSync();
  instance.closeSync();
  return readFileSync(path);
}

test('JSON lines: each line is a record; bad lines are rejected by line number, blank lines skipped', async () => {
  const datasetId = await createDataset(server, 'events_jsonl', 'experience-event', false);
  const jsonl = [
    JSON.stringify({ _id: 'e1', timestamp: '2026-03-01T10:00:00Z', eventType: 'web.webpagedetails.pageViews' }),
    '{"_id": "e2", "timestamp": ',
    '',
    JSON.stringify({ _id: 'e3', timestamp: 'yesterday' }),
    JSON.stringify([1, 2]),
    JSON.stringify({ timestamp: '2026-03-01T10:05:00Z', web: { webPageDetails: { name: 'home' } } }),
  ].join('\n');
  const upload = await uploadBatch(server, datasetId, jsonl, { contentType: 'application/x-ndjson' });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  assert.equal(upload.body.format, 'jsonl');
  const batch = await waitForBatch(server, upload.body.id);
  assert.deepEqual({ status: batch.status, read: batch.rowsRead, accepted: batch.rowsAccepted, rejected: batch.rowsRejected }, { status: 'partial', read: 5, accepted: 2, rejected: 3 });
  const rejections = (await server.api('GET', `/api/v1/batches/${batch.id}/rejections`)).body.items;
  assert.deepEqual(rejections.map((r: any) => [r.row, r.errors[0].path]), [[2, ''], [4, 'timestamp'], [5, '']]);
  assert.match(rejections[0].errors[0].message, /is not valid JSON/);
  assert.equal(rejections[0].original, '{"_id": "e2", "timestamp": ', 'an unreadable line is kept as text');
  assert.match(rejections[2].errors[0].message, /one JSON object/);
  const records = await recordsOfBatch(server, datasetId, batch.id);
  assert.ok(records.has('e1'));
  assert.ok(records.has(`${batch.id}:6`), 'a line without _id gets <batchId>:<line>');
});

test('JSON lines refuse a column mapping', async () => {
  const datasetId = await createDataset(server, 'events_jsonl_mapping', 'experience-event', false);
  const res = await uploadBatch(server, datasetId, '{}\n', { contentType: 'application/jsonl', query: { mapping: '{"a":"web.webPageDetails.name"}' } });
  assert.equal(res.status, 422);
  assert.equal(res.body.code, 'INVALID_MAPPING');
});

test('Parquet: typed columns are coerced to the schema (dates, timestamps, BIGINT, structs); bad rows are rejected alone', async () => {
  const datasetId = await createDataset(server, 'crm_parquet');
  const file = await parquetFixture(
    'crm.parquet',
    `SELECT * FROM (VALUES
       ('C1', 'Ada', DATE '1815-12-10', 12.5::DOUBLE, TIMESTAMP '2026-01-31 09:30:00', true, 1915::BIGINT, {'city': 'London', 'countryCode': 'GB'}),
       ('C2', 'Bob', NULL, 3::DOUBLE, NULL, false, 1200::BIGINT, NULL),
       ('C3', 'Cy', DATE '1990-02-01', NULL, TIMESTAMPTZ '2026-02-01 10:00:00+00', NULL, NULL, {'city': 'Paris', 'countryCode': 'FR'})
     ) AS t("crm.crmId", "person.name.firstName", "person.birthDate", "loyalty.points", "crm.lastPurchaseDate", "crm.emailDeliverable", "person.birthYear", "homeAddress")`,
  );
  const upload = await uploadBatch(server, datasetId, file, { contentType: 'application/vnd.apache.parquet' });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  const batch = await waitForBatch(server, upload.body.id);
  assert.deepEqual({ status: batch.status, accepted: batch.rowsAccepted, rejected: batch.rowsRejected }, { status: 'partial', accepted: 2, rejected: 1 });
  const rejections = (await server.api('GET', `/api/v1/batches/${batch.id}/rejections`)).body.items;
  assert.deepEqual(rejections.map((r: any) => [r.row, r.errors[0].path]), [[2, 'person.birthYear']]);
  const records = await recordsOfBatch(server, datasetId, batch.id);
  assert.deepEqual(records.get(`${batch.id}:1`), {
    _id: `${batch.id}:1`,
    crm: { crmId: 'C1', lastPurchaseDate: '2026-01-31T09:30:00.000Z', emailDeliverable: true },
    person: { name: { firstName: 'Ada' }, birthDate: '1815-12-10', birthYear: 1915 },
    loyalty: { points: 12.5 },
    homeAddress: { city: 'London', countryCode: 'GB' },
  });
  assert.equal(records.get(`${batch.id}:3`).crm.lastPurchaseDate, '2026-02-01T10:00:00.000Z');
});

test('Parquet with ?format= and application/octet-stream; a file that is not Parquet is refused up front', async () => {
  const datasetId = await createDataset(server, 'crm_parquet_octets');
  const file = await parquetFixture('ids.parquet', `SELECT 'C' || i AS "crm.crmId" FROM range(1, 2501) r(i)`);
  const upload = await uploadBatch(server, datasetId, file, { contentType: 'application/octet-stream', query: { format: 'parquet' } });
  assert.equal(upload.status, 202, JSON.stringify(upload.body));
  const batch = await waitForBatch(server, upload.body.id);
  assert.deepEqual({ status: batch.status, accepted: batch.rowsAccepted }, { status: 'success', accepted: 2500 });

  const notParquet = await uploadBatch(server, datasetId, 'crm.crmId\nC1\n', { contentType: 'application/octet-stream', query: { format: 'parquet' } });
  assert.equal(notParquet.status, 422);
  assert.equal(notParquet.body.code, 'INVALID_FILE');
  const unknownColumn = await uploadBatch(server, datasetId, await parquetFixture('bad.parquet', `SELECT 1 AS shoe_size`), { contentType: 'application/vnd.apache.parquet' });
  assert.equal(unknownColumn.status, 422);
  assert.match(unknownColumn.body.detail, /shoe_size/);
});
