import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, startTestServer, type TestServer } from '../../testing/harness.ts';
import { corsHeaders, normalizeOrigin } from './cors.ts';
import { TokenBucket } from './rate-limit.ts';

describe('CORS helper', () => {
  const datastream = { allowedOrigins: ['https://shop.example.com', 'http://localhost:3000'] };

  test('an allowed origin gets its own origin back, with credentials', () => {
    assert.deepEqual(corsHeaders(datastream, 'https://shop.example.com'), {
      'access-control-allow-origin': 'https://shop.example.com',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    assert.ok(corsHeaders(datastream, 'https://SHOP.example.com:443'), 'origins compare in normalized form');
  });

  test('another origin, or none, gets no headers', () => {
    assert.equal(corsHeaders(datastream, 'https://evil.example'), undefined);
    assert.equal(corsHeaders(datastream, 'http://shop.example.com'), undefined, 'the scheme is part of the origin');
    assert.equal(corsHeaders(datastream, undefined), undefined);
    assert.equal(corsHeaders(datastream, 'null'), undefined);
    assert.equal(corsHeaders({ allowedOrigins: [] }, 'https://shop.example.com'), undefined, 'no list: no cross-origin calls');
  });

  test('"*" allows any origin only when listed explicitly, and still echoes the origin', () => {
    assert.equal(corsHeaders({ allowedOrigins: ['*'] }, 'https://any.example')?.['access-control-allow-origin'], 'https://any.example');
  });

  test('a preflight also grants the method and the requested headers', () => {
    const headers = corsHeaders(datastream, 'http://localhost:3000', { requestHeaders: 'content-type, x-custom' });
    assert.equal(headers?.['access-control-allow-methods'], 'GET, POST, OPTIONS');
    assert.equal(headers?.['access-control-allow-headers'], 'content-type, x-custom');
    assert.equal(headers?.['access-control-max-age'], '600');
  });

  test('origins are normalized; paths and other schemes are not origins', () => {
    assert.equal(normalizeOrigin('https://Shop.Example.com/'), 'https://shop.example.com');
    assert.equal(normalizeOrigin('https://shop.example.com/path'), undefined);
    assert.equal(normalizeOrigin('ftp://shop.example.com'), undefined);
    assert.equal(normalizeOrigin('shop.example.com'), undefined);
  });
});

describe('token bucket', () => {
  test('a burst is allowed, then requests flow at the configured rate', () => {
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 3 }, 0);
    assert.deepEqual([0, 0, 0].map((t) => bucket.take(t).allowed), [true, true, true]);
    assert.deepEqual(bucket.take(0), { allowed: false, retryAfterSeconds: 1 });
    assert.equal(bucket.take(100).allowed, true, 'one token refills in 100 ms at 10/s');
    assert.equal(bucket.take(150).allowed, false);
    assert.equal(bucket.take(10_000).allowed, true);
    assert.deepEqual([1, 2, 3].map(() => bucket.take(10_000).allowed), [true, true, false], 'refill never exceeds the burst');
  });

  test('a slow rate asks the client to wait whole seconds', () => {
    const slow = new TokenBucket({ requestsPerSecond: 0.25, burst: 1 }, 0);
    assert.equal(slow.take(0).allowed, true);
    assert.deepEqual(slow.take(1000), { allowed: false, retryAfterSeconds: 3 }, 'a quarter token refilled; three seconds to the next');
  });
});

