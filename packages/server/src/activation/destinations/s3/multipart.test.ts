import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryError } from '../types.ts';
import { MAX_PARTS, MAX_PUT_BYTES, MIN_PART_BYTES, partSizeFor, putFile, type S3Target } from './client.ts';
import { fakeS3, type FakeS3 } from './fake-s3.ts';
import { s3Target } from './index.ts';

const MiB = 1024 ** 2;
let store: FakeS3;
let dir: string;
let file: string;
let content: Buffer;

before(async () => {
  store = await fakeS3(['big']);
  dir = mkdtempSync(join(tmpdir(), 'meridian-s3-parts-'));
  file = join(dir, 'audience.csv');
  content = randomBytes(11 * MiB + 123);
  writeFileSync(file, content);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function target(extra: Partial<S3Target> = {}): S3Target {
  return { bucket: 'big', region: 'eu-west-1', endpoint: store.endpoint, forcePathStyle: true, accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey, partBytes: 5 * MiB, ...extra };
}

const requests = () => store.log.map((l) => `${l.method} ${l.query.replace(/uploadId=upload-\d+/, 'uploadId=U')} ${l.status}`);

test('a file larger than one part goes in a signed multipart upload: create, parts in order, complete', async () => {
  store.log.length = 0;
  const location = await putFile(target(), 'exports/audience.csv', file, 'text/csv');
  assert.equal(location, 's3://big/exports/audience.csv');
  const object = store.objects.get('big/exports/audience.csv');
  assert.ok(object, 'the object exists once completed');
  assert.ok(object.body.equals(content), 'the parts joined are the file, byte for byte');
  assert.equal(object.headers['content-type'], 'text/csv', 'the content type is given when the upload is created');
  assert.deepEqual(requests(), [
    'POST uploads 200',
    'PUT partNumber=1&uploadId=U 200',
    'PUT partNumber=2&uploadId=U 200',
    'PUT partNumber=3&uploadId=U 200',
    'POST uploadId=U 200',
  ]);
  assert.equal(store.uploads.size, 0, 'nothing is left open');
});

test('a file within one part goes in one PUT', async () => {
  store.log.length = 0;
  await putFile(target({ partBytes: 16 * MiB }), 'one.csv', file, 'text/csv');
  assert.deepEqual(requests(), ['PUT  200']);
  assert.ok(store.objects.get('big/one.csv')!.body.equals(content));
});

test('an empty file is one PUT of nothing', async () => {
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  await putFile(target(), 'empty.jsonl', empty, 'application/x-ndjson');
  assert.equal(store.objects.get('big/empty.jsonl')!.body.length, 0);
});

test('a throttled part is retried on its own; the upload goes on', async () => {
  store.log.length = 0;
  store.failNext(1, 503, 'SlowDown', /^PUT \?partNumber=2&/);
  await putFile(target(), 'retried.csv', file, 'text/csv');
  assert.deepEqual(requests(), [
    'POST uploads 200',
    'PUT partNumber=1&uploadId=U 200',
    'PUT partNumber=2&uploadId=U 503',
    'PUT partNumber=2&uploadId=U 200',
    'PUT partNumber=3&uploadId=U 200',
    'POST uploadId=U 200',
  ]);
  assert.ok(store.objects.get('big/retried.csv')!.body.equals(content));
});

test('a part refused for good aborts the upload: no parts left behind, a permanent failure', async () => {
  store.log.length = 0;
  store.failNext(1, 403, 'AccessDenied', /^PUT \?partNumber=2&/);
  await assert.rejects(putFile(target(), 'denied.csv', file, 'text/csv'), (err: unknown) => err instanceof DeliveryError && !err.retryable && /part 2: .*403: AccessDenied/.test(err.message));
  assert.deepEqual(requests().slice(-2), ['PUT partNumber=2&uploadId=U 403', 'DELETE uploadId=U 204']);
  assert.equal(store.uploads.size, 0, 'the upload was aborted');
  assert.equal(store.objects.has('big/denied.csv'), false);
});

test('a part throttled past its attempts fails the upload as retryable (the delivery engine tries the file again), aborted', async () => {
  store.log.length = 0;
  store.failNext(3, 503, 'SlowDown', /^PUT \?partNumber=1&/);
  await assert.rejects(putFile(target(), 'later.csv', file, 'text/csv'), (err: unknown) => err instanceof DeliveryError && err.retryable);
  assert.equal(requests().at(-1), 'DELETE uploadId=U 204');
  assert.equal(store.uploads.size, 0);
});

test('part sizes: at least 5 MiB, at most 5 GiB, raised to stay within 10,000 parts; past 5 TiB refused', () => {
  assert.equal(partSizeFor(100 * MiB), 64 * MiB, 'the default');
  assert.equal(partSizeFor(100 * MiB, MiB), MIN_PART_BYTES, 'S3 takes no smaller part');
  assert.equal(partSizeFor(100 * MiB, 10 * 1024 ** 3), MAX_PUT_BYTES, 'nor a larger one');
  const huge = 1024 ** 4; // 1 TiB in 64 MiB parts would be 16,384 parts
  assert.equal(partSizeFor(huge), Math.ceil(huge / MAX_PARTS));
  assert.ok(Math.ceil(huge / partSizeFor(huge)) <= MAX_PARTS);
  assert.throws(() => partSizeFor(5 * 1024 ** 4 + 1), (err: unknown) => err instanceof DeliveryError && !err.retryable);
  assert.equal(s3Target({ bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', format: 'csv', partSizeMiB: 8 }).partBytes, 8 * MiB, 'the destination setting');
});
