/* eslint-disable @typescript-eslint/no-explicit-any -- API answers are asserted field by field */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { fakeDestination, goldAudience, ingest, person, type FakeDestination } from './test-support.ts';

let server: TestServer;
let hook: FakeDestination;
before(async () => {
  server = await startTestServer();
  hook = await fakeDestination();
});
after(async () => {
  await server.stop();
  await hook.close();
});

const SECRET = 'whsec_0123456789abcdef';

test('a webhook activation backfills existing members, then sends each entry and exit with the templated payload, auth, idempotency key and signature', async () => {
  const { datasetId, audienceId } = await goldAudience(server);
  // exportToThirdParty needs the person's consent to share (activation/consent.test.ts).
  const sharing = { consents: { share: { val: 'y' } } };
  await ingest(server, datasetId, [person(1, 'gold', sharing)]);
  await server.running.platform.settleProfiles();

  const destination = await server.api('POST', '/api/v1/destinations', {
    name: 'crm hook',
    type: 'webhook',
    settings: {
      url: hook.url,
      headers: { 'x-team': 'growth' },
      auth: { type: 'bearer', token: 'tok_secret' },
      signingSecret: SECRET,
      template: { id: '{{event.id}}', email: '{{identity.Email}}', first: '{{attributes.firstName}}', points: '{{attributes.points}}', audience: '{{audience.id}}', status: '{{audience.status}}', text: 'hello {{attributes.firstName}}' },
    },
  });
  assert.equal(destination.status, 201, JSON.stringify(destination.body));
  assert.equal(destination.body.settings.auth.token, '********', 'secrets are never returned');
  assert.equal(destination.body.settings.signingSecret, '********');

  const activation = await server.api('POST', '/api/v1/activations', {
    name: 'gold to crm',
    destinationId: destination.body.id,
    audienceIds: [audienceId],
    mappings: [
      { source: 'person.name.firstName', destination: 'firstName' },
      { source: 'loyalty.points', destination: 'points' },
    ],
    identities: [{ namespace: 'Email' }],
    schedule: { type: 'streaming' },
    marketingActionId: 'exportToThirdParty',
  });
  assert.equal(activation.status, 201, JSON.stringify(activation.body));
  assert.equal(activation.body.marketingActionId, 'exportToThirdParty');

  // backfill: the member who qualified before the activation existed
  await hook.waitFor((r) => r.length >= 1);
  const first = hook.received[0];
  assert.equal(first.json.email, 'person1@example.com');
  assert.equal(first.json.first, 'First1');
  assert.equal(first.json.points, 10, 'a whole-placeholder keeps the JSON type');
  assert.equal(first.json.text, 'hello First1');
  assert.equal(first.json.audience, audienceId);
  assert.equal(first.headers.authorization, 'Bearer tok_secret');
  assert.equal(first.headers['x-team'], 'growth');
  assert.equal(first.headers['idempotency-key'], first.json.id);
  const timestamp = first.headers['x-meridian-timestamp'] as string;
  const expected = createHmac('sha256', SECRET).update(`${timestamp}.${first.body}`).digest('hex');
  assert.equal(first.headers['x-meridian-signature'], `t=${timestamp},v1=${expected}`);

  // streaming: a new member, then an exit
  await ingest(server, datasetId, [person(2, 'gold', sharing)]);
  await hook.waitFor((r) => r.some((x) => x.json.email === 'person2@example.com'));
  const entry = hook.received.find((x) => x.json.email === 'person2@example.com')!;
  assert.equal(entry.json.status, 'realized');
  await ingest(server, datasetId, [{ ...person(2, 'silver'), timestamp: new Date(Date.now() + 1000).toISOString() }]);
  await hook.waitFor((r) => r.some((x) => x.json.email === 'person2@example.com' && x.json.status === 'exited'));
  const ids = hook.received.map((r) => r.json.id);
  assert.equal(new Set(ids).size, ids.length, 'each change has its own idempotency key');

  await server.running.platform.activations.idle();
  const runs = await server.api('GET', `/api/v1/activations/${activation.body.id}/runs`);
  assert.equal(runs.status, 200);
  const backfill = runs.body.items.find((r: any) => r.kind === 'backfill');
  assert.equal(backfill.status, 'succeeded');
  assert.equal(backfill.delivered, 1);
  const streaming = runs.body.items.find((r: any) => r.kind === 'streaming');
  assert.equal(streaming.delivered, 2);
  const detail = await server.api('GET', `/api/v1/activations/${activation.body.id}`);
  assert.equal(detail.body.stats.delivered, 3);
  assert.equal(detail.body.stats.pending, 0);
  const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /meridian_activation_delivered_total\{type="webhook"\} 3/);
});

