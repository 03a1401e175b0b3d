import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';

interface Sent {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- asserted field by field
  body: any;
}

/** Posts to the public Segment API the way clients do: JSON (or raw bytes), Basic auth with the write key. */
async function send(server: TestServer, path: string, body: unknown, options: { writeKey?: string; headers?: Record<string, string>; raw?: Buffer } = {}): Promise<Sent> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(options.headers ?? {}) };
  if (options.writeKey !== undefined) headers.authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  const res = await fetch(server.url + path, { method: 'POST', headers, body: options.raw ? new Uint8Array(options.raw) : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

describe('Segment tracking API over HTTP', () => {
  let server: TestServer;
  let writeKey: string;
  let sourceId: string;
  before(async () => {
    server = await startTestServer({ MERIDIAN_BODY_LIMIT_BYTES: '200000' });
    const res = await server.api('POST', '/api/v1/sources', { name: 'website' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    writeKey = res.body.writeKey;
    sourceId = res.body.id;
  });
  after(() => server.stop());

  test('a source gets its datasets, schemas and anonymous-id namespace made once, and its key is shown once', async () => {
    const source = (await server.api('GET', `/api/v1/sources/${sourceId}`)).body;
    assert.equal(source.writeKey, undefined);
    assert.equal(source.keyPrefix, writeKey.slice(0, 8));
    const events = (await server.api('GET', `/api/v1/datasets/${source.eventDatasetId}`)).body;
    const profiles = (await server.api('GET', `/api/v1/datasets/${source.profileDatasetId}`)).body;
    assert.deepEqual([events.name, events.class, events.profileEnabled], ['segment_events', 'event', true]);
    assert.deepEqual([profiles.name, profiles.class, profiles.profileEnabled], ['segment_profiles', 'profile', true]);
    const second = (await server.api('POST', '/api/v1/sources', { name: 'app' })).body;
    assert.equal(second.eventDatasetId, source.eventDatasetId, 'a second source reuses the standard datasets');
    assert.notEqual(second.writeKey, writeKey);
    const namespaces = (await server.api('GET', '/api/v1/identity/namespaces')).body.items;
    assert.ok(namespaces.some((n: { code: string; type: string }) => n.code === 'segment_anonymous_id' && n.type === 'cookie'));
    assert.deepEqual((await server.api('GET', '/api/v1/sources')).body.items.map((s: { name: string }) => s.name), ['app', 'website']);
    assert.equal((await server.api('DELETE', `/api/v1/sources/${second.id}`)).status, 204);
    assertProblem(await send(server, '/v1/track', { event: 'X', userId: 'u' }, { writeKey: second.writeKey }), 401, 'WRITE_KEY_INVALID');
  });

  test('every single call is accepted and lands on the person: identify, page, screen, track, group, alias', async () => {
    const calls: [string, object][] = [
      ['/v1/identify', { userId: 'u-1', anonymousId: 'anon-1', messageId: 'id-1', traits: { email: 'ann@example.com', firstName: 'Ann', plan: 'pro' } }],
      ['/v1/page', { anonymousId: 'anon-1', messageId: 'pg-1', name: 'Home', properties: { url: 'https://shop.example.com/' } }],
      ['/v1/screen', { userId: 'u-1', messageId: 'sc-1', name: 'Cart' }],
      ['/v1/track', { userId: 'u-1', messageId: 'tr-1', event: 'Order Completed', properties: { order_id: 'o1', revenue: 30, currency: 'USD' } }],
      ['/v1/group', { userId: 'u-1', messageId: 'gr-1', groupId: 'acme', traits: { name: 'Acme' } }],
      ['/v1/alias', { userId: 'u-1', previousId: 'anon-0', messageId: 'al-1' }],
    ];
    for (const [path, message] of calls) {
      const res = await send(server, path, message, { writeKey });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, { success: true, accepted: 1, duplicates: 0, rejected: [] }, path);
    }
    const profile = await server.api('GET', '/api/v1/profiles?identity=segment_anonymous_id:anon-0');
    assert.equal(profile.status, 200, JSON.stringify(profile.body));
    assert.deepEqual(
      profile.body.identities.map((i: { namespace: string; id: string }) => `${i.namespace}:${i.id}`).sort(),
      ['CRMID:u-1', 'Email:ann@example.com', 'segment_anonymous_id:anon-0', 'segment_anonymous_id:anon-1'],
    );
    assert.equal(profile.body.attributes.person.name.firstName, 'Ann');
    assert.equal(profile.body.attributes._meridian.segment.traits.plan, 'pro');
    const timeline = await server.api('GET', '/api/v1/profiles/events?identity=CRMID:u-1');
    assert.deepEqual(timeline.body.items.map((e: { _id: string }) => e._id).sort(), ['gr-1', 'pg-1', 'sc-1', 'tr-1']);
    const purchase = timeline.body.items.find((e: { _id: string }) => e._id === 'tr-1');
    assert.equal(purchase.eventType, 'commerce.purchases');
    assert.equal(purchase.commerce.order.priceTotal, 30);
  });

  test('a batch with one malformed message: the others are written, the bad one is named, the answer is 200', async () => {
    const res = await send(server, '/v1/batch', {
      batch: [
        { type: 'track', event: 'Viewed', userId: 'u-2', messageId: 'b-1' },
        { type: 'track', userId: 'u-2', messageId: 'b-2' },
        { type: 'page', anonymousId: 'anon-2', messageId: 'b-3', timestamp: 'not a time' },
        { type: 'identify', userId: 'u-2', messageId: 'b-4', traits: { email: 'bo@example.com' } },
        'not an object',
      ],
    }, { writeKey });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    assert.equal(res.body.accepted, 2);
    assert.deepEqual(res.body.rejected.map((r: { index: number; messageId?: string; errors: { path: string }[] }) => [r.index, r.messageId, r.errors[0].path]), [
      [1, 'b-2', 'event'],
      [2, 'b-3', 'timestamp'],
      [4, undefined, ''],
    ]);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /meridian_ingest_records_rejected_total\{[^}]*source="segment"[^}]*\} 3/);
  });

  test('a message the dataset schema refuses is rejected alone with the schema\'s reason', async () => {
    const res = await send(server, '/v1/batch', {
      batch: [
        { type: 'identify', userId: 'u-3', messageId: 'v-1', traits: { email: 'c@example.com', birthday: '1990-13-45' } },
        { type: 'identify', userId: 'u-3', messageId: 'v-2', traits: { phone: '+33 1 23 45 67 89' } },
      ],
    }, { writeKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 2, 'an impossible birthday is not forced into person.birthDate; it stays a custom trait');
    const rejectedBySchema = await send(server, '/v1/track', { userId: 'u-3', messageId: 'v-3', event: 'x'.repeat(300) }, { writeKey });
    assert.equal(rejectedBySchema.status, 200);
    assert.equal(rejectedBySchema.body.accepted, 0);
    assert.equal(rejectedBySchema.body.rejected[0].errors[0].path, 'event');
  });

  test('a retried batch is idempotent on messageId', async () => {
    const batch = { batch: [{ type: 'track', event: 'Retry', userId: 'u-4', messageId: 'r-1' }, { type: 'identify', userId: 'u-4', messageId: 'r-2' }] };
    assert.deepEqual((await send(server, '/v1/batch', batch, { writeKey })).body, { success: true, accepted: 2, duplicates: 0, rejected: [] });
    assert.deepEqual((await send(server, '/v1/batch', batch, { writeKey })).body, { success: true, accepted: 0, duplicates: 2, rejected: [] });
  });

  test('gzip bodies are read with Content-Encoding, or by their magic bytes whatever the content type says', async () => {
    const body = (id: string) => gzipSync(JSON.stringify({ batch: [{ type: 'track', event: 'Zipped', userId: 'u-5', messageId: id }] }));
    const encoded = await send(server, '/v1/batch', null, { writeKey, raw: body('z-1'), headers: { 'content-encoding': 'gzip', 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(encoded.status, 200, JSON.stringify(encoded.body));
    assert.equal(encoded.body.accepted, 1);
    const magic = await send(server, '/v1/batch', null, { writeKey, raw: body('z-2'), headers: { 'content-type': 'application/json' } });
    assert.equal(magic.status, 200, JSON.stringify(magic.body));
    assert.equal(magic.body.accepted, 1);
    const noType = await fetch(`${server.url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` }, body: new Uint8Array(body('z-3')) });
    assert.equal(noType.status, 200);
    assertProblem(await send(server, '/v1/batch', null, { writeKey, raw: Buffer.from([0x1f, 0x8b, 1, 2, 3]) }), 400, 'INVALID_ENCODING');
  });

  test('the write key may come in the body instead of Basic auth', async () => {
    const res = await send(server, '/v1/batch', { writeKey, batch: [{ type: 'track', event: 'K', userId: 'u-6', messageId: 'k-1' }] });
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 1);
  });

  test('an unknown, missing or revoked write key gets 401 without details', async () => {
    const message = { type: 'track', event: 'X', userId: 'u' };
    for (const res of [
      await send(server, '/v1/track', message, { writeKey: 'wk_not_a_real_key' }),
      await send(server, '/v1/track', message),
      await send(server, '/v1/batch', { batch: [message] }, { writeKey: '' }),
    ]) {
      assertProblem(res, 401, 'WRITE_KEY_INVALID');
      assert.equal(res.body.detail, 'a valid write key is required');
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="meridian"');
    }
    assertProblem(await send(server, '/v1/track', message, { writeKey: `Bearer ${writeKey}` }), 401, 'WRITE_KEY_INVALID');
  });

  test('an unreadable body is a 400, a body over the limit a 413 (also when gzip expands past it)', async () => {
    assertProblem(await send(server, '/v1/batch', null, { writeKey, raw: Buffer.from('{"batch": [') }), 400, 'INVALID_JSON');
    assertProblem(await send(server, '/v1/batch', { batch: 'nope' }, { writeKey }), 400, 'BAD_REQUEST');
    assertProblem(await send(server, '/v1/track', [1, 2], { writeKey }), 400, 'BAD_REQUEST');
    const big = JSON.stringify({ batch: [{ type: 'track', event: 'Big', userId: 'u', properties: { blob: 'x'.repeat(250_000) } }] });
    assertProblem(await send(server, '/v1/batch', null, { writeKey, raw: Buffer.from(big) }), 413, 'PAYLOAD_TOO_LARGE');
    assertProblem(await send(server, '/v1/batch', null, { writeKey, raw: gzipSync(big) }), 413, 'PAYLOAD_TOO_LARGE');
    assertProblem(await send(server, '/v1/batch', null, { writeKey, raw: gzipSync(big), headers: { 'content-encoding': 'gzip' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  test('source configuration is validated: datasets must exist here, have the right class and hold the Segment fields', async () => {
    await server.api('POST', '/api/v1/datasets', { name: 'plain_events', schemaId: 'experience-event', profileEnabled: true });
    await server.api('POST', '/api/v1/datasets', { name: 'off_profiles', schemaId: 'segment-profile' });
    const res = await server.api('POST', '/api/v1/sources', { name: 'bad', eventDatasetId: 'plain_events', profileDatasetId: 'off_profiles' });
    assertProblem(res, 422, 'INVALID_SOURCE');
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['eventDatasetId', 'profileDatasetId']);
    assert.match(res.body.errors[0].message, /lacks .* _meridian\.segment/);
    assert.match(res.body.errors[1].message, /must be profile-enabled/);
    const wrongClass = await server.api('POST', '/api/v1/sources', { name: 'bad', eventDatasetId: 'segment_profiles', profileDatasetId: 'nope' });
    assertProblem(wrongClass, 422, 'INVALID_SOURCE');
    assert.match(wrongClass.body.errors[0].message, /must be an event dataset/);
    assert.match(wrongClass.body.errors[1].message, /does not exist/);
    const viewer = (await server.api('POST', '/api/v1/api-keys', { name: 'v', role: 'viewer' })).body.secret;
    assertProblem(await server.api('POST', '/api/v1/sources', { name: 'v' }, { key: viewer }), 403, 'FORBIDDEN');
  });

  test('sandboxes are isolated: a dev write key writes dev data that prod never sees', async () => {
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev', title: 'Dev', type: 'development' })).status, 201);
    const dev = (await server.api('POST', '/api/v1/sources', { name: 'dev-site' }, { sandbox: 'dev' })).body;
    assert.equal(dev.sandbox, 'dev');
    const res = await send(server, '/v1/identify', { userId: 'dev-user', messageId: 'd-1', traits: { firstName: 'Dee' } }, { writeKey: dev.writeKey });
    assert.equal(res.body.accepted, 1);
    const inDev = await server.api('GET', '/api/v1/profiles?identity=CRMID:dev-user', undefined, { sandbox: 'dev' });
    assert.equal(inDev.status, 200);
    assert.equal(inDev.body.attributes.person.name.firstName, 'Dee');
    assert.equal((await server.api('GET', '/api/v1/profiles?identity=CRMID:dev-user')).status, 404);
    assertProblem(await server.api('GET', `/api/v1/sources/${dev.id}`), 404, 'SOURCE_NOT_FOUND');
    assert.ok(!(await server.api('GET', '/api/v1/sources')).body.items.some((s: { id: string }) => s.id === dev.id));
    assert.equal((await server.api('DELETE', '/api/v1/sandboxes/dev')).status, 204);
    assertProblem(await send(server, '/v1/identify', { userId: 'dev-user' }, { writeKey: dev.writeKey }), 401, 'WRITE_KEY_INVALID');
  });

  test('the public endpoints are in the OpenAPI description without API-key security', async () => {
    const spec = (await server.api('GET', '/openapi.json')).body;
    for (const call of ['batch', 'track', 'identify', 'page', 'screen', 'group', 'alias']) {
      assert.deepEqual(spec.paths[`/v1/${call}`]?.post?.security, [], call);
    }
    assert.ok(spec.paths['/api/v1/sources']?.post);
  });
});
