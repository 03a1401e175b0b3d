/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../../testing/harness.ts';
import { goldAudience, ingest, person } from '../../test-support.ts';
import { fakeContactsApi, type FakeContactsApi } from './fake-contacts-api.ts';

let server: TestServer;
let esp: FakeContactsApi;
let datasetId: string;
let audienceId: string;

before(async () => {
  esp = await fakeContactsApi();
  server = await startTestServer();
  server.running.platform.activations.tune({ backoff: { baseMs: 20, maxMs: 5000, maxAttempts: 3 }, timeoutMs: 2000 });
  ({ datasetId, audienceId } = await goldAudience(server));
});
after(async () => {
  await server.stop();
  await esp.close();
});

const members = () => esp.requests.filter((r) => r.status === 200).flatMap((r) => r.json.members);
const later = (s: number) => new Date(Date.now() + s * 1000).toISOString();

async function destination(name: string, settings: Record<string, unknown> = {}) {
  const res = await server.api('POST', '/api/v1/destinations', { name, type: 'email-service', settings: { baseUrl: esp.url, listId: 'list-42', apiKey: 'esp_secret_key', batchSize: 10, ...settings } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

test('members are upserted to the list with normalized emails, merge fields, audience tags and the API key; exits remove them; opted-out people are never sent', async () => {
  const dest = await destination('newsletter');
  assert.equal(dest.settings.apiKey, '********', 'the key is never returned');
  await ingest(server, datasetId, [person(1), person(3, 'gold', { consents: { marketing: { email: { val: 'n' } } } })]);
  await server.running.platform.settleProfiles();
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'gold newsletter',
    destinationId: dest.id,
    audienceIds: [audienceId],
    mappings: [
      { source: 'person.name.firstName', destination: 'FNAME' },
      { source: 'loyalty.points', destination: 'POINTS' },
    ],
    identities: [{ namespace: 'Email' }],
    schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));

  await esp.waitFor(() => members().some((m: any) => m.email === 'person1@example.com'));
  const first = esp.requests[0];
  assert.equal(first.method, 'POST');
  assert.equal(first.path, '/v3/lists/list-42/members');
  assert.equal(first.headers['x-api-key'], 'esp_secret_key');
  assert.equal(first.headers['content-type'], 'application/json');
  assert.ok(first.headers['idempotency-key']);
  assert.deepEqual(members().find((m: any) => m.email === 'person1@example.com'), { email: 'person1@example.com', action: 'upsert', status: 'subscribed', mergeFields: { FNAME: 'First1', POINTS: 10 }, tags: { gold: true } });

  await ingest(server, datasetId, [person(2)]);
  await esp.waitFor(() => members().some((m: any) => m.email === 'person2@example.com'));
  await ingest(server, datasetId, [{ ...person(2, 'silver'), timestamp: later(1) }]);
  await esp.waitFor(() => members().some((m: any) => m.email === 'person2@example.com' && m.action === 'remove'));
  assert.deepEqual(members().find((m: any) => m.action === 'remove'), { email: 'person2@example.com', action: 'remove' });

  await server.running.platform.activations.idle();
  assert.equal(members().some((m: any) => m.email === 'person3@example.com'), false, 'email consent denied: not sent');
  const detail = await server.api('GET', `/api/v1/activations/${activation.body.id}`);
  assert.equal(detail.body.stats.deadLetters, 0);
  await server.api('DELETE', `/api/v1/activations/${activation.body.id}`);
});

test('429 with Retry-After is honoured: the batch is sent again no sooner than the service asked', async () => {
  const dest = await destination('throttled', { apiKeyHeader: 'authorization' });
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'throttled', destinationId: dest.id, audienceIds: [audienceId], identities: [{ namespace: 'Email' }], schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  await server.running.platform.activations.idle();
  const before = esp.requests.length;
  esp.script({ status: 429, headers: { 'retry-after': '1' } });
  await ingest(server, datasetId, [person(20)]);
  const mine = () => esp.requests.slice(before).filter((r) => r.json.members.some((m: any) => m.email === 'person20@example.com'));
  await esp.waitFor(() => mine().some((r) => r.status === 200));
  const [throttled, retried] = mine();
  assert.equal(throttled.status, 429);
  assert.equal(retried.status, 200);
  assert.ok(retried.at - throttled.at >= 950, `waited ${retried.at - throttled.at} ms, asked 1 s`);
  assert.equal(retried.headers.authorization, 'Bearer esp_secret_key');
  assert.equal(retried.headers['idempotency-key'], throttled.headers['idempotency-key'], 'the retry is the same delivery');
  await server.api('DELETE', `/api/v1/activations/${activation.body.id}`);
});

test('a hashed email mapping is refused at save; a 4xx answer is a permanent failure, dead-lettered with the reason', async () => {
  const dest = await destination('rejecting');
  const hashed = await server.api('POST', '/api/v1/activations', {
    name: 'hashed', destinationId: dest.id, audienceIds: [audienceId], identities: [{ namespace: 'Email', hashed: true }], schedule: { type: 'streaming' },
  });
  assert.equal(hashed.status, 422, JSON.stringify(hashed.body));
  assert.equal(hashed.body.errors[0].path, 'identities[0].hashed');
  assert.match(hashed.body.errors[0].message, /plain Email identity/);

  const plain = await server.api('POST', '/api/v1/activations', {
    name: 'plain', destinationId: dest.id, audienceIds: [audienceId], identities: [{ namespace: 'Email' }], schedule: { type: 'streaming' },
  });
  await server.running.platform.activations.idle();
  esp.script({ status: 400 });
  await ingest(server, datasetId, [person(30)]);
  await esp.waitFor((r) => r.some((x) => x.status === 400));
  await server.running.platform.activations.idle();
  const rejected = await server.api('GET', `/api/v1/activations/${plain.body.id}/dead-letters`);
  assert.equal(rejected.body.items.length, 1);
  assert.equal(rejected.body.items[0].attempts, 1, 'a 4xx is not retried');
  assert.match(rejected.body.items[0].lastError, /400/);
});

test('email-service settings and identities are checked, naming the field', async () => {
  const bad = await server.api('POST', '/api/v1/destinations', { name: 'x', type: 'email-service', settings: { baseUrl: 'ftp://esp', listId: 'l', apiKey: 'k' } });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.errors[0].path, 'settings.baseUrl');
  const noList = await server.api('POST', '/api/v1/destinations', { name: 'x', type: 'email-service', settings: { baseUrl: esp.url, apiKey: 'k' } });
  assert.equal(noList.status, 422);
  assert.equal(noList.body.errors[0].path, 'settings.listId');
  const dest = await destination('ids');
  const crm = await server.api('POST', '/api/v1/activations', { name: 'x', destinationId: dest.id, audienceIds: [audienceId], identities: [{ namespace: 'CRMID' }], schedule: { type: 'streaming' } });
  assert.equal(crm.status, 422);
  assert.equal(crm.body.errors[0].path, 'identities[0].namespace');
  const none = await server.api('POST', '/api/v1/activations', { name: 'x', destinationId: dest.id, audienceIds: [audienceId], schedule: { type: 'streaming' } });
  assert.equal(none.status, 422);
  assert.equal(none.body.code, 'ACTIVATION_IDENTITY_MISSING');
});
