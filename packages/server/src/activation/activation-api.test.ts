/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertProblem, startTestServer, type TestServer } from '../testing/harness.ts';
import { fakeDestination, goldAudience, ingest, person, type FakeDestination } from './test-support.ts';

let server: TestServer;
let datasetId: string;
let audienceId: string;
let ads: FakeDestination;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

before(async () => {
  server = await startTestServer();
  ads = await fakeDestination();
  ({ datasetId, audienceId } = await goldAudience(server));
});
after(async () => {
  await server.stop();
  await ads.close();
});

test('bad destination settings are refused with 422 naming each field', async () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['webhook', { url: 'ftp://example.com/x' }, 'settings.url'],
    ['webhook', { url: 'http://x', batchSize: 0 }, 'settings.batchSize'],
    ['webhook', { url: 'http://x', auth: { type: 'bearer' } }, 'settings.auth'],
    ['webhook', { url: 'http://x', template: { a: '{{nope.x}}' } }, 'settings.template'],
    ['webhook', {}, 'settings.url'],
    ['ad-audience', { url: 'http://x' }, 'settings.accessToken'],
    ['file', { folder: 'x', format: 'xml' }, 'settings.format'],
  ];
  for (const [type, settings, path] of cases) {
    const res = await server.api('POST', '/api/v1/destinations', { name: 'bad', type, settings });
    assertProblem(res, 422, 'INVALID_DESTINATION_SETTINGS');
    assert.ok(res.body.errors.some((e: any) => e.path === path), `${type} ${JSON.stringify(settings)} names ${path}: ${JSON.stringify(res.body.errors)}`);
  }
  const unknown = await server.api('POST', '/api/v1/destinations', { name: 'bad', type: 'carrier-pigeon', settings: {} });
  assertProblem(unknown, 422, 'INVALID_DESTINATION_SETTINGS');
  assert.equal(unknown.body.errors[0].path, 'type');
  const openapi = await fetch(`${server.url}/openapi.json`).then((r) => r.json() as Promise<any>);
  for (const path of ['/api/v1/destinations', '/api/v1/activations/{id}/runs', '/api/v1/activations/{id}/dead-letters/replay']) assert.ok(openapi.paths[path], path);
  const types = await server.api('GET', '/api/v1/destinations/types');
  // Other types (sftp, s3, campaign, …) join the list; these three are always there.
  const typeNames = types.body.items.map((t: any) => t.type);
  for (const type of ['ad-audience', 'file', 'webhook']) assert.ok(typeNames.includes(type), `${type} is listed`);
});

test('an activation missing an identity the destination needs is refused; so are unknown audiences and unhashed ad identities', async () => {
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'ads', type: 'ad-audience', settings: { url: ads.url, accessToken: 'tok' } });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  const base = { name: 'ads', destinationId: destination.body.id, audienceIds: [audienceId], schedule: { type: 'streaming' } };
  const none = await server.api('POST', '/api/v1/activations', base);
  assertProblem(none, 422, 'ACTIVATION_IDENTITY_MISSING');
  assert.equal(none.body.errors[0].path, 'identities');
  const wrong = await server.api('POST', '/api/v1/activations', { ...base, identities: [{ namespace: 'CRMID' }] });
  assertProblem(wrong, 422, 'INVALID_ACTIVATION');
  assert.equal(wrong.body.errors[0].path, 'identities[0].namespace');
  const raw = await server.api('POST', '/api/v1/activations', { ...base, identities: [{ namespace: 'Email', hashed: false }] });
  assertProblem(raw, 422, 'INVALID_ACTIVATION');
  assert.equal(raw.body.errors[0].path, 'identities[0].hashed');
  const missing = await server.api('POST', '/api/v1/activations', { ...base, audienceIds: [audienceId, 'aud_nope'], identities: [{ namespace: 'Email' }] });
  assertProblem(missing, 422, 'INVALID_ACTIVATION');
  assert.equal(missing.body.errors[0].path, 'audienceIds[1]');
  const everyN = await server.api('POST', '/api/v1/activations', { ...base, identities: [{ namespace: 'Email' }], schedule: { type: 'batch', frequency: 'everyNHours' } });
  assertProblem(everyN, 422, 'INVALID_ACTIVATION');
  assert.equal(everyN.body.errors[0].path, 'schedule.everyHours');
  const noDestination = await server.api('POST', '/api/v1/activations', { ...base, destinationId: 'dst_nope', identities: [{ namespace: 'Email' }] });
  assertProblem(noDestination, 404, 'DESTINATION_NOT_FOUND');
});

