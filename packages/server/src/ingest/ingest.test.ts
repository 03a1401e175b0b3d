import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../testing/harness.ts';

test('a stream of records with one invalid record: the valid ones are written, the bad one is named', async () => {
  const server = await startTestServer();
  try {
    const ds = await server.api('POST', '/api/v1/datasets', { name: 'web_events', schemaId: 'experience-event' });
    assert.equal(ds.status, 201, JSON.stringify(ds.body));
    const res = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, [
      { _id: 'e1', timestamp: '2026-11-01T10:00:00Z', eventType: 'web.webpagedetails.pageViews', web: { webPageDetails: { name: 'home' } } },
      { _id: 'e2', timestamp: 'yesterday', web: { webPageDetails: { name: 'shoes' } } },
      { _id: 'e3', timestamp: '2026-11-01T10:01:00Z', commerce: { order: { priceTotal: 12.5 } } },
    ]);
    assert.equal(res.status, 207);
    assert.equal(res.body.accepted, 2);
    assert.deepEqual(res.body.rejected, [{ index: 1, errors: [{ path: 'timestamp', message: 'must be a date-time (RFC 3339, e.g. 2026-01-31T09:30:00Z)' }] }]);
    const again = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, { _id: 'e1', timestamp: '2026-11-01T10:00:00Z' });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicates, 1, 'the same event (_id and timestamp) is not written twice');
    const later = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, { _id: 'e1', timestamp: '2026-11-01T11:00:00Z' });
    assert.equal(later.body.accepted, 1, 'the same _id at another time is another event');
    const rejections = await server.api('GET', `/api/v1/datasets/${ds.body.id}/rejections`);
    assert.equal(rejections.body.items.length, 1);
    assert.equal(rejections.body.items[0].errors[0].path, 'timestamp');
    const info = await server.api('GET', `/api/v1/datasets/${ds.body.id}`);
    assert.equal(info.body.recordCount, 3);

    // A record without a timestamp of its own is the same record by its _id alone.
    const crm = await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile' });
    assert.equal((await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { _id: 'c1', crm: { crmId: 'C1' } })).body.accepted, 1);
    assert.equal((await server.api('POST', `/api/v1/ingest/${crm.body.id}`, { _id: 'c1', crm: { crmId: 'C1' } })).body.duplicates, 1);
  } finally {
    await server.stop();
  }
});

test('records are stored as the client sent them; pretty-printed ones compactly, and an added _id is kept', async () => {
  const server = await startTestServer();
  try {
    const ds = await server.api('POST', '/api/v1/datasets', { name: 'raw_events', schemaId: 'experience-event' });
    const compact = '{"_id":"r1","timestamp":"2026-11-01T10:00:00Z","web":{"webPageDetails":{"name":"a \\"quoted\\", [odd] page","URL":"https://x.test/?a=1,2"}},"commerce":{"order":{"priceTotal":12.50}}}';
    const pretty = '{\n  "_id": "r2",\n  "timestamp": "2026-11-01T10:01:00Z"\n}';
    const noId = '{"timestamp":"2026-11-01T10:02:00Z"}';
    const res = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, `[${compact}, ${pretty},${noId}]`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.accepted, 3);
    const { platform } = server.running;
    const stored = await platform.records.listByDataset((await platform.tenancy.getSandbox('prod')).id, ds.body.id, { limit: 10 });
    const bodies = new Map(stored.map((r) => [r.recordId, r.body]));
    assert.equal(bodies.get('r1'), compact, 'the text as sent: 12.50 and the escapes unchanged');
    assert.equal(bodies.get('r2'), '{"_id":"r2","timestamp":"2026-11-01T10:01:00Z"}');
    const generated = res.body.ids[2] as string;
    assert.deepEqual(JSON.parse(bodies.get(generated)!), { timestamp: '2026-11-01T10:02:00Z', _id: generated });
    assert.match(generated, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a time-ordered (version 7) UUID: new ones append to the log\'s _id index');
  } finally {
    await server.stop();
  }
});

test('the ingest parser still refuses prototype poisoning, plain or behind \\u escapes, and bad JSON, as Fastify does', async () => {
  const server = await startTestServer();
  try {
    const ds = await server.api('POST', '/api/v1/datasets', { name: 'poison', schemaId: 'experience-event' });
    for (const body of ['{"__proto__":{"polluted":true}}', '[{"_id":"a","\\u005f_proto__":{"polluted":true}}]', '{"constructor":{"prototype":{"polluted":true}}}', '[{"_id":"a"},', '']) {
      const res = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, body, { headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400, `${body}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'INVALID_JSON', body);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const escaped = await server.api('POST', `/api/v1/ingest/${ds.body.id}`, '{"_id":"\\u00e9t\\u00e9","timestamp":"2026-11-01T10:00:00Z"}');
    assert.equal(escaped.status, 200, 'other escapes are fine (parsed by Fastify, stored re-serialized)');
    assert.deepEqual(escaped.body.ids, ['été']);
  } finally {
    await server.stop();
  }
});