test('the default payload is the suite\'s export body: mapped attributes, segmentMembership, identityMap (hashed when asked)', async () => {
  const plain = await fakeDestination();
  try {
    const { datasetId, audienceId } = await goldAudience(server, 'prod').catch(async () => {
      // the first test created crm and gold in prod; reuse them
      const datasets = await server.api('GET', '/api/v1/datasets');
      const audiences = await server.api('GET', '/api/v1/audiences');
      return { datasetId: datasets.body.items.find((d: any) => d.name === 'crm').id, audienceId: audiences.body.items.find((a: any) => a.name === 'gold').id };
    });
    const destination = await server.api('POST', '/api/v1/destinations', { name: 'plain', type: 'webhook', settings: { url: plain.url, batchSize: 10 } });
    const activation = await server.api('POST', '/api/v1/activations', {
      name: 'plain',
      destinationId: destination.body.id,
      audienceIds: [audienceId],
      mappings: [{ source: 'person.name.lastName', destination: 'lastName' }],
      identities: [{ namespace: 'Email', hashed: true }, { namespace: 'CRMID' }],
      schedule: { type: 'streaming' },
    });
    assert.equal(activation.status, 201, JSON.stringify(activation.body));
    assert.deepEqual(activation.body.identities.map((i: any) => i.field), ['Email_LC_SHA256', 'CRMID']);
    await ingest(server, datasetId, [person(7)]);
    await plain.waitFor((r) => r.flatMap((x) => x.json).some((p: any) => p.lastName === 'Last7'));
    const body = plain.received.flatMap((x) => x.json).find((p: any) => p.lastName === 'Last7');
    assert.ok(Array.isArray(plain.received[0].json), 'batchSize > 1 sends a JSON array');
    assert.equal(body.segmentMembership.ups[audienceId].status, 'realized');
    assert.deepEqual(body.identityMap.CRMID, [{ id: 'C7' }]);
    const sha = (await import('node:crypto')).createHash('sha256').update('person7@example.com').digest('hex');
    assert.deepEqual(body.identityMap.Email_LC_SHA256, [{ id: sha }]);
  } finally {
    await plain.close();
  }
});

test('with onAttributeChange, a member is exported again when a mapped attribute changes, not when an unmapped one does', async () => {
  const watch = await fakeDestination();
  try {
    const datasets = await server.api('GET', '/api/v1/datasets');
    const audiences = await server.api('GET', '/api/v1/audiences');
    const datasetId = datasets.body.items.find((d: any) => d.name === 'crm').id;
    const audienceId = audiences.body.items.find((a: any) => a.name === 'gold').id;
    await ingest(server, datasetId, [person(60)]);
    await server.running.platform.settleProfiles();
    const destination = await server.api('POST', '/api/v1/destinations', { name: 'watch', type: 'webhook', settings: { url: watch.url, template: { crm: '{{identity.CRMID}}', first: '{{attributes.firstName}}', status: '{{audience.status}}' } } });
    const activation = await server.api('POST', '/api/v1/activations', {
      name: 'watch', destinationId: destination.body.id, audienceIds: [audienceId],
      mappings: [{ source: 'person.name.firstName', destination: 'firstName' }], identities: [{ namespace: 'CRMID' }],
      schedule: { type: 'streaming', onAttributeChange: true },
    });
    assert.equal(activation.status, 201, JSON.stringify(activation.body));
    await server.running.platform.activations.idle();
    const of60 = () => watch.received.filter((r) => r.json.crm === 'C60');
    assert.equal(of60().length, 1, 'backfilled once');

    const later = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    await ingest(server, datasetId, [{ ...person(60), person: { name: { firstName: 'Renamed' } }, timestamp: later(1) }]);
    await watch.waitFor(() => of60().some((r) => r.json.first === 'Renamed'));
    const update = of60().find((r) => r.json.first === 'Renamed')!;
    assert.equal(update.json.status, 'existing');

    await ingest(server, datasetId, [{ ...person(60), person: { name: { firstName: 'Renamed' } }, loyalty: { tier: 'gold', points: 999 }, timestamp: later(2) }]);
    await server.running.platform.settleProfiles();
    await server.running.platform.activations.idle();
    assert.equal(of60().length, 2, 'an unmapped attribute changing sends nothing');
  } finally {
    await watch.close();
  }
});
