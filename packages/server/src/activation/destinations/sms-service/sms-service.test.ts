/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../../testing/harness.ts';
import { goldAudience, ingest, person } from '../../test-support.ts';
import { fakeContactsApi, type FakeContactsApi } from '../email-service/fake-contacts-api.ts';
import { toE164 } from './index.ts';

let server: TestServer;
let sms: FakeContactsApi;
let datasetId: string;
let audienceId: string;

before(async () => {
  sms = await fakeContactsApi();
  server = await startTestServer();
  server.running.platform.activations.tune({ backoff: { baseMs: 20, maxMs: 5000, maxAttempts: 3 }, timeoutMs: 2000 });
  ({ datasetId, audienceId } = await goldAudience(server));
});
after(async () => {
  await server.stop();
  await sms.close();
});

const contacts = () => sms.requests.filter((r) => r.status === 200).flatMap((r) => r.json.contacts);
const withPhone = (i: number, phone: string, tier = 'gold', extra: Record<string, unknown> = {}) => ({ ...person(i, tier), mobilePhone: { number: phone }, ...extra });

test('phone numbers become E.164: a + or 00 prefix carries the country code, otherwise the default one replaces the trunk 0', () => {
  assert.equal(toE164('+1 (415) 555-0100'), '+14155550100');
  assert.equal(toE164('0044 7700 900123'), '+447700900123');
  assert.equal(toE164('07700 900123', '44'), '+447700900123');
  assert.equal(toE164('07700 900123', '+44'), '+447700900123');
  assert.equal(toE164('07700 900123'), undefined, 'no country code known: not E.164');
  assert.equal(toE164('+0123456789'), undefined, 'a country code never starts with 0');
  assert.equal(toE164('+12345'), undefined, 'too short');
  assert.equal(toE164('+1234567890123456'), undefined, 'more than 15 digits');
});

test('contacts are synced in batches with basic auth: E.164 phones, attributes, audience tags; exits remove; numbers that cannot be E.164 and SMS opt-outs are not sent', async () => {
  const dest = await server.api('POST', '/api/v1/destinations', {
    name: 'texts', type: 'sms-service',
    settings: { baseUrl: sms.url, listId: 'vip-texts', accountId: 'AC123', authToken: 'sms_token_secret', defaultCountryCode: '44', batchSize: 20 },
  });
  assert.equal(dest.status, 201, JSON.stringify(dest.body));
  assert.equal(dest.body.settings.authToken, '********');
  await ingest(server, datasetId, [
    withPhone(1, '+1 415 555 0100'),
    withPhone(2, '07700 900123'),
    withPhone(3, '+0123456789'),
    withPhone(4, '+14155550104', 'gold', { consents: { marketing: { sms: { val: 'n' } } } }),
  ]);
  await server.running.platform.settleProfiles();
  const third = await server.api('GET', `/api/v1/profiles?identity=${encodeURIComponent('Phone:+0123456789')}`);
  assert.equal(third.status, 200, 'person 3 has a Phone identity, just not an E.164 one');
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'vip texts', destinationId: dest.body.id, audienceIds: [audienceId],
    mappings: [{ source: 'person.name.firstName', destination: 'firstName' }],
    identities: [{ namespace: 'Phone' }], schedule: { type: 'streaming' },
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  await sms.waitFor(() => contacts().length >= 2);
  await server.running.platform.activations.idle();
  const first = sms.requests[0];
  assert.equal(first.path, '/v3/lists/vip-texts/contacts');
  assert.equal(first.headers.authorization, `Basic ${Buffer.from('AC123:sms_token_secret').toString('base64')}`);
  assert.ok(first.headers['idempotency-key']);
  const sent = contacts().sort((a: any, b: any) => a.phone.localeCompare(b.phone));
  assert.deepEqual(sent, [
    { phone: '+14155550100', action: 'upsert', attributes: { firstName: 'First1' }, tags: { gold: true } },
    { phone: '+447700900123', action: 'upsert', attributes: { firstName: 'First2' }, tags: { gold: true } },
  ], 'person 3 (no valid number) and person 4 (SMS opt-out) are not sent');

  await ingest(server, datasetId, [{ ...withPhone(1, '+1 415 555 0100', 'silver'), timestamp: new Date(Date.now() + 1000).toISOString() }]);
  await sms.waitFor(() => contacts().some((c: any) => c.action === 'remove'));
  assert.deepEqual(contacts().find((c: any) => c.action === 'remove'), { phone: '+14155550100', action: 'remove' });
  await server.api('DELETE', `/api/v1/activations/${activation.body.id}`);
});

