/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { goldAudience, ingest, person } from './test-support.ts';

let server: TestServer;
let audienceId: string;
const PEOPLE = 25;

before(async () => {
  server = await startTestServer();
  const setup = await goldAudience(server);
  audienceId = setup.audienceId;
  await ingest(server, setup.datasetId, [...Array.from({ length: PEOPLE }, (_, i) => person(i + 1)), person(900, 'silver')]);
  await server.running.platform.settleProfiles();
});
after(async () => server.stop());

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Creates a file destination and a batch `once` activation, waits for its run, returns the run. */
async function exportOnce(settings: Record<string, unknown>, identities: unknown[] = [{ namespace: 'Email', hashed: false }]) {
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'Data Drop', type: 'file', settings });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'gold file',
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    mappings: [
      { source: 'person.name.firstName', destination: 'firstName' },
      { source: 'loyalty.points', destination: 'points' },
      { source: 'loyalty.tier', destination: 'tier' },
    ],
    identities,
    schedule: { type: 'batch', frequency: 'once' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  await server.running.platform.activations.idle();
  const runs = await server.api('GET', `/api/v1/activations/${activation.body.id}/runs`);
  const run = runs.body.items[0];
  assert.equal(run.kind, 'scheduled');
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  return { run, destinationId: destination.body.id as string };
}

test('CSV export: the suite\'s file name, a header, one row per member with identity, mapped fields and status', async () => {
  const { run } = await exportOnce({ folder: 'csv', format: 'csv', delimiter: ';' });
  assert.equal(run.files.length, 1);
  const name = basename(run.files[0]);
  assert.match(name, new RegExp(`^Data_Drop_segment${audienceId}_\\d{14}\\.csv$`));
  const read = await rows(`SELECT * FROM read_csv('${run.files[0]}', delim=';', header=true) ORDER BY points`);
  assert.equal(read.length, PEOPLE, 'members only (the silver person is not in the file)');
  assert.deepEqual(Object.keys(read[0]), ['Email', 'firstName', 'points', 'tier', 'segmentMembershipStatus']);
  assert.equal(read[0].Email, 'person1@example.com');
  assert.equal(read[0].firstName, 'First1');
  assert.equal(Number(read[0].points), 10);
  assert.equal(read[0].segmentMembershipStatus, 'realized');
});

test('JSON lines export, gzipped and split at the row limit into name, name_2, ...', async () => {
  const { run } = await exportOnce({ folder: 'jsonl', format: 'jsonl', gzip: true, maxRowsPerFile: 10, fileName: '%SANDBOX_NAME%_%SEGMENT_NAME%_%DATETIME%' });
  assert.equal(run.files.length, 3);
  const names = run.files.map((f: string) => basename(f));
  assert.match(names[0], /^prod_gold_\d{14}\.jsonl\.gz$/);
  assert.match(names[1], /^prod_gold_\d{14}_2\.jsonl\.gz$/);
  assert.match(names[2], /^prod_gold_\d{14}_3\.jsonl\.gz$/);
  const all = await rows(`SELECT * FROM read_json([${run.files.map((f: string) => `'${f}'`).join(',')}], format='newline_delimited')`);
  assert.equal(all.length, PEOPLE);
  assert.equal(new Set(all.map((r) => r.Email)).size, PEOPLE);
  assert.deepEqual(readdirSync(join(server.dataDir, 'exports', 'jsonl')).filter((f) => f.startsWith('.')), [], 'no temporary files left');
});

test('Parquet export with hashed identities, typed columns, read back with DuckDB', async () => {
  const { run } = await exportOnce({ folder: 'pq', format: 'parquet' }, [{ namespace: 'Email', hashed: true }]);
  const read = await rows(`SELECT * FROM read_parquet('${run.files[0]}') ORDER BY points`);
  assert.equal(read.length, PEOPLE);
  const sha = (await import('node:crypto')).createHash('sha256').update('person1@example.com').digest('hex');
  assert.equal(read[0].Email_LC_SHA256, sha);
  const types = await rows(`SELECT name, type FROM parquet_schema('${run.files[0]}') WHERE name = 'points'`);
  assert.equal(types[0].type, 'DOUBLE');
});

test('first full, then incremental: "export now" after the first file lists only members whose membership changed since', async () => {
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'inc', type: 'file', settings: { folder: 'inc', format: 'csv' } });
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'inc', destinationId: destination.body.id, audienceIds: [audienceId], identities: [{ namespace: 'CRMID' }],
    schedule: { type: 'batch', frequency: 'once', exportMode: 'firstFullThenIncremental' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  await server.running.platform.activations.idle();
  const datasets = await server.api('GET', '/api/v1/datasets');
  await ingest(server, datasets.body.items.find((d: any) => d.name === 'crm').id, [person(500)]);
  await server.running.platform.settleProfiles();
  const run = await server.api('POST', `/api/v1/activations/${activation.body.id}/runs`);
  assert.equal(run.status, 202, JSON.stringify(run.body));
  assert.equal(run.body.kind, 'manual');
  await server.running.platform.activations.idle();
  const runs = (await server.api('GET', `/api/v1/activations/${activation.body.id}/runs`)).body.items;
  const [incremental, full] = runs;
  assert.equal(full.kind, 'scheduled');
  assert.equal((await rows(`SELECT * FROM read_csv('${full.files[0]}', header=true)`)).length, PEOPLE);
  const changed = await rows(`SELECT * FROM read_csv('${incremental.files[0]}', header=true, all_varchar=true)`);
  assert.deepEqual(changed.map((r) => r.CRMID), ['C500']);
});

test('bad file settings are refused naming the field', async () => {
  const gz = await server.api('POST', '/api/v1/destinations', { name: 'x', type: 'file', settings: { folder: 'x', format: 'parquet', gzip: true } });
  assert.equal(gz.status, 422);
  assert.equal(gz.body.errors[0].path, 'settings.gzip');
  const escape = await server.api('POST', '/api/v1/destinations', { name: 'x', type: 'file', settings: { folder: '../../etc', format: 'csv' } });
  assert.equal(escape.status, 422);
  assert.equal(escape.body.errors[0].path, 'settings.folder');
  const streaming = await server.api('POST', '/api/v1/destinations', { name: 'ok', type: 'file', settings: { folder: 'ok', format: 'csv' } });
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'x', destinationId: streaming.body.id, audienceIds: [audienceId], identities: [{ namespace: 'Email' }], schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 422);
  assert.equal(activation.body.errors[0].path, 'schedule.type');
});