test('the ad audience gets SHA-256 hashed, normalized email and phone in batched add/remove operations', async () => {
  const destination = await server.api('POST', '/api/v1/destinations', { name: 'ads2', type: 'ad-audience', settings: { url: ads.url, accessToken: 'tok_ads', batchSize: 100, audienceNamePrefix: 'mrd_' } });
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'ads', destinationId: destination.body.id, audienceIds: [audienceId], identities: [{ namespace: 'Email' }, { namespace: 'Phone' }], schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  assert.deepEqual(activation.body.identities, [
    { namespace: 'Email', hashed: true, field: 'Email_LC_SHA256' },
    { namespace: 'Phone', hashed: true, field: 'Phone_SHA256' },
  ]);
  // Ad platforms are third parties: only people who allow sharing are sent (activation/consent.test.ts).
  await ingest(server, datasetId, [person(31, 'gold', { personalEmail: { address: 'Ann.Lee@Example.COM' }, mobilePhone: { number: '+1 (650) 555-0100' }, consents: { share: { val: 'y' } } })]);
  await ads.waitFor((r) => r.some((x) => x.json.operations?.some((o: any) => o.action === 'add')));
  const add = ads.received.flatMap((x) => x.json.operations).find((o: any) => o.action === 'add');
  assert.equal(add.audienceId, audienceId);
  assert.equal(add.audienceName, 'mrd_gold');
  assert.deepEqual(add.schema, ['EMAIL_SHA256', 'PHONE_SHA256']);
  assert.deepEqual(add.data, [[sha('ann.lee@example.com'), sha('16505550100')]]);
  assert.equal(ads.received[0].headers.authorization, 'Bearer tok_ads');
  assert.match(ads.received[0].headers['idempotency-key'] as string, /^[0-9a-f]{32}$/);
  assert.ok(!ads.received.some((x) => x.body.includes('Example.COM') || x.body.includes('ann.lee@')), 'raw identities never leave');

  await ingest(server, datasetId, [{ ...person(31, 'bronze', { personalEmail: { address: 'ann.lee@example.com' } }), timestamp: new Date(Date.now() + 1000).toISOString() }]);
  await ads.waitFor((r) => r.some((x) => x.json.operations?.some((o: any) => o.action === 'remove')));
  const remove = ads.received.flatMap((x) => x.json.operations).find((o: any) => o.action === 'remove');
  assert.deepEqual(remove.data[0][0], sha('ann.lee@example.com'));
});

test('sandboxes never see each other\'s destinations, activations or deliveries', async () => {
  const created = await server.api('POST', '/api/v1/sandboxes', { name: 'dev', title: 'Dev', type: 'development' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const devHook = await fakeDestination();
  try {
    const dev = await goldAudience(server, 'dev');
    const destination = await server.api('POST', '/api/v1/destinations', { name: 'dev hook', type: 'webhook', settings: { url: devHook.url } }, { sandbox: 'dev' });
    const activation = await server.api('POST', '/api/v1/activations', {
      name: 'dev', destinationId: destination.body.id, audienceIds: [dev.audienceId], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
    }, { sandbox: 'dev' });
    assert.equal(activation.status, 201, JSON.stringify(activation.body));

    assertProblem(await server.api('GET', `/api/v1/destinations/${destination.body.id}`), 404, 'DESTINATION_NOT_FOUND');
    assertProblem(await server.api('GET', `/api/v1/activations/${activation.body.id}`), 404, 'ACTIVATION_NOT_FOUND');
    assertProblem(await server.api('GET', `/api/v1/activations/${activation.body.id}/runs`), 404, 'ACTIVATION_NOT_FOUND');
    assert.ok(!(await server.api('GET', '/api/v1/activations')).body.items.some((a: any) => a.id === activation.body.id));
    const crossAudience = await server.api('POST', '/api/v1/activations', {
      name: 'x', destinationId: destination.body.id, audienceIds: [audienceId], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' },
    }, { sandbox: 'dev' });
    assertProblem(crossAudience, 422, 'INVALID_ACTIVATION');

    await ingest(server, datasetId, [person(41)]); // prod: the dev hook hears nothing
    await ingest(server, dev.datasetId, [person(42)], 'dev');
    await devHook.waitFor((r) => r.length >= 1);
    await server.running.platform.settleProfiles();
    await server.running.platform.activations.idle();
    assert.deepEqual(devHook.received.map((r) => r.json.identityMap.CRMID[0].id), ['C42']);
  } finally {
    await devHook.close();
  }
});