test('a 503 is retried and a 401 is dead-lettered at once', async () => {
  const dest = await server.api('POST', '/api/v1/destinations', { name: 'flaky', type: 'sms-service', settings: { baseUrl: sms.url, listId: 'l2', accountId: 'AC9', authToken: 't' } });
  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'flaky', destinationId: dest.body.id, audienceIds: [audienceId], identities: [{ namespace: 'Phone' }], schedule: { type: 'streaming' },
  });
  await server.running.platform.activations.idle();
  const path = '/v3/lists/l2/contacts';
  sms.script({ status: 503 });
  await ingest(server, datasetId, [withPhone(10, '+447700900110')]);
  await sms.waitFor((r) => r.some((x) => x.path === path && x.status === 200 && x.json.contacts.some((c: any) => c.phone === '+447700900110')));
  assert.deepEqual(sms.requests.filter((x) => x.path === path && x.json.contacts.some((c: any) => c.phone === '+447700900110')).map((x) => x.status), [503, 200]);
  sms.script({ status: 401 });
  await ingest(server, datasetId, [withPhone(11, '+447700900111')]);
  await sms.waitFor((r) => r.some((x) => x.status === 401));
  await server.running.platform.activations.idle();
  const dead = await server.api('GET', `/api/v1/activations/${activation.body.id}/dead-letters`);
  assert.equal(dead.body.items.length, 1);
  assert.equal(dead.body.items[0].attempts, 1);
  assert.match(dead.body.items[0].lastError, /401/);
});

test('sms-service settings and identities are checked, naming the field', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ baseUrl: 'not a url', listId: 'l', accountId: 'a', authToken: 't' }, 'settings.baseUrl'],
    [{ baseUrl: sms.url, listId: 'l', accountId: 'a:b', authToken: 't' }, 'settings.accountId'],
    [{ baseUrl: sms.url, listId: 'l', accountId: 'a', authToken: 't', defaultCountryCode: '0' }, 'settings.defaultCountryCode'],
    [{ baseUrl: sms.url, listId: 'l', accountId: 'a' }, 'settings.authToken'],
  ];
  for (const [settings, path] of cases) {
    const res = await server.api('POST', '/api/v1/destinations', { name: 'x', type: 'sms-service', settings });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.errors[0].path, path, JSON.stringify(res.body.errors));
  }
  const dest = await server.api('POST', '/api/v1/destinations', { name: 'ok', type: 'sms-service', settings: { baseUrl: sms.url, listId: 'l', accountId: 'a', authToken: 't' } });
  const email = await server.api('POST', '/api/v1/activations', { name: 'x', destinationId: dest.body.id, audienceIds: [audienceId], identities: [{ namespace: 'Email' }], schedule: { type: 'streaming' } });
  assert.equal(email.status, 422);
  assert.equal(email.body.errors[0].path, 'identities[0].namespace');
  const hashed = await server.api('POST', '/api/v1/activations', { name: 'x', destinationId: dest.body.id, audienceIds: [audienceId], identities: [{ namespace: 'Phone', hashed: true }], schedule: { type: 'streaming' } });
  assert.equal(hashed.status, 422);
  assert.equal(hashed.body.errors[0].path, 'identities[0].hashed');
});
