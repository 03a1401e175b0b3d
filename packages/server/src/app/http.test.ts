/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
/**
 * HTTP edge promises: malformed input gets a precise 4xx as problem+json with a stable code;
 * bodies may be gzip-encoded and the body limit holds after decoding; the operational endpoints
 * (health, metrics, OpenAPI, docs) answer without a key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../testing/harness.ts';

const BODY_LIMIT = 4096;
const MAX_RECORDS = 5;

let server: TestServer;
let datasetId: string;
before(async () => {
  server = await startTestServer({ MERIDIAN_BODY_LIMIT_BYTES: String(BODY_LIMIT), MERIDIAN_INGEST_MAX_RECORDS: String(MAX_RECORDS) });
  const ds = await server.api('POST', '/api/v1/datasets', { name: 'edge_cases', schemaId: 'experience-event' });
  assert.equal(ds.status, 201);
  datasetId = ds.body.id;
});
after(() => server.stop());

interface Raw {
  status: number;
  type: string;
  body: any;
}

/** A raw request to the ingest endpoint (or `path`), with the admin key. */
async function send(body: BodyInit | undefined, headers: Record<string, string>, path = `/api/v1/ingest/${datasetId}`): Promise<Raw> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...headers },
    ...(body !== undefined ? { body } : {}),
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
}