describe('datastreams API', () => {
  let server: TestServer;
  let events: string;
  let profiles: string;
  before(async () => {
    server = await startTestServer();
    events = (await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event', profileEnabled: true })).body.id;
    profiles = (await server.api('POST', '/api/v1/datasets', { name: 'crm', schemaId: 'profile', profileEnabled: true })).body.id;
  });
  after(() => server.stop());

  test('a datastream is created with defaults, and its configId resolves to it', async () => {
    const res = await server.api('POST', '/api/v1/datastreams', {
      name: 'website', eventDatasetId: 'web', profileDatasetId: profiles, allowedOrigins: ['https://Shop.Example.com/'], orgId: '53A16ACB5CC1D3760A495C99@AdobeOrg',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const ds = res.body;
    assert.match(ds.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(ds.eventDatasetId, events, 'a dataset named by name is stored by id');
    assert.deepEqual(ds.services, { personalization: true, audiences: true, forwarding: false });
    assert.deepEqual(ds.allowedOrigins, ['https://shop.example.com']);
    assert.deepEqual(ds.rateLimit, { requestsPerSecond: 1000, burst: 2000 });
    assert.equal(ds.cookiePrefix, 'kndctr_53A16ACB5CC1D3760A495C99_AdobeOrg');
    assert.equal(ds.sandbox, 'prod');

    const resolved = await server.running.platform.datastreams.resolveDatastream(ds.id);
    assert.ok(resolved);
    assert.equal(resolved.sandboxId, (await server.running.platform.tenancy.getSandbox('prod')).id);
    assert.equal(resolved.datastream.eventDatasetId, events);
    assert.ok(resolved.cors('https://shop.example.com'));
    assert.equal(resolved.cors('https://other.example'), undefined);
    assert.equal(resolved.admit().allowed, true);

    assert.deepEqual((await server.api('GET', `/api/v1/datastreams/${ds.id}`)).body, ds);
    assert.deepEqual((await server.api('GET', '/api/v1/datastreams')).body.items.map((d: { id: string }) => d.id), [ds.id]);
  });

  test('a change is seen by the next resolve: update, disable, delete', async () => {
    const { datastreams } = server.running.platform;
    const ds = (await server.api('POST', '/api/v1/datastreams', { name: 'app', eventDatasetId: events, rateLimit: { requestsPerSecond: 1, burst: 1 } })).body;
    const first = await datastreams.resolveDatastream(ds.id);
    assert.equal(first?.admit().allowed, true);
    assert.equal(first?.admit().allowed, false, 'the bucket of one is empty');
    assert.equal(await datastreams.resolveDatastream(ds.id), first, 'resolved from the cache');

    const updated = await server.api('PUT', `/api/v1/datastreams/${ds.id}`, { name: 'app', eventDatasetId: events, allowedOrigins: ['*'], rateLimit: { requestsPerSecond: 50 } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const second = await datastreams.resolveDatastream(ds.id);
    assert.deepEqual(second?.datastream.allowedOrigins, ['*']);
    assert.equal(second?.admit().allowed, true, 'a new limit starts a new bucket');
    assert.ok(second?.cors('https://anywhere.example'));

    await server.api('PUT', `/api/v1/datastreams/${ds.id}`, { name: 'app', eventDatasetId: events, enabled: false });
    assert.equal(await datastreams.resolveDatastream(ds.id), undefined, 'a disabled datastream does not resolve');

    assert.equal((await server.api('DELETE', `/api/v1/datastreams/${ds.id}`)).status, 204);
    assert.equal(await datastreams.resolveDatastream(ds.id), undefined);
    assertProblem(await server.api('GET', `/api/v1/datastreams/${ds.id}`), 404, 'DATASTREAM_NOT_FOUND');
    assert.equal(await datastreams.resolveDatastream('00000000-0000-4000-8000-000000000000'), undefined);
  });

  test('bad configurations are refused with 422 naming each field', async () => {
    const res = await server.api('POST', '/api/v1/datastreams', {
      name: 'bad', eventDatasetId: profiles, profileDatasetId: 'nope', allowedOrigins: ['https://ok.example', 'https://shop.example.com/cart'],
    });
    assertProblem(res, 422, 'INVALID_DATASTREAM');
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['eventDatasetId', 'profileDatasetId', 'allowedOrigins[1]']);
    assert.match(res.body.errors[0].message, /must be an event dataset/);
    assert.match(res.body.errors[1].message, /does not exist in this sandbox/);

    const wrongProfile = await server.api('POST', '/api/v1/datastreams', { name: 'bad', eventDatasetId: events, profileDatasetId: events });
    assertProblem(wrongProfile, 422, 'INVALID_DATASTREAM');
    assert.equal(wrongProfile.body.errors[0].path, 'profileDatasetId');

    assertProblem(await server.api('POST', '/api/v1/datastreams', { name: 'bad', eventDatasetId: events, rateLimit: { requestsPerSecond: 0 } }), 400, 'VALIDATION_FAILED');
    assertProblem(await server.api('POST', '/api/v1/datastreams', { name: 'bad', eventDatasetId: events, orgId: 'has spaces@AdobeOrg' }), 400, 'VALIDATION_FAILED');
  });

  test('roles: viewers read, editors write, ingest keys do neither', async () => {
    const key = async (role: string) => (await server.api('POST', '/api/v1/api-keys', { name: role, role })).body.secret as string;
    const viewer = await key('viewer');
    const editor = await key('editor');
    const ingest = await key('ingest');
    assert.equal((await server.api('GET', '/api/v1/datastreams', undefined, { key: viewer })).status, 200);
    assertProblem(await server.api('POST', '/api/v1/datastreams', { name: 'v', eventDatasetId: events }, { key: viewer }), 403, 'FORBIDDEN');
    assert.equal((await server.api('POST', '/api/v1/datastreams', { name: 'e', eventDatasetId: events }, { key: editor })).status, 201);
    assertProblem(await server.api('GET', '/api/v1/datastreams', undefined, { key: ingest }), 403, 'FORBIDDEN');
    assertProblem(await server.api('GET', '/api/v1/datastreams', undefined, { key: null }), 401, 'UNAUTHORIZED');
  });

  test('sandboxes never see each other\'s datastreams or datasets', async () => {
    assert.equal((await server.api('POST', '/api/v1/sandboxes', { name: 'dev', title: 'Dev', type: 'development' })).status, 201);
    const inProd = (await server.api('POST', '/api/v1/datastreams', { name: 'prod-only', eventDatasetId: events })).body;
    assertProblem(await server.api('GET', `/api/v1/datastreams/${inProd.id}`, undefined, { sandbox: 'dev' }), 404, 'DATASTREAM_NOT_FOUND');
    assertProblem(await server.api('DELETE', `/api/v1/datastreams/${inProd.id}`, undefined, { sandbox: 'dev' }), 404, 'DATASTREAM_NOT_FOUND');
    assertProblem(await server.api('PUT', `/api/v1/datastreams/${inProd.id}`, { name: 'x', eventDatasetId: events }, { sandbox: 'dev' }), 404, 'DATASTREAM_NOT_FOUND');
    const crossDataset = await server.api('POST', '/api/v1/datastreams', { name: 'x', eventDatasetId: events }, { sandbox: 'dev' });
    assertProblem(crossDataset, 422, 'INVALID_DATASTREAM');
    assert.equal(crossDataset.body.errors[0].path, 'eventDatasetId', 'a dataset of another sandbox does not exist here');
    assert.deepEqual((await server.api('GET', '/api/v1/datastreams', undefined, { sandbox: 'dev' })).body.items, []);

    const devEvents = (await server.api('POST', '/api/v1/datasets', { name: 'web', schemaId: 'experience-event' }, { sandbox: 'dev' })).body.id;
    const inDev = (await server.api('POST', '/api/v1/datastreams', { name: 'dev-site', eventDatasetId: devEvents }, { sandbox: 'dev' })).body;
    const resolved = await server.running.platform.datastreams.resolveDatastream(inDev.id);
    assert.equal(resolved?.sandboxId, (await server.running.platform.tenancy.getSandbox('dev')).id);
    assert.equal(resolved?.datastream.sandbox, 'dev');

    assert.equal((await server.api('DELETE', '/api/v1/sandboxes/dev')).status, 204);
    assert.equal(await server.running.platform.datastreams.resolveDatastream(inDev.id), undefined, 'a deleted sandbox takes its datastreams');
    assert.ok(await server.running.platform.datastreams.resolveDatastream(inProd.id));
  });

  test('deleting a dataset removes the datastreams writing events into it and unbinds a profile dataset', async () => {
    const tmpEvents = (await server.api('POST', '/api/v1/datasets', { name: 'tmp_events', schemaId: 'experience-event' })).body.id;
    const tmpProfiles = (await server.api('POST', '/api/v1/datasets', { name: 'tmp_profiles', schemaId: 'profile' })).body.id;
    const a = (await server.api('POST', '/api/v1/datastreams', { name: 'a', eventDatasetId: tmpEvents })).body;
    const b = (await server.api('POST', '/api/v1/datastreams', { name: 'b', eventDatasetId: events, profileDatasetId: tmpProfiles })).body;
    await server.running.platform.datastreams.resolveDatastream(b.id);
    assert.equal((await server.api('DELETE', `/api/v1/datasets/${tmpEvents}`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/datasets/${tmpProfiles}`)).status, 204);
    assertProblem(await server.api('GET', `/api/v1/datastreams/${a.id}`), 404, 'DATASTREAM_NOT_FOUND');
    const kept = await server.api('GET', `/api/v1/datastreams/${b.id}`);
    assert.equal(kept.body.profileDatasetId, undefined);
    assert.equal((await server.running.platform.datastreams.resolveDatastream(b.id))?.datastream.profileDatasetId, undefined, 'the cache saw the change');
  });

  test('datastream routes are in the OpenAPI description', async () => {
    const spec = (await server.api('GET', '/openapi.json')).body;
    assert.ok(spec.paths['/api/v1/datastreams']?.post);
    assert.ok(spec.paths['/api/v1/datastreams/{id}']?.put);
  });
});
