/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../../../testing/harness.ts';
import { goldAudience, ingest, person } from '../../test-support.ts';
import { fakeS3, type FakeS3 } from './fake-s3.ts';
import { objectUrl } from './client.ts';
import { objectKey } from './index.ts';

let server: TestServer;
let store: FakeS3;
let audienceId: string;
const PEOPLE = 12;

before(async () => {
  store = await fakeS3(['audiences']);
  server = await startTestServer();
  server.running.platform.activations.tune({ backoff: { baseMs: 20, maxMs: 100, maxAttempts: 3 }, timeoutMs: 2000 });
  const setup = await goldAudience(server);
  audienceId = setup.audienceId;
  await ingest(server, setup.datasetId, [...Array.from({ length: PEOPLE }, (_, i) => person(i + 1)), person(900, 'silver')]);
  await server.running.platform.settleProfiles();
});
after(async () => {
  await server.stop();
  await store.close();
});

function settings(extra: Record<string, unknown> = {}) {
  return { bucket: 'audiences', prefix: 'meridian/daily', region: 'eu-west-1', endpoint: store.endpoint, forcePathStyle: true, accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey, format: 'csv', ...extra };
}

async function exportOnce(name: string, destinationSettings: Record<string, unknown>) {
  const destination = await server.api('POST', '/api/v1/destinations', { name, type: 's3', settings: destinationSettings });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const activation = await server.api('POST', '/api/v1/activations', {
    name,
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    mappings: [
      { source: 'person.name.firstName', destination: 'firstName' },
      { source: 'loyalty.points', destination: 'points' },
    ],
    identities: [{ namespace: 'Email' }],
    schedule: { type: 'batch', frequency: 'once' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  await server.running.platform.activations.idle();
  const runs = await server.api('GET', `/api/v1/activations/${activation.body.id}/runs`);
  return { run: runs.body.items[0], destination: destination.body };
}

test('an audience CSV is PUT into the bucket under the prefix with a valid SigV4 signature, and reads back whole', async () => {
  const { run, destination } = await exportOnce('Object Drop', settings());
  assert.equal(destination.settings.secretAccessKey, '********', 'the secret is never returned');
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  const keys = [...store.objects.keys()];
  assert.equal(keys.length, 1);
  assert.match(keys[0], new RegExp(`^audiences/meridian/daily/Object_Drop_segment${audienceId}_\\d{14}\\.csv$`));
  assert.deepEqual(run.files, [`s3://${keys[0]}`]);
  const object = store.objects.get(keys[0])!;
  assert.equal(object.headers['content-type'], 'text/csv');
  assert.match(String(object.headers.authorization), /Credential=AKIAMERIDIANTEST0001\/\d{8}\/eu-west-1\/s3\/aws4_request/);
  const lines = object.body.toString('utf8').trim().split('\n');
  assert.equal(lines[0], 'Email,firstName,points,segmentMembershipStatus');
  assert.equal(lines.length, PEOPLE + 1);
  assert.ok(lines.includes('person4@example.com,First4,40,realized'));
  assert.deepEqual(readdirSync(join(server.dataDir, 'exports', '.staging')), [], 'local staging copies are removed');
});

test('gzipped JSON lines split at the row limit become one object per part; a session token is sent and signed', async () => {
  store.objects.clear();
  const { run } = await exportOnce('parts', settings({ prefix: 'split/', format: 'jsonl', gzip: true, maxRowsPerFile: 5, sessionToken: 'temporary-token', fileName: '%SEGMENT_NAME%_%DATETIME%' }));
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  const keys = [...store.objects.keys()].sort();
  assert.equal(keys.length, 3);
  assert.match(keys[0], /^audiences\/split\/gold_\d{14}\.jsonl\.gz$/, 'one slash between prefix and name');
  assert.match(keys[1], /^audiences\/split\/gold_\d{14}_2\.jsonl\.gz$/);
  const object = store.objects.get(keys[0])!;
  assert.equal(object.headers['x-amz-security-token'], 'temporary-token');
  assert.match(String(object.headers.authorization), /SignedHeaders=[^,]*x-amz-security-token/);
  const rows = keys.flatMap((k) => gunzipSync(store.objects.get(k)!.body).toString().trim().split('\n').map((l) => JSON.parse(l)));
  assert.equal(new Set(rows.map((r) => r.Email)).size, PEOPLE);
});

test('a Parquet export arrives as one Parquet object with its content type', async () => {
  store.objects.clear();
  const { run } = await exportOnce('columnar', settings({ prefix: 'pq', format: 'parquet' }));
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  const [key] = [...store.objects.keys()];
  assert.match(key, /^audiences\/pq\/columnar_segment.+_\d{14}\.parquet$/);
  const object = store.objects.get(key)!;
  assert.equal(object.headers['content-type'], 'application/vnd.apache.parquet');
  assert.equal(object.body.subarray(0, 4).toString(), 'PAR1');
  assert.equal(object.body.subarray(-4).toString(), 'PAR1');
});

test('a wrong secret is refused by the store (SignatureDoesNotMatch): permanent, no retries, the run fails', async () => {
  store.objects.clear();
  const { run } = await exportOnce('wrong secret', settings({ secretAccessKey: 'not-the-secret' }));
  assert.equal(run.status, 'failed', JSON.stringify(run));
  assert.equal(run.retries, 0);
  assert.match(run.lastError, /403: SignatureDoesNotMatch/);
  assert.equal(store.objects.size, 0);
  const missing = await exportOnce('no bucket', settings({ bucket: 'elsewhere' }));
  assert.equal(missing.run.status, 'failed');
  assert.match(missing.run.lastError, /404: NoSuchBucket/);
  const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /meridian_activation_dead_letters_total\{type="s3"\} [1-9]/);
});

test('throttling (503 SlowDown) is retried with backoff and then succeeds', async () => {
  store.objects.clear();
  store.failNext(2, 503, 'SlowDown');
  const { run } = await exportOnce('throttled', settings());
  assert.equal(run.status, 'succeeded', JSON.stringify(run));
  assert.equal(run.retries, 2);
  assert.equal(store.objects.size, 1);
  assert.deepEqual(store.log.slice(-3).map((l) => l.status), [503, 503, 200]);
});

test('object addressing: path-style and virtual-hosted URLs; keys join prefix and name with one slash', () => {
  assert.equal(objectUrl({ bucket: 'b', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }, 'p/a b.csv').href, 'http://127.0.0.1:9000/b/p/a%20b.csv');
  assert.equal(objectUrl({ bucket: 'b', endpoint: 'https://s3.eu-west-1.amazonaws.com', forcePathStyle: false }, 'a.csv').href, 'https://b.s3.eu-west-1.amazonaws.com/a.csv');
  assert.equal(objectKey('x/y/', 'f.csv'), 'x/y/f.csv');
  assert.equal(objectKey(undefined, 'f.csv'), 'f.csv');
});

test('bad S3 settings are refused naming the field', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [settings({ bucket: 'Bad_Bucket' }), 'settings.bucket'],
    [settings({ endpoint: 'http://minio:9000/some/path' }), 'settings.endpoint'],
    [settings({ endpoint: 'ftp://minio' }), 'settings.endpoint'],
    [settings({ prefix: '/abs' }), 'settings.prefix'],
    [settings({ format: 'parquet', gzip: true }), 'settings.gzip'],
    [settings({ partSizeMiB: 2 }), 'settings.partSizeMiB'],
    [{ ...settings(), secretAccessKey: undefined }, 'settings.secretAccessKey'],
  ];
  for (const [bad, path] of cases) {
    const res = await server.api('POST', '/api/v1/destinations', { name: 'bad', type: 's3', settings: bad });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.code, 'INVALID_DESTINATION_SETTINGS');
    assert.equal(res.body.errors[0].path, path, JSON.stringify(res.body.errors));
  }
});