function assertProblem(res: Raw, status: number, code: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.type, /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(res.body.code, code);
  assert.match(res.body.type, /^https:\/\//);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
}

const json = { 'content-type': 'application/json' };
const event = (id: string) => ({ _id: id, timestamp: '2026-11-01T10:00:00Z' });

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

describe('malformed requests', () => {
  test('malformed JSON is refused with 400 INVALID_JSON', async () => {
    assertProblem(await send('{"_id": "x", ', json), 400, 'INVALID_JSON');
    assertProblem(await send('[{"a":1},]', json), 400, 'INVALID_JSON');
    assertProblem(await send('', json), 400, 'INVALID_JSON');
    assertProblem(await send('{"__proto__": {"polluted": true}}', json), 400, 'INVALID_JSON');
  });

  test('a body that is valid JSON but not records is refused with 400', async () => {
    assertProblem(await send('"just a string"', json), 400, 'BAD_REQUEST');
    assertProblem(await send('42', json), 400, 'BAD_REQUEST');
    assertProblem(await send('null', json), 400, 'BAD_REQUEST');
    assertProblem(await send('[]', json), 400, 'BAD_REQUEST');
  });

  test('a body that is not JSON by its content type is refused with 415', async () => {
    assertProblem(await send('<record/>', { 'content-type': 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertProblem(await send('_id,timestamp\nx,y', { 'content-type': 'text/csv' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertProblem(await send(JSON.stringify(event('t')), { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertProblem(await send(new Uint8Array([1, 2, 3]), {}), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('application/json with a charset is accepted', async () => {
    const res = await send(JSON.stringify(event('charset')), { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('a body over the limit is refused with 413, whether its length is announced or not', async () => {
    const big = JSON.stringify([{ timestamp: '2026-11-01T10:00:00Z', eventType: 'x'.repeat(BODY_LIMIT) }]);
    assertProblem(await send(big, json), 413, 'PAYLOAD_TOO_LARGE');
    const encoded = new TextEncoder().encode(big);
    const chunked = await send(streamOf([encoded.subarray(0, 1000), encoded.subarray(1000, 3000), encoded.subarray(3000)]), json);
    assertProblem(chunked, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('more records than MERIDIAN_INGEST_MAX_RECORDS are refused with 413 TOO_MANY_RECORDS, and none is written', async () => {
    const records = Array.from({ length: MAX_RECORDS + 1 }, (_, i) => event(`many-${i}`));
    const res = await send(JSON.stringify(records), json);
    assertProblem(res, 413, 'TOO_MANY_RECORDS');
    assert.match(res.body.detail, new RegExp(`${MAX_RECORDS}`));
    const ok = await send(JSON.stringify(records.slice(0, MAX_RECORDS)), json);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.accepted, MAX_RECORDS);
    const list = await server.api('GET', `/api/v1/datasets/${datasetId}/records?limit=1000`);
    assert.ok(!list.body.items.some((r: any) => r._id === `many-${MAX_RECORDS}`));
  });

  test('an unknown dataset answers 404 DATASET_NOT_FOUND', async () => {
    assertProblem(await send(JSON.stringify(event('x')), json, '/api/v1/ingest/ds_000000000000000000000000'), 404, 'DATASET_NOT_FOUND');
    assertProblem(await send(JSON.stringify(event('x')), json, '/api/v1/ingest/no_such_name'), 404, 'DATASET_NOT_FOUND');
  });

  test('a batch where every record is invalid is refused with 422 RECORDS_REJECTED, naming index and path', async () => {
    const res = await send(JSON.stringify([{ _id: 'a' }, { timestamp: '2026-11-01T10:00:00Z', web: { nope: 1 } }, 'not a record']), json);
    assertProblem(res, 422, 'RECORDS_REJECTED');
    assert.deepEqual(
      res.body.errors.map((e: any) => [e.index, e.path]),
      [
        [0, 'timestamp'],
        [1, 'web.nope'],
        [2, ''],
      ],
    );
    assert.ok(res.body.errors.every((e: any) => typeof e.message === 'string' && e.message.length > 0));
    const rejections = await server.api('GET', `/api/v1/datasets/${datasetId}/rejections`);
    assert.ok(rejections.body.items.some((r: any) => r.index === 1 && r.errors[0].path === 'web.nope'), 'rejected records are kept with their reasons');
  });

  test('a request that does not match the API schema is refused with 400 VALIDATION_FAILED naming the field', async () => {
    const res = await server.api('GET', '/api/v1/audit?limit=banana');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.ok(res.body.errors.some((e: any) => e.path === 'querystring.limit'), JSON.stringify(res.body));
  });
});

describe('compressed bodies', () => {
  test('a gzip body is accepted', async () => {
    const res = await send(gzipSync(JSON.stringify([event('gz-1'), event('gz-2')])), { ...json, 'content-encoding': 'gzip' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.accepted, 2);
  });

  test('a gzip body sent in chunks, and a deflate body, are accepted', async () => {
    const gz = gzipSync(JSON.stringify([event('gz-3')]));
    const chunked = await send(streamOf([gz.subarray(0, 10), gz.subarray(10)]), { ...json, 'content-encoding': 'gzip' });
    assert.equal(chunked.status, 200, JSON.stringify(chunked.body));
    const deflated = await send(deflateSync(JSON.stringify(event('df-1'))), { ...json, 'content-encoding': 'deflate' });
    assert.equal(deflated.status, 200, JSON.stringify(deflated.body));
  });

  test('a broken gzip body is refused with 400 INVALID_ENCODING', async () => {
    assertProblem(await send('this is not gzip', { ...json, 'content-encoding': 'gzip' }), 400, 'INVALID_ENCODING');
    const truncated = gzipSync(JSON.stringify([event('cut')])).subarray(0, 12);
    assertProblem(await send(truncated, { ...json, 'content-encoding': 'gzip' }), 400, 'INVALID_ENCODING');
  });

  test('gzip of malformed JSON is refused with 400 INVALID_JSON', async () => {
    assertProblem(await send(gzipSync('{"oops":'), { ...json, 'content-encoding': 'gzip' }), 400, 'INVALID_JSON');
  });

  test('a gzip bomb that expands past the body limit is refused with 413', async () => {
    const bomb = gzipSync(Buffer.from(`[${' '.repeat(2 * 1024 * 1024)}]`));
    assert.ok(bomb.length < BODY_LIMIT, 'the bomb itself is under the limit');
    assertProblem(await send(bomb, { ...json, 'content-encoding': 'gzip' }), 413, 'PAYLOAD_TOO_LARGE');
  });

  test('broken gzip in a body the server never reads (415) or stops reading (413) does not crash it', async () => {
    assertProblem(await send('not gzip', { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    const bombThenGarbage = Buffer.concat([gzipSync(Buffer.alloc(1024 * 1024, 0x20)), Buffer.from('garbage after the stream')]);
    assertProblem(await send(bombThenGarbage, { ...json, 'content-encoding': 'gzip' }), 413, 'PAYLOAD_TOO_LARGE');
    await new Promise((r) => setTimeout(r, 50)); // let a late decoding error surface
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('an unsupported content encoding is refused with 415', async () => {
    assertProblem(await send('{}', { ...json, 'content-encoding': 'br' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('operational endpoints', () => {
  test('/health answers ok without a key', async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.uptimeSeconds, 'number');
  });

  test('/metrics is Prometheus text and counts accepted records', async () => {
    const sent = await server.api('POST', `/api/v1/ingest/${datasetId}`, [event('metric-1'), event('metric-2'), event('metric-3')]);
    assert.equal(sent.status, 200);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /# TYPE meridian_ingest_records_accepted_total counter/);
    const sample = text.split('\n').find((l) => l.startsWith('meridian_ingest_records_accepted_total{') && l.includes('source="api"'));
    assert.ok(sample, text.slice(0, 500));
    assert.ok(Number(sample.split(' ').pop()) >= 3, sample);
    // Three records from one request, the log's thread idle: committed on the event loop.
    const direct = text.split('\n').find((l) => l.startsWith('meridian_record_log_appends_total{where="direct"}'));
    assert.ok(direct && Number(direct.split(' ').pop()) >= 1, text.slice(text.indexOf('meridian_record_log'), text.indexOf('meridian_record_log') + 300));
    assert.match(text, /meridian_http_request_duration_seconds_bucket/);
  });

  test('/openapi.json is OpenAPI 3.1 and lists the admin paths', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as any;
    assert.match(doc.openapi, /^3\.1\./);
    for (const path of ['/api/v1/sandboxes', '/api/v1/api-keys', '/api/v1/audit', '/api/v1/schemas', '/api/v1/schemas/{id}', '/api/v1/datasets', '/api/v1/datasets/{id}', '/api/v1/ingest/{datasetId}', '/health']) {
      assert.ok(doc.paths[path], `OpenAPI lists ${path}`);
    }
    assert.ok(doc.paths['/api/v1/datasets'].post.requestBody, 'operations carry their request schema');
    assert.ok(doc.components.securitySchemes.apiKey);
  });

  test('/docs serves HTML', async () => {
    const res = await fetch(`${server.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /<html/i);
  });

  test('an unknown route answers 404 problem+json', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['POST', '/api/v1/nothing-here'],
      ['GET', '/api/v2/datasets'],
    ]) {
      const res = await fetch(server.url + path, { method });
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const body = (await res.json()) as any;
      assert.equal(body.code, 'NOT_FOUND');
      assert.equal(body.status, 404);
    }
  });
});
